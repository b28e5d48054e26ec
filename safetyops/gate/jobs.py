"""Gate sweeps: missed night-round checkpoints, the morning summary, visitors inside after closing,
and the nightly anonymisation of old entries.  Each is idempotent over database state (the outbox
key makes a second run queue nothing) and catches up on what fell due while the scheduler was down.
Plain functions: `safetyops.scheduler.catalogue` lists them by name."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ..extensions import db
from ..schools.models import School
from . import sweeps


def _each_school(fn, now: dt.datetime) -> int:
    total = 0
    for school in db.session.scalars(sa.select(School).order_by(School.id)).all():
        total += fn(school, now)
    db.session.commit()
    return total


def rounds(now: dt.datetime) -> int:
    """Missed or late checkpoints: an SMS at once (per school setting) or the morning summary."""
    return _each_school(lambda school, n: sweeps.alert_missed_rounds(school, n) + sweeps.morning_summary(school, n),
                        now)


def after_closing(now: dt.datetime) -> int:
    """Visitors still inside after closing time alert the duty administrator (once a day)."""
    return _each_school(sweeps.alert_after_closing, now)


def retention(now: dt.datetime) -> int:
    """Anonymise entries older than each school's retention period.  Returns 0 (it queues no message)."""
    _each_school(sweeps.anonymise_expired, now)
    return 0
