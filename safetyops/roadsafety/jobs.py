"""Nightly retention of the squad's former members (listed in safetyops/scheduler/catalogue.py)."""

from __future__ import annotations

import datetime as dt

from flask import current_app

from ..extensions import db
from .services import DEFAULT_SQUAD_RETENTION_DAYS, purge_left_members


def retention(now: dt.datetime) -> int:
    """Delete squad members who left more than ROADSAFETY_SQUAD_RETENTION_DAYS (default 365) days ago;
    commits.  Returns 0 (it queues no message)."""
    days = int(current_app.config.get("ROADSAFETY_SQUAD_RETENTION_DAYS", DEFAULT_SQUAD_RETENTION_DAYS))
    purge_left_members(now, days)
    db.session.commit()
    return 0
