"""Telegram as a free channel: linked chats, one-time link tokens, updates applied, and how a message
to a linked person is routed (issue 16). The outbox calls `route`; no Flask request, no network."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models_base import intpk, school_fk
from ..time import now_utc
from .models import BlockReason, Channel, MessageStatus, NotificationPreference, TelegramMode


class TelegramLink(db.Model):
    """A person's Telegram chat with the bot (one each; a chat belongs to one person)."""

    __tablename__ = "telegram_links"

    id: Mapped[intpk]
    #: The person.
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    #: Telegram's chat id (private chat with the bot: the Telegram user's id).
    chat_id: Mapped[int] = mapped_column(sa.BigInteger, unique=True)
    #: Telegram @username when it has one (shown to the person only).
    username: Mapped[str] = mapped_column(sa.String(64), default="")
    #: When it was linked.
    linked_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)


class TelegramLinkToken(db.Model):
    """A one-time deep-link token (t.me/<bot>?start=<token>): only its SHA-256 is kept."""

    __tablename__ = "telegram_link_tokens"

    id: Mapped[intpk]
    #: School the person linked from (for the audit event).
    school_id: Mapped[int | None] = school_fk(nullable=True)
    #: The person who asked for it.
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the token, hex.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: Made at.
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)
    #: Not usable after.
    expires_dt: Mapped[dt.datetime]
    #: Used (single use) at.
    used_dt: Mapped[dt.datetime | None]


class TelegramUpdate(db.Model):
    """A bot update applied once (webhook retries and polling overlap change nothing)."""

    __tablename__ = "telegram_updates"

    id: Mapped[intpk]
    #: Telegram's update_id.
    update_id: Mapped[int] = mapped_column(sa.BigInteger, unique=True)
    #: When it arrived.
    received_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)


def chats_for(user_ids) -> dict[int, int]:
    """person -> linked chat id."""
    ids = [i for i in set(user_ids) if i is not None]
    if not ids:
        return {}
    return dict(
        db.session.execute(
            sa.select(TelegramLink.user_id, TelegramLink.chat_id).where(TelegramLink.user_id.in_(ids))
        ).all()
    )


def effective_mode(pref: NotificationPreference | None, linked: bool) -> TelegramMode:
    """What applies now: SMS only until linked; after linking the person's choice, Telegram first by default."""
    if not linked:
        return TelegramMode.SMS_ONLY
    mode = pref.telegram_mode if pref is not None else None
    return TelegramMode(mode) if mode else TelegramMode.TELEGRAM_FIRST


#: Reasons an SMS is blocked that do not stop a Telegram message (no phone, the number said STOP).
_SMS_ONLY_REASONS = (BlockReason.NO_PHONE, BlockReason.OPTED_OUT)


def fallback_key(idempotency_key: str) -> str:
    """The one SMS of a Telegram message's family (fallback, or the urgent copy of "both")."""
    return idempotency_key[:250] + ":sms"


def route(rows: list[dict], prefs: dict, *, urgent: bool, enabled: bool) -> list[dict]:
    """Send the rows of linked people by Telegram (their mode allowing); with "both for urgent" an
    urgent alert also gets its SMS row at once. `rows` are the outbox's row dicts; returns all rows."""
    if not enabled:
        return rows
    chats = chats_for(r["user_id"] for r in rows)
    out = []
    for row in rows:
        uid = row["user_id"]
        mode = effective_mode(prefs.get(uid), uid in chats)
        if (
            mode == TelegramMode.SMS_ONLY
            or row["channel"] == Channel.NONE
            or row["blocked_reason"] not in (None, *_SMS_ONLY_REASONS)
        ):
            out.append(row)
            continue
        sms = dict(row)
        row.update(channel=Channel.TELEGRAM, status=MessageStatus.QUEUED, blocked_reason=None)
        out.append(row)
        if urgent and mode == TelegramMode.BOTH_URGENT:
            sms["idempotency_key"] = fallback_key(row["idempotency_key"])
            out.append(sms)
    return out
