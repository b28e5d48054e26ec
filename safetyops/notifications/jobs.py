"""This area's sweeps: the dispatcher's safety net and the outbox retention purge (plain functions:
`safetyops.scheduler.catalogue` lists them by name)."""

from __future__ import annotations

import datetime as dt
from typing import cast

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from .models import OutboundMessage, StatusEvent

DEFAULT_RETENTION_DAYS = 365


def dispatch_sweep(now: dt.datetime) -> int:
    """Recover interrupted sends, expire stale rows, send anything the after-commit wake-up missed,
    and look up messages whose status never came back. With Telegram on: read the bot's updates
    (when no webhook is set) and queue the SMS of urgent alerts not read in time, before sending."""
    from . import telegram
    from .dispatcher import run_pass

    if telegram.enabled():
        telegram.poll(now)
        telegram.unread_sweep(now)
    return run_pass().sent


def purge_old_messages(now: dt.datetime) -> int:
    """Messages hold phone numbers: delete them after SMS_RETENTION_DAYS (0 keeps them). Telegram's
    spent link tokens and old update ids go too."""
    from . import telegram

    telegram.purge(now)
    days = int(current_app.config.get("SMS_RETENTION_DAYS", DEFAULT_RETENTION_DAYS) or 0)
    if days <= 0:
        return 0
    cutoff = now - dt.timedelta(days=days)
    old = sa.delete(OutboundMessage).where(OutboundMessage.created_dt < cutoff)
    result = cast(sa.CursorResult, db.session.execute(old))
    n = result.rowcount or 0
    db.session.execute(sa.delete(StatusEvent).where(StatusEvent.received_dt < now - dt.timedelta(days=30)))
    return n
