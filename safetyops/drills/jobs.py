"""Scheduler sweeps of the drills area."""

from __future__ import annotations

from ..scheduler.registry import sweep
from . import services


@sweep("drills.training_expiry", every_minutes=60)
def training_expiry(now) -> int:
    """SMS each person whose current safety certificate expires within 30 days (once per certificate)."""
    return services.training_reminders(now)
