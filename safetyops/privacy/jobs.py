"""Nightly: purge audit events older than AUDIT_RETENTION_DAYS (the purge leaves its own audit event).

Listed in safetyops/scheduler/catalogue.py NIGHTLY as "privacy.audit_retention"."""

from __future__ import annotations

import datetime as dt

from flask import current_app

from ..audit.services import purge_expired


def audit_retention(now: dt.datetime) -> int:
    return purge_expired(now, int(current_app.config["AUDIT_RETENTION_DAYS"]))
