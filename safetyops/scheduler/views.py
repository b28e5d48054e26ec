"""The scheduler's status page, and the hook that runs it inside `safetyops serve`."""

from __future__ import annotations

import logging
from enum import StrEnum

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l

from .. import menu
from ..access import requires
from ..auth.roles import Role
from . import lease, models  # noqa: F401  (tables exist whenever the app does)
from .catalogue import load_sweeps
from .service import log_to_console, sweep_states

log = logging.getLogger("safetyops.scheduler")

bp = Blueprint("scheduler", __name__, url_prefix="/scheduler")


class SchedPerm(StrEnum):
    VIEW = "scheduler.view"


#: Who holds the area's permission (granted on the app by the area's `register(app)`).
GRANTS = {SchedPerm.VIEW: {Role.DIRECTOR, Role.ADMIN}}
#: The area's menu entries (added to the app by the area's `register(app)`).
MENU = (
    menu.MenuItem(_l("Scheduled jobs"), "scheduler.status", SchedPerm.VIEW, 96),
)


def start_in_serve(app) -> None:
    """`safetyops serve` calls this before serving: the scheduler (and dispatcher) as threads."""
    if not app.config.get("SCHEDULER_IN_SERVE", True):
        return
    from .service import SchedulerService

    log_to_console()
    service = SchedulerService(app, blocking=False, dispatch=True)
    service.start()
    app.extensions["safetyops_scheduler"] = service
    import atexit

    atexit.register(service.shutdown)
    log.info("scheduler thread started in this process")


@bp.record_once
def _register_serve_hook(state) -> None:
    state.app.extensions.setdefault("safetyops_serve_hooks", []).append(start_in_serve)


@bp.get("/")
@requires(SchedPerm.VIEW)
def status():
    states = {s.name: s for s in sweep_states()}
    sweeps = sorted(load_sweeps().values(), key=lambda s: s.name)
    return render_template("scheduler/status.html", lease=lease.current(), sweeps=sweeps, states=states,
                           nightly=states.get("scheduler.nightly.done"))
