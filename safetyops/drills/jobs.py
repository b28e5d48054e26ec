"""Scheduler sweeps of the drills area (plain functions: `safetyops.scheduler.catalogue` lists them)."""

from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db
from ..schools.models import School
from . import reunion, services


def training_expiry(now) -> int:
    """SMS each person whose current safety certificate expires within 30 days (once per certificate)."""
    return services.training_reminders(now)


def reunion_retention(now) -> int:
    """Nightly: wipe who took which child after 90 days, and the names and guardians of children off the lists
    for 30 days (`reunion.purge_expired`).  Returns 0 (it queues no message)."""
    for school in db.session.scalars(sa.select(School).order_by(School.id)).all():
        reunion.purge_expired(school, now)
    db.session.commit()
    return 0
