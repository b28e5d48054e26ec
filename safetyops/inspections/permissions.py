"""Who may do what in inspections."""

from __future__ import annotations

from enum import StrEnum

from ..auth.roles import SCHOOL_ROLES, Role


class InspPerm(StrEnum):
    #: Tick checklists, see "my checks", report hazards, work on actions assigned to them.
    RUN = "inspections.run"
    #: See assets, actions, the overdue view and histories (read-only; district inspector too).
    VIEW = "inspections.view"
    #: See photos: staff of the school only.
    PHOTOS = "inspections.photos"
    #: Register assets, make schedules, print labels.
    MANAGE = "inspections.manage"
    #: Export runs and actions.
    EXPORT = "inspections.export"


#: Roles that may manage assets and schedules and verify any action.
MANAGER_ROLES = frozenset({Role.DIRECTOR, Role.ADMIN, Role.DEPUTY, Role.SAFETY_OFFICER})
#: Roles alerted when a critical item fails.
ALERT_ROLES = (Role.SAFETY_OFFICER, Role.DIRECTOR)

#: Who holds each of the area's permissions (granted on the app by the area's `register(app)`).
GRANTS: dict[InspPerm, set[Role]] = {
    InspPerm.RUN: set(SCHOOL_ROLES),
    InspPerm.VIEW: set(SCHOOL_ROLES) | {Role.INSPECTOR},
    InspPerm.PHOTOS: set(SCHOOL_ROLES),
    InspPerm.MANAGE: set(MANAGER_ROLES),
    InspPerm.EXPORT: set(MANAGER_ROLES) | {Role.INSPECTOR},
}
