"""Nightly retention of closed cases (listed in safetyops/scheduler/catalogue.py)."""

from __future__ import annotations

import datetime as dt

from flask import current_app

from ..extensions import db
from .services import DEFAULT_RETENTION_DAYS, purge_closed


def retention(now: dt.datetime) -> int:
    """Delete cases closed more than WELLBEING_RETENTION_DAYS ago; commits."""
    days = int(current_app.config.get("WELLBEING_RETENTION_DAYS", DEFAULT_RETENTION_DAYS))
    done = purge_closed(now, days)
    db.session.commit()
    return done
