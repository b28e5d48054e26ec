"""Every area's sweeps and nightly hooks, by name: the one place the scheduler learns what to run.

The areas' `jobs.py` modules hold plain functions and import nothing of the scheduler; this
module imports each of them plainly.  A missing or broken jobs module is an ImportError here,
at start-up, never a sweep that silently does not run (tests/scheduler/test_catalogue.py lists
the names every area must have).  A new sweep: write the function in `<area>/jobs.py`, add a
line to SWEEPS (or NIGHTLY for a once-a-night purge) and its name to the test.
"""

from __future__ import annotations

import datetime as dt

from flask import Flask

from ..accidents import jobs as accidents
from ..audit import jobs as audit
from ..documents import jobs as documents
from ..drills import jobs as drills
from ..ecology import jobs as ecology
from ..gate import jobs as gate
from ..incidents import jobs as incidents
from ..inspections import jobs as inspections
from ..notifications import dispatcher, smpp_gateway, smpp_receipts
from ..notifications import jobs as notifications
from ..reports import jobs as reports
from ..roadsafety import jobs as roadsafety
from ..rosters import jobs as rosters
from ..wellbeing import jobs as wellbeing
from . import jobs as scheduler
from . import registry
from .registry import Companion, NightlyFn, Sweep

#: Once-a-night work (retention purges), run in name order by the `scheduler.nightly` sweep.
NIGHTLY: dict[str, NightlyFn] = {
    "accidents.retention": accidents.retention,
    "audit.retention": audit.retention,
    "drills.reunion_retention": drills.reunion_retention,
    "gate.retention": gate.retention,
    "notifications.retention": notifications.purge_old_messages,
    "roadsafety.retention": roadsafety.retention,
    "wellbeing.retention": wellbeing.retention,
}


def nightly_hooks() -> dict[str, NightlyFn]:
    """The catalogue's nightly hooks and any registered at run time."""
    return {**NIGHTLY, **registry.nightly_hooks()}


def _nightly(now: dt.datetime) -> int:
    return scheduler.nightly_sweep(now, nightly_hooks())


SWEEPS: tuple[Sweep, ...] = (
    Sweep("documents.reminders", 60, documents.reminders_sweep),
    Sweep("drills.training_expiry", 60, drills.training_expiry),
    Sweep("ecology.removal_late", 60, ecology.removal_late),
    Sweep("gate.after_closing", 5, gate.after_closing),
    Sweep("gate.rounds", 5, gate.rounds),
    Sweep("incidents.anonymise", 360, incidents.anonymise),
    Sweep("incidents.event_briefings", 30, incidents.event_briefings),
    Sweep("inspections.actions", 30, inspections.actions_sweep),
    Sweep("inspections.checks", 5, inspections.checks_sweep),
    Sweep("notifications.dispatch", 1, notifications.dispatch_sweep),
    Sweep("reports.weekly_digest", 60, reports.weekly_digest),
    Sweep("rosters.checkin_nudges", 2, rosters.checkin_nudges),
    Sweep("rosters.eve_reminders", 15, rosters.eve_reminders),
    Sweep("scheduler.nightly", 15, _nightly),
)


def load_sweeps() -> dict[str, Sweep]:
    """Every sweep by name: the catalogue's, then any registered at run time."""
    found = {s.name: s for s in SWEEPS}
    if len(found) != len(SWEEPS):
        raise RuntimeError("two sweeps of the catalogue have the same name")
    return {**found, **registry.sweeps()}


def companions(app: Flask) -> list[Companion]:
    """Threads a scheduler process runs beside the sweeps: the SMS dispatcher (it sends after each
    commit that queued messages, and every SMS_DISPATCH_POLL seconds) and, when SMPP is configured, the
    listener of the SMSC's delivery receipts.  Each has `stop()`."""
    poll = float(app.config.get("SMS_DISPATCH_POLL", 5))
    threads: list[Companion] = [dispatcher.DispatcherThread(app, poll=poll)]
    if smpp_gateway.smpp_configured(app.config):  # the SMSC's delivery receipts, only when SMPP is set up
        threads.append(smpp_receipts.ReceiptListener(app))
    return threads
