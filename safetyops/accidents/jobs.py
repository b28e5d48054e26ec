"""Nightly retention of injuries' health details (listed in safetyops/scheduler/catalogue.py)."""

from __future__ import annotations

import datetime as dt

from flask import current_app

from ..extensions import db
from .services import DEFAULT_INJURY_RETENTION_MONTHS, anonymise_injuries


def retention(now: dt.datetime) -> int:
    """Wipe the name, consent, injury and first aid of injuries older than
    ACCIDENTS_INJURY_RETENTION_MONTHS (default 36); commits.  Returns 0 (it queues no message)."""
    months = int(current_app.config.get("ACCIDENTS_INJURY_RETENTION_MONTHS", DEFAULT_INJURY_RETENTION_MONTHS))
    anonymise_injuries(now, months)
    db.session.commit()
    return 0
