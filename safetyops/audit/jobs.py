"""Nightly: purge audit events older than AUDIT_RETENTION_DAYS (the purge leaves its own audit event).

A plain function: `safetyops.scheduler.catalogue` lists it in NIGHTLY as "audit.retention"."""

from __future__ import annotations

import datetime as dt

from flask import current_app

from .services import purge_expired


def retention(now: dt.datetime) -> int:
    return purge_expired(now, int(current_app.config["AUDIT_RETENTION_DAYS"]))
