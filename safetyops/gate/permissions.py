"""Who may do what at the gate.  Visitor data is personal: teachers read none of it,
guards read today's gate, the director reads everything, the inspector sees counts only."""

from __future__ import annotations

from enum import StrEnum

from ..auth.roles import Role


class GatePerm(StrEnum):
    #: Log entries and exits, see who is on site, closing review, walk night rounds (today's gate).
    LOG = "gate.log"
    #: Read any day's entries, the daily report and the printable journal.
    REPORT = "gate.report"
    #: Read the watchlist (the guard must recognise the people on it).
    WATCHLIST_VIEW = "gate.watchlist.view"
    #: Add and remove watchlist entries, checkpoints and gate settings.
    MANAGE = "gate.manage"
    #: Counts of entries and rounds, no names (the district inspector).
    COUNTS = "gate.counts"


MANAGERS = {Role.DIRECTOR, Role.ADMIN}
#: Read single entries and photos: the guards (today's gate) and those who read the report.
ENTRY_READ = "gate.entry.read"

#: Who holds each of the area's permissions (granted on the app by the area's `register(app)`).
GRANTS = {
    GatePerm.LOG: {Role.GUARD, *MANAGERS},
    GatePerm.REPORT: {Role.DEPUTY, *MANAGERS},
    GatePerm.WATCHLIST_VIEW: {Role.GUARD, Role.DEPUTY, *MANAGERS},
    GatePerm.MANAGE: MANAGERS,
    GatePerm.COUNTS: {Role.INSPECTOR, Role.DEPUTY, *MANAGERS},
    ENTRY_READ: {Role.GUARD, Role.DEPUTY, *MANAGERS},
}
