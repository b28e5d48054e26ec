"""Scheduler sweeps of the drills area (plain functions: `safetyops.scheduler.catalogue` lists them)."""

from __future__ import annotations

from . import services


def training_expiry(now) -> int:
    """SMS each person whose current safety certificate expires within 30 days (once per certificate)."""
    return services.training_reminders(now)
