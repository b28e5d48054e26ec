"""A school's SMS budget in som: what this month cost, what a broadcast will cost, whether there is
money left for non-urgent messages (urgent alerts always go).

Cost = SMS parts (GSM-7 / UCS-2 segments of each text) × SMS_PRICE_PER_SEGMENT_SOM. Counted: every
message the provider took or may have taken (sent, delivered, undelivered, unknown) in the school's
calendar month."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from . import segments
from .models import Channel, MessageStatus, OutboundMessage, SmsBudget

#: Statuses that cost money (the provider took the message, or may have).
PAID = (MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.UNDELIVERED, MessageStatus.UNKNOWN)
#: At this share of the budget the director is warned.
WARN_SHARE = 0.8


def price_per_segment() -> float:
    """Som per SMS part (SMS_PRICE_PER_SEGMENT_SOM; 0: not set, no cost shown, no budget enforced)."""
    try:
        return max(0.0, float(current_app.config.get("SMS_PRICE_PER_SEGMENT_SOM", 0) or 0))
    except (TypeError, ValueError):
        return 0.0


def cost(parts: int) -> float:
    return round(parts * price_per_segment(), 2)


def month_start(tz_name: str, now: dt.datetime) -> dt.datetime:
    local = now.astimezone(ZoneInfo(tz_name))
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0).astimezone(dt.UTC)


def month_parts(school_id: int, tz_name: str, now: dt.datetime) -> int:
    """SMS parts this school paid for since the 1st of this month (school time)."""
    bodies = db.session.scalars(sa.select(OutboundMessage.body).where(
        OutboundMessage.school_id == school_id, OutboundMessage.status.in_(PAID),
        OutboundMessage.channel != Channel.TELEGRAM,  # Telegram messages cost 0 som
        OutboundMessage.created_dt >= month_start(tz_name, now)))
    return sum(segments.count(b).segments for b in bodies)


def monthly_budget(school_id: int) -> int:
    """The school's budget in som (0: none)."""
    return db.session.scalar(sa.select(SmsBudget.monthly_som).where(SmsBudget.school_id == school_id)) or 0


def budgets(school_ids) -> dict[int, int]:
    ids = list(school_ids)
    if not ids:
        return {}
    return {sid: som for sid, som in db.session.execute(
        sa.select(SmsBudget.school_id, SmsBudget.monthly_som).where(SmsBudget.school_id.in_(ids),
                                                                   SmsBudget.monthly_som > 0))}


class Left:
    """Som left this month per school, for one claim pass (spent as rows are claimed)."""

    def __init__(self, school_ids, zones: dict[int, str], now: dt.datetime) -> None:
        self.price = price_per_segment()
        self.left: dict[int, float] = {}
        if self.price <= 0:
            return
        default_tz = current_app.config["DEFAULT_TIMEZONE"]
        for sid, som in budgets(school_ids).items():
            spent = month_parts(sid, zones.get(sid, default_tz), now) * self.price
            self.left[sid] = som - spent

    def take(self, school_id: int | None, body: str) -> bool:
        """True when the school can pay for `body` (and counts it as spent)."""
        if school_id not in self.left:
            return True
        price = segments.count(body).segments * self.price
        if self.left[school_id] < price:
            return False
        self.left[school_id] -= price
        return True
