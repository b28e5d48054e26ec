"""`safetyops demo`: the foundation's district, schools and people (`safetyops.schools.demo`),
then each area's step, listed here and imported plainly.

Each step is a function of the `Demo` and must be safe to run again (the demo is idempotent:
a second run changes nothing).  A new area's demo: write `<area>/demo.py` and add its step to STEPS."""

from __future__ import annotations

from collections.abc import Callable

from .accidents.demo import accidents_demo
from .canteen.demo import canteen_demo
from .documents.demo import documents_demo
from .drills.demo import drills_demo
from .ecology.demo import ecology_demo
from .extensions import db
from .gate.demo import gate_demo
from .incidents.demo import incidents_demo
from .inspections.demo import inspections_demo
from .notifications.demo import notifications_demo
from .roadsafety.demo import roadsafety_demo
from .rosters.demo import rosters as rosters_demo
from .schools.demo import (
    DISTRICT_NAME,
    MORE_TEACHERS,
    OTHER_SCHOOL_NAME,
    PEOPLE,
    SCHOOL_NAME,
    ZONES,
    Demo,
    appointments,
    base,
    calendar,
)
from .wellbeing.demo import wellbeing_demo

__all__ = ["DISTRICT_NAME", "MORE_TEACHERS", "OTHER_SCHOOL_NAME", "PEOPLE", "SCHOOL_NAME", "STEPS", "ZONES", "Demo",
           "build_demo"]

#: In this order: later steps find what earlier ones made (the rosters' posts, the drills' classes).
STEPS: tuple[Callable[[Demo], None], ...] = (
    appointments,
    calendar,  # before the rosters: duties follow school days
    inspections_demo,
    notifications_demo,
    rosters_demo,
    gate_demo,
    drills_demo,
    canteen_demo,
    incidents_demo,
    documents_demo,
    wellbeing_demo,
    ecology_demo,
    roadsafety_demo,
    accidents_demo,
)


def build_demo(password: str = "safetyops") -> list[tuple[str, str]]:
    """Build (or complete) the demo and commit; returns (username, what the account is) to print."""
    demo = base(password)
    for step in STEPS:
        step(demo)
    db.session.commit()
    return demo.logins
