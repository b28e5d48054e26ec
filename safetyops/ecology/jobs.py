"""The removal-late sweep (listed in safetyops/scheduler/catalogue.py)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ..extensions import db
from ..schools.models import School
from .models import RemovalSchedule
from .services import alert_late_removal


def removal_late(now: dt.datetime) -> int:
    """Schools whose waste was not taken away on the contract's schedule alert the director; commits."""
    schools = db.session.scalars(sa.select(School).join(RemovalSchedule, RemovalSchedule.school_id == School.id)
                                 .order_by(School.id)).all()
    total = sum(alert_late_removal(school, now) for school in schools)
    db.session.commit()
    return total
