"""Gate sweeps: missed night-round checkpoints, the morning summary, visitors inside after closing,
and the nightly anonymisation of old entries.  Each is idempotent over database state (the outbox
key makes a second run queue nothing) and catches up on what fell due while the scheduler was down."""

from __future__ import annotations

import datetime as dt
import importlib.util

import sqlalchemy as sa

from ..extensions import db
from ..schools.models import School
from . import services


def _registry():
    if importlib.util.find_spec("safetyops.scheduler") and importlib.util.find_spec("safetyops.scheduler.registry"):
        from ..scheduler import registry

        return registry
    return None


_reg = _registry()


def _sweep(name: str, every_minutes: float):
    return _reg.sweep(name, every_minutes=every_minutes) if _reg is not None else (lambda fn: fn)


def _nightly(name: str):
    if _reg is not None and hasattr(_reg, "nightly"):
        return _reg.nightly(name)
    return _sweep(name, 60)


def _each_school(fn, now: dt.datetime) -> int:
    services.register_texts()
    total = 0
    for school in db.session.scalars(sa.select(School).order_by(School.id)).all():
        total += fn(school, now)
    db.session.commit()
    return total


@_sweep("gate.rounds", every_minutes=5)
def rounds(now: dt.datetime) -> int:
    """Missed or late checkpoints: an SMS at once (per school setting) or the morning summary."""
    return _each_school(lambda school, n: services.alert_missed_rounds(school, n) + services.morning_summary(school, n),
                        now)


@_sweep("gate.after_closing", every_minutes=5)
def after_closing(now: dt.datetime) -> int:
    """Visitors still inside after closing time alert the duty administrator (once a day)."""
    return _each_school(services.alert_after_closing, now)


@_nightly("gate.retention")
def retention(now: dt.datetime) -> int:
    """Anonymise entries older than each school's retention period.  Returns 0 (it queues no message)."""
    _each_school(services.anonymise_expired, now)
    return 0
