"""The areas of the app, and the one place that registers them.

Each area is a package `safetyops.<area>` with `views.py` (a blueprint `bp`) and optionally
`cli.py` (a click group `cli`, added to the `safetyops` command), `demo.py` (steps listed in
`safetyops.demo.STEPS`) and `jobs.py` (sweeps listed in `safetyops.scheduler.catalogue`).
Importing an area's views makes its `cards`, `menu` entries and `roles.grant(...)` calls.

Every area ships, so `register` imports each one plainly: a missing or broken area is an
ImportError when the app is built, never a page that silently is not there.  A new area: add
its name to AREAS and its blueprint (and command group) to `register`.
"""

from __future__ import annotations

from flask import Flask

AREAS = [
    "auth",
    "dashboard",
    "schools",
    "audit",
    "inspections",
    "notifications",
    "scheduler",
    "rosters",
    "gate",
    "drills",
    "canteen",
    "incidents",
    "documents",
    "privacy",
    "wellbeing",
    "ecology",
    "roadsafety",
    "accidents",
    "reports",
]


def register(app: Flask) -> None:
    """Register every area's blueprint (in AREAS order) and command group on `app`."""
    from .accidents import views as accidents
    from .audit import cli as audit_cli
    from .audit import views as audit
    from .auth import views as auth
    from .canteen import views as canteen
    from .dashboard import views as dashboard
    from .documents import views as documents
    from .drills import views as drills
    from .ecology import views as ecology
    from .gate import views as gate
    from .incidents import views as incidents
    from .inspections import cli as inspections_cli
    from .inspections import views as inspections
    from .notifications import cli as notifications_cli
    from .notifications import views as notifications
    from .privacy import views as privacy
    from .reports import views as reports
    from .roadsafety import views as roadsafety
    from .rosters import cli as rosters_cli
    from .rosters import views as rosters
    from .scheduler import cli as scheduler_cli
    from .scheduler import views as scheduler
    from .schools import views as schools
    from .wellbeing import views as wellbeing

    for module in (auth, dashboard, schools, audit, inspections, notifications, scheduler, rosters, gate, drills,
                   canteen, incidents, documents, privacy, wellbeing, reports, ecology, roadsafety, accidents):
        app.register_blueprint(module.bp)
    for command in (audit_cli, inspections_cli, notifications_cli, rosters_cli, scheduler_cli):
        app.cli.add_command(command.cli)
