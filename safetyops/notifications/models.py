"""The outbox (one row per message to one person), preferences, opt-outs and phone flags."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import enum_column, intpk, school_fk
from ..time import now_utc


class MessageStatus(StrEnum):
    QUEUED = "queued"  # waiting for the dispatcher (maybe until next_attempt_dt)
    SENDING = "sending"  # claimed; the provider is being called
    SENT = "sent"  # the provider accepted it
    DELIVERED = "delivered"  # the handset got it
    UNDELIVERED = "undelivered"  # the carrier could not deliver it
    FAILED = "failed"  # refused by the provider; not retried
    BLOCKED = "blocked"  # opted out, quiet hours, no phone, channel "none"
    EXPIRED = "expired"  # could not be sent while it still mattered
    UNKNOWN = "unknown"  # the provider may or may not have it: never resent blindly


STATUS_LABELS = {
    MessageStatus.QUEUED: _l("Queued"),
    MessageStatus.SENDING: _l("Sending"),
    MessageStatus.SENT: _l("Sent"),
    MessageStatus.DELIVERED: _l("Delivered"),
    MessageStatus.UNDELIVERED: _l("Not delivered"),
    MessageStatus.FAILED: _l("Failed"),
    MessageStatus.BLOCKED: _l("Blocked"),
    MessageStatus.EXPIRED: _l("Expired"),
    MessageStatus.UNKNOWN: _l("Unknown"),
}

#: How far along a message is; a status never moves to a lower rank.
STATUS_RANK = {
    MessageStatus.QUEUED: 0,
    MessageStatus.SENDING: 1,
    MessageStatus.UNKNOWN: 1,
    MessageStatus.SENT: 2,
    MessageStatus.UNDELIVERED: 3,
    MessageStatus.FAILED: 3,
    MessageStatus.DELIVERED: 4,
    MessageStatus.BLOCKED: 9,
    MessageStatus.EXPIRED: 9,
}

FINAL_STATUSES = frozenset({MessageStatus.DELIVERED, MessageStatus.UNDELIVERED, MessageStatus.FAILED,
                            MessageStatus.BLOCKED, MessageStatus.EXPIRED})


class Channel(StrEnum):
    SMS = "sms"
    WHATSAPP = "whatsapp"
    NONE = "none"
    TELEGRAM = "telegram"  # a message to the person's linked Telegram chat (free; SMS follows on failure)


CHANNEL_LABELS = {
    Channel.SMS: _l("SMS"),
    Channel.WHATSAPP: _l("WhatsApp"),
    Channel.NONE: _l("No messages"),
    Channel.TELEGRAM: _l("Telegram"),
}

#: What a person may choose for the SMS channel of their preferences (Telegram is a mode beside it).
SMS_CHANNELS = (Channel.SMS, Channel.WHATSAPP, Channel.NONE)


class TelegramMode(StrEnum):
    SMS_ONLY = "sms"  # everything by SMS (or WhatsApp)
    TELEGRAM_FIRST = "telegram"  # Telegram; SMS follows when it fails, or an urgent alert is not read
    BOTH_URGENT = "both"  # Telegram first; urgent alerts by Telegram and SMS at once


TELEGRAM_MODE_LABELS = {
    TelegramMode.SMS_ONLY: _l("SMS only"),
    TelegramMode.TELEGRAM_FIRST: _l("Telegram first"),
    TelegramMode.BOTH_URGENT: _l("Telegram; urgent also by SMS"),
}


class BlockReason(StrEnum):
    OPTED_OUT = "opted_out"
    QUIET_HOURS = "quiet_hours"
    NO_PHONE = "no_phone"
    CHANNEL_NONE = "channel_none"
    DISABLED = "disabled"
    DUPLICATE = "duplicate"  # the same person got the same message a moment ago
    MERGED = "merged"  # went out inside another message to the same person (merged_into_id)
    BUDGET = "budget"  # the school's SMS budget for the month is spent (non-urgent only)


BLOCK_LABELS = {
    BlockReason.OPTED_OUT: _l("Replied STOP"),
    BlockReason.QUIET_HOURS: _l("Quiet hours"),
    BlockReason.NO_PHONE: _l("No phone number"),
    BlockReason.CHANNEL_NONE: _l("Chose no messages"),
    BlockReason.DISABLED: _l("Account disabled"),
    BlockReason.DUPLICATE: _l("Same message already sent"),
    BlockReason.MERGED: _l("Sent together with another message"),
    BlockReason.BUDGET: _l("SMS budget spent"),
}

#: Provider states of an ``unknown`` message that say the request reached the provider and only its
#: answer was lost (a timeout, a dropped connection, the sender stopped mid-call): the provider has
#: most likely accepted it.  A 5xx answer (``http-5xx``) means it most likely did not.
PROBABLY_ACCEPTED = frozenset({"timeout", "connection-lost", "interrupted", "bad-response", "gateway-error"})


class OutboundMessage(db.Model):
    """One message to one person, written in the transaction of the change that caused it."""

    __tablename__ = "outbound_messages"
    __table_args__ = (
        sa.Index("ix_outbound_messages_dispatch", "status", "next_attempt_dt"),
        sa.Index("ix_outbound_messages_user_subject", "user_id", "subject", "created_dt"),
        sa.CheckConstraint("attempts >= 0", name="attempts_non_negative"),
    )

    id: Mapped[intpk]
    #: School the message is about; None for an administrator's test message.
    school_id: Mapped[int | None] = school_fk(nullable=True)
    #: Recipient; None for a test message to a bare number.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    #: Text template ("inspections.overdue", "broadcast"…).
    kind: Mapped[str] = mapped_column(sa.String(60), index=True)
    #: kind:key:user — the same key is never queued twice.
    idempotency_key: Mapped[str] = mapped_column(sa.String(255), unique=True)
    #: Number in E.164 at the time of queueing ("" when the person has none).
    to_phone: Mapped[str] = mapped_column(sa.String(40), default="")
    #: sms or whatsapp (none: blocked).
    channel: Mapped[Channel] = enum_column(Channel, default=Channel.SMS)
    #: Language the text was rendered in.
    locale: Mapped[str] = mapped_column(sa.String(5), default="ky")
    #: The rendered text.
    body: Mapped[str] = mapped_column(sa.Text)
    #: Where the message is (see MessageStatus).
    status: Mapped[MessageStatus] = enum_column(MessageStatus, default=MessageStatus.QUEUED, index=True)
    #: Why it was blocked, when blocked.
    blocked_reason: Mapped[BlockReason | None] = enum_column(BlockReason, nullable=True)
    #: Critical alerts pass quiet hours.
    is_urgent: Mapped[bool] = mapped_column(default=False)
    #: Its SMS go in Latin letters (the school's reminders, a broadcast ticked so): an SMS row's body is
    #: transliterated; a Telegram row keeps the original text and its SMS fallback is transliterated.
    is_latin: Mapped[bool] = mapped_column(default=False)
    #: Calls made to the provider for it.
    attempts: Mapped[int] = mapped_column(default=0)
    #: Not to be sent before (retry backoff, end of quiet hours).
    next_attempt_dt: Mapped[dt.datetime | None]
    #: Not to be sent after: it becomes expired.
    expires_dt: Mapped[dt.datetime | None]
    #: When it was queued.
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc, index=True)
    #: When a dispatcher claimed it (then: when it started sending).
    claimed_dt: Mapped[dt.datetime | None]
    #: Which dispatcher pass claimed it (others skip it until the claim is stale).
    claimed_by: Mapped[str | None] = mapped_column(sa.String(40))
    #: When the provider accepted it.
    sent_dt: Mapped[dt.datetime | None]
    #: When the status last changed.
    status_dt: Mapped[dt.datetime | None]
    #: Gateway that handled it ("console", "twilio").
    gateway: Mapped[str] = mapped_column(sa.String(30), default="")
    #: Provider's id (Twilio SID).
    provider_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    #: Provider's own status string (queued, delivered, http-429…).
    provider_status: Mapped[str] = mapped_column(sa.String(40), default="")
    #: Provider error code ("21211").
    error_code: Mapped[str] = mapped_column(sa.String(20), default="")
    #: Provider error text (for the log, not shown to staff).
    error_message: Mapped[str] = mapped_column(sa.String(500), default="")
    #: What the message is about, for the duplicate rule (same person + same subject inside a window).
    subject: Mapped[str] = mapped_column(sa.String(160), default="")
    #: The message this one went out inside (several reminders due together for one person).
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("outbound_messages.id", ondelete="SET NULL"))
    #: An SMS that follows this Telegram message (it failed, or an urgent alert was not read in time).
    fallback_of_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("outbound_messages.id", ondelete="SET NULL"), index=True)
    #: When the person pressed "Read" under a Telegram message.
    read_dt: Mapped[dt.datetime | None]

    user: Mapped[User | None] = relationship()  # noqa: F821
    fallback_of: Mapped[OutboundMessage | None] = relationship(remote_side="OutboundMessage.id",
                                                               foreign_keys=[fallback_of_id])

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def unknown_case(self) -> str:
        """For an ``unknown`` message: "accepted" (the answer was lost: the provider most likely has it)
        or "refused" (the provider answered 5xx: most likely not sent); "" otherwise."""
        if self.status != MessageStatus.UNKNOWN:
            return ""
        if not self.provider_id and (self.provider_status or "").startswith("http-5"):
            return "refused"
        return "accepted"  # timeout, dropped answer, interrupted, or anything unclear: assume it went

    def __repr__(self) -> str:
        return f"<OutboundMessage {self.id} {self.kind} {self.status}>"


class StatusEvent(db.Model):
    """A provider status report once applied (dedupes repeated callbacks)."""

    __tablename__ = "message_status_events"
    __table_args__ = (sa.UniqueConstraint("provider_id", "provider_status"),)

    id: Mapped[intpk]
    #: Provider's message id (MessageSid).
    provider_id: Mapped[str] = mapped_column(sa.String(64))
    #: Provider's status (MessageStatus).
    provider_status: Mapped[str] = mapped_column(sa.String(40))
    #: When it arrived.
    received_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)


class NotificationPreference(db.Model):
    """How a person wants messages (one row per person; absent means SMS, no quiet hours)."""

    __tablename__ = "notification_preferences"

    id: Mapped[intpk]
    #: The person.
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    #: sms, whatsapp or none.
    channel: Mapped[Channel] = enum_column(Channel, default=Channel.SMS)
    #: Start of quiet hours (school time), None for no quiet hours.
    quiet_start: Mapped[dt.time | None]
    #: End of quiet hours (school time); may be before the start (over midnight).
    quiet_end: Mapped[dt.time | None]
    #: sms, telegram or both (see TelegramMode); None: Telegram first once linked, SMS only before.
    telegram_mode: Mapped[TelegramMode | None] = enum_column(TelegramMode, nullable=True)
    #: Last change.
    updated_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)


class PhoneOptOut(db.Model):
    """A number that replied STOP (or СТОП, ТОКТОТ…): nothing more is sent to it."""

    __tablename__ = "phone_opt_outs"

    id: Mapped[intpk]
    #: The number, E.164 (without "whatsapp:").
    phone: Mapped[str] = mapped_column(sa.String(40), unique=True)
    #: The word it sent.
    keyword: Mapped[str] = mapped_column(sa.String(40), default="")
    #: When.
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)


class PhoneFlag(db.Model):
    """A person's number the provider refused for good: the director should fix it."""

    __tablename__ = "phone_flags"
    __table_args__ = (sa.UniqueConstraint("user_id", "phone"),)

    id: Mapped[intpk]
    #: The person.
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: The number refused.
    phone: Mapped[str] = mapped_column(sa.String(40))
    #: Provider error code (21211, 21610, 30006…).
    error_code: Mapped[str] = mapped_column(sa.String(20), default="")
    #: Provider's explanation.
    error_message: Mapped[str] = mapped_column(sa.String(500), default="")
    #: When it was last refused.
    flagged_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)
    #: The director marked it handled (a new failure clears this again).
    is_resolved: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship()  # noqa: F821


class SchoolRule(db.Model):
    """A reminder rule's switch and time at one school (absent: the rule's defaults)."""

    __tablename__ = "notification_rules"
    __table_args__ = (sa.UniqueConstraint("school_id", "kind"),)

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: Rule name (a registered rule, e.g. "rosters.eve_of_duty").
    kind: Mapped[str] = mapped_column(sa.String(60))
    #: Off: the sweep queues nothing for this school.
    is_enabled: Mapped[bool] = mapped_column(default=True)
    #: Local time of day it runs at, for daily rules.
    at_time: Mapped[dt.time | None]
    #: Minutes (escalation delay, reminder lead) for rules that take one.
    minutes: Mapped[int | None]


class SmsBudget(db.Model):
    """A school's monthly SMS budget in som: non-urgent SMS stop (blocked: budget) once it is spent."""

    __tablename__ = "sms_budgets"

    id: Mapped[intpk]
    #: Owning school (one budget each).
    school_id: Mapped[int] = school_fk(unique=True)
    #: Som per calendar month (school time); 0: no limit.
    monthly_som: Mapped[int] = mapped_column(default=0)
    #: Last change.
    updated_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)
