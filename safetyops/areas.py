"""The areas of the app, and the one place that registers them.

Each area is a package `safetyops.<area>` whose `__init__.py` has one `register(app)`: it adds the
area's blueprint, command group, permissions, menu entries, home-page cards, offline pages and SMS
texts to the app.  Importing an area's modules changes nothing; only `register(app)` does, so two
apps built in one process each get every area once.  The area's `demo.py` steps are listed in
`safetyops.demo.STEPS` and its `jobs.py` sweeps in `safetyops.scheduler.catalogue`.

Every area ships, so `register` imports each one plainly: a missing or broken area is an
ImportError when the app is built, never a page that silently is not there.  A new area: give it a
`register(app)` (copy `safetyops/gate/__init__.py`) and add it to AREAS below.
"""

from __future__ import annotations

from flask import Flask

from . import (
    accidents,
    audit,
    auth,
    canteen,
    dashboard,
    documents,
    drills,
    ecology,
    gate,
    incidents,
    inspections,
    notifications,
    privacy,
    reports,
    roadsafety,
    rosters,
    scheduler,
    schools,
    wellbeing,
)

#: Every area's package, in the order they are registered.
PACKAGES = (auth, dashboard, schools, audit, inspections, notifications, scheduler, rosters, gate, drills,
            canteen, incidents, documents, privacy, wellbeing, reports, ecology, roadsafety, accidents)
#: Every area's name (its package's and its blueprint's).
AREAS = [package.__name__.rpartition(".")[2] for package in PACKAGES]


def register(app: Flask) -> None:
    """Register every area on `app`, in AREAS order."""
    for package in PACKAGES:
        package.register(app)
