"""Telegram as a free channel (issue 16): linking a person's chat through a one-time deep link, the bot's
updates (webhook or polling), the "Read" button, and the SMS that follows a Telegram message that was
not delivered, or an urgent alert not read within TELEGRAM_READ_WAIT_MIN.

No student names travel by Telegram either: the texts are the outbox's, the same as the SMS ones."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask, current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from ..audit.services import record
from ..auth.models import User
from ..errors_service import ServiceError
from ..extensions import db
from ..schools.models import School
from ..scoping import cross_school
from ..time import now_utc
from .gateways import SendResult
from .latin import sms_body
from .models import BlockReason, Channel, MessageStatus, NotificationPreference, OutboundMessage, PhoneOptOut
from .outbox import insert_rows
from .telegram_gateway import READ_PREFIX, TelegramGateway
from .telegram_models import TelegramLink, TelegramLinkToken, TelegramUpdate, chats_for, effective_mode, fallback_key

__all__ = [
    "chats_for",
    "effective_mode",
    "after_send",
    "send",
    "queue_fallback",
    "unread_sweep",
    "handle_update",
    "poll",
]

log = logging.getLogger("safetyops.telegram")

DEFAULT_READ_WAIT_MIN = 5
DEFAULT_LINK_TTL_MIN = 30


def enabled(app: Flask | None = None) -> bool:
    app = app or current_app
    return bool(app.config.get("TELEGRAM_BOT_TOKEN"))


def gateway(app: Flask | None = None) -> TelegramGateway:
    """The bot, built once per app."""
    app = app or current_app._get_current_object()
    gw = app.extensions.get("safetyops_telegram")
    if gw is None:
        gw = TelegramGateway(
            str(app.config["TELEGRAM_BOT_TOKEN"]),
            app.config.get("TELEGRAM_API_BASE") or None,
            float(app.config.get("TELEGRAM_TIMEOUT") or 10),
        )
        app.extensions["safetyops_telegram"] = gw
    return gw


def read_label(locale: str) -> str:
    """The "Read" button in the person's language ("Окудум" in Kyrgyz)."""
    with force_locale(locale):
        return _("Read")


# ------------------------------------------------------------------ sending and fallback


def send(job, gw: TelegramGateway) -> SendResult:
    """Send a claimed Telegram job (chat id read at claim time); urgent alerts get the "Read" button."""
    button = (read_label(job.locale), job.id) if job.is_urgent else None
    try:
        return gw.send(job.chat_id, job.body, read_button=button)
    except Exception as exc:  # noqa: BLE001 - a gateway must not raise; if it does the outcome is unknown
        log.exception("telegram gateway raised for message %s", job.id)
        return SendResult("unknown", None, "gateway-error", None, f"{type(exc).__name__}: {exc}")


@cross_school("the dispatcher's own row, of whichever school")
def after_send(job, result: SendResult, now: dt.datetime) -> None:
    """After the dispatcher stored a Telegram send's result (same transaction): Telegram rows are never
    looked up at a provider, a refused or unclear one is not retried by Telegram — its SMS follows now."""
    values: dict = {"next_attempt_dt": None}
    if result.outcome == "retry":
        values.update(status=MessageStatus.FAILED, claimed_by=None)
    db.session.execute(
        sa.update(OutboundMessage)
        .where(OutboundMessage.id == job.id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.outcome != "accepted":
        queue_fallback(db.session.get(OutboundMessage, job.id), now)


def queue_fallback(row: OutboundMessage, now: dt.datetime) -> OutboundMessage | None:
    """The one SMS that follows Telegram message `row` (its key family: ``<key>:sms``; a second call, or
    the urgent copy of "both" already queued, adds nothing). No commit."""
    if row is None or row.channel != Channel.TELEGRAM:
        return None
    pref = db.session.scalar(sa.select(NotificationPreference).where(NotificationPreference.user_id == row.user_id))
    channel = pref.channel if pref is not None and pref.channel in (Channel.SMS, Channel.WHATSAPP) else Channel.SMS
    reason = None
    if not row.to_phone:
        reason = BlockReason.NO_PHONE
    elif db.session.scalar(sa.select(PhoneOptOut.id).where(PhoneOptOut.phone == row.to_phone)):
        reason = BlockReason.OPTED_OUT
    rows = insert_rows(
        [
            {
                "school_id": row.school_id,
                "user_id": row.user_id,
                "kind": row.kind,
                "idempotency_key": fallback_key(row.idempotency_key),
                "to_phone": row.to_phone,
                "channel": channel,
                "locale": row.locale,
                "body": sms_body(row.body, row.is_latin),  # Telegram kept the text; the SMS may go in Latin
                "status": MessageStatus.BLOCKED if reason else MessageStatus.QUEUED,
                "blocked_reason": reason,
                "is_urgent": row.is_urgent,
                "is_latin": row.is_latin,
                "attempts": 0,
                "next_attempt_dt": None,
                "expires_dt": row.expires_dt,
                "created_dt": now,
                "status_dt": now,
                "gateway": "",
                "provider_status": "",
                "error_code": "",
                "error_message": "",
                "subject": row.subject,
                "fallback_of_id": row.id,
            }
        ]
    )
    return rows[0] if rows else None


def read_wait(app: Flask | None = None) -> dt.timedelta:
    app = app or current_app
    return dt.timedelta(minutes=float(app.config.get("TELEGRAM_READ_WAIT_MIN", DEFAULT_READ_WAIT_MIN)))


@cross_school("the scheduler's sweep over every school")
def unread_sweep(now: dt.datetime) -> int:
    """Urgent Telegram alerts not read within TELEGRAM_READ_WAIT_MIN, and Telegram messages whose send was
    interrupted (unknown) without an SMS yet: their SMS follows, once."""
    sms = sa.orm.aliased(OutboundMessage)
    no_sms = ~sa.exists().where(sms.fallback_of_id == OutboundMessage.id)
    since = now - dt.timedelta(days=1)
    rows = list(
        db.session.scalars(
            sa.select(OutboundMessage)
            .where(
                OutboundMessage.channel == Channel.TELEGRAM,
                OutboundMessage.created_dt >= since,
                no_sms,
                sa.or_(
                    sa.and_(
                        OutboundMessage.is_urgent.is_(True),
                        OutboundMessage.status == MessageStatus.SENT,
                        OutboundMessage.read_dt.is_(None),
                        OutboundMessage.sent_dt <= now - read_wait(),
                    ),
                    OutboundMessage.status == MessageStatus.UNKNOWN,
                ),
            )
            .limit(500)
        )
    )
    n = 0
    for row in rows:
        n += queue_fallback(row, now) is not None
    db.session.commit()
    return n


def purge(now: dt.datetime) -> int:
    """Nightly: link tokens expired or used a day ago, and update ids older than 30 days (the newest is
    kept: polling goes on from it). No commit."""
    n = db.session.execute(
        sa.delete(TelegramLinkToken).where(TelegramLinkToken.expires_dt < now - dt.timedelta(days=1))
    ).rowcount
    newest = db.session.scalar(sa.select(sa.func.max(TelegramUpdate.update_id)))
    n += db.session.execute(
        sa.delete(TelegramUpdate).where(
            TelegramUpdate.received_dt < now - dt.timedelta(days=30), TelegramUpdate.update_id != newest
        )
    ).rowcount
    return n or 0


# ------------------------------------------------------------------ linking


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def link_of(user) -> TelegramLink | None:
    return db.session.scalar(sa.select(TelegramLink).where(TelegramLink.user_id == user.id))


def start_link(actor: User | None, school: School | None, user: User, now: dt.datetime | None = None) -> str:
    """A one-time token for https://t.me/<bot>?start=<token> (only its hash is stored). No commit."""
    if not enabled() or not current_app.config.get("TELEGRAM_BOT_NAME"):
        raise ServiceError(_("Telegram is not set up on this server."))
    now = now or now_utc()
    ttl = dt.timedelta(minutes=float(current_app.config.get("TELEGRAM_LINK_TTL_MIN", DEFAULT_LINK_TTL_MIN)))
    # an earlier unused token of this person stops working
    db.session.execute(
        sa.update(TelegramLinkToken)
        .where(TelegramLinkToken.user_id == user.id, TelegramLinkToken.used_dt.is_(None))
        .values(expires_dt=now)
    )
    token = secrets.token_urlsafe(24)  # 32 characters of A-Z a-z 0-9 _ -: what a start parameter allows
    db.session.add(
        TelegramLinkToken(
            school_id=getattr(school, "id", None),
            user_id=user.id,
            token_hash=_hash(token),
            created_dt=now,
            expires_dt=now + ttl,
        )
    )
    db.session.flush()
    record(actor, school, "messages.telegram_link_started", user)
    return token


def deep_link(token: str) -> str:
    name = str(current_app.config.get("TELEGRAM_BOT_NAME") or "").lstrip("@")
    return f"https://t.me/{name}?start={token}"


@cross_school("a link token's secret names its person")
def pending_token(user: User, token: str | None, now: dt.datetime | None = None) -> bool:
    """True while `token` (kept in the person's session) is this person's, unused and not expired."""
    if not token:
        return False
    now = now or now_utc()
    row = db.session.scalar(sa.select(TelegramLinkToken).where(TelegramLinkToken.token_hash == _hash(token)))
    return row is not None and row.user_id == user.id and row.used_dt is None and row.expires_dt > now


@cross_school("a link token's secret names its person")
def link_chat(token: str, chat_id: int, username: str = "", now: dt.datetime | None = None) -> User | None:
    """The bot got ``/start <token>`` from `chat_id`: link it to the token's person (single use, not
    expired). None when the token is unknown, used or expired. No commit."""
    now = now or now_utc()
    if not token or len(token) > 64:
        return None
    row = db.session.scalar(sa.select(TelegramLinkToken).where(TelegramLinkToken.token_hash == _hash(token)))
    if row is None or row.used_dt is not None or row.expires_dt <= now:
        return None
    taken = db.session.execute(
        sa.update(TelegramLinkToken)
        .where(TelegramLinkToken.id == row.id, TelegramLinkToken.used_dt.is_(None))
        .values(used_dt=now)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        return None
    user = db.session.get(User, row.user_id)
    if user is None or not user.is_enabled:
        return None
    # a chat belongs to one person; a person has one chat
    db.session.execute(
        sa.delete(TelegramLink).where(sa.or_(TelegramLink.chat_id == chat_id, TelegramLink.user_id == user.id))
    )
    db.session.add(TelegramLink(user_id=user.id, chat_id=chat_id, username=(username or "")[:64], linked_dt=now))
    db.session.flush()
    school = db.session.get(School, row.school_id) if row.school_id else None
    record(None, school, "messages.telegram_linked", user)
    return user


def unlink(actor: User | None, school: School | None, user: User) -> bool:
    """Forget the person's chat: messages go by SMS again. No commit."""
    link = link_of(user)
    if link is None:
        return False
    db.session.delete(link)
    db.session.flush()
    record(actor, school, "messages.telegram_unlinked", user)
    return True


# ------------------------------------------------------------------ updates (webhook and polling)


def secret_ok(header: str | None, app: Flask | None = None) -> bool:
    """X-Telegram-Bot-Api-Secret-Token equals TELEGRAM_WEBHOOK_SECRET (none set: the webhook is off)."""
    app = app or current_app
    secret = str(app.config.get("TELEGRAM_WEBHOOK_SECRET") or "")
    return bool(secret) and bool(header) and hmac.compare_digest(secret.encode(), (header or "").encode())


@dataclass
class Reply:
    """What to tell Telegram after an update: answer a button press, or say something in the chat."""

    method: str  # "answerCallbackQuery" or "sendMessage"
    params: dict

    def as_webhook_answer(self) -> dict:
        return {"method": self.method, **self.params}


def _locale_of(user: User | None) -> str:
    from ..config import LANGUAGES

    loc = getattr(user, "locale", None)
    return loc if loc in LANGUAGES else current_app.config["DEFAULT_LOCALE"]


def handle_update(update, now: dt.datetime | None = None) -> Reply | None:
    """Apply one bot update (a telebot ``Update``) once: ``/start <token>`` links the chat, a "Read" press
    marks the message read. Returns what to answer. No commit."""
    now = now or now_utc()
    if update is None or update.update_id is None:
        return None
    if db.session.scalar(sa.select(TelegramUpdate.id).where(TelegramUpdate.update_id == update.update_id)):
        return None
    try:
        with db.session.begin_nested():
            db.session.add(TelegramUpdate(update_id=update.update_id, received_dt=now))
    except sa.exc.IntegrityError:
        return None  # a concurrent copy won
    if update.callback_query is not None:
        return _callback(update.callback_query, now)
    msg = update.message
    if msg is None or not msg.text or msg.chat is None or msg.chat.type != "private":
        return None
    parts = msg.text.strip().split(maxsplit=1)
    if not parts or parts[0].split("@", 1)[0] != "/start":
        return None
    user = link_chat(
        parts[1].strip() if len(parts) > 1 else "", msg.chat.id, getattr(msg.from_user, "username", "") or "", now
    )
    with force_locale(_locale_of(user)):
        text = (
            _("SafetyOps: linked. Reminders and alerts will come here; SMS follows if Telegram fails.")
            if user is not None
            else _("SafetyOps: this link is not valid or has expired. Open a new one from your profile.")
        )
    return Reply("sendMessage", {"chat_id": msg.chat.id, "text": text})


def _callback(cq, now: dt.datetime) -> Reply:
    data = cq.data or ""
    chat_id = cq.message.chat.id if cq.message is not None and cq.message.chat is not None else cq.from_user.id
    user = None
    if data.startswith(READ_PREFIX) and data[len(READ_PREFIX) :].isdigit():
        msg_id = int(data[len(READ_PREFIX) :])
        link = db.session.scalar(sa.select(TelegramLink).where(TelegramLink.chat_id == chat_id))
        row = db.session.get(OutboundMessage, msg_id) if msg_id < 2**62 else None
        if link is not None and row is not None and row.user_id == link.user_id and row.channel == Channel.TELEGRAM:
            user = db.session.get(User, link.user_id)
            if row.read_dt is None:
                row.read_dt = now
                if row.status in (MessageStatus.SENT, MessageStatus.UNKNOWN, MessageStatus.SENDING):
                    row.status = MessageStatus.DELIVERED
                    row.status_dt = now
    with force_locale(_locale_of(user)):
        text = _("Thank you, marked as read.") if user is not None else _("This message is no longer linked.")
    return Reply("answerCallbackQuery", {"callback_query_id": cq.id, "text": text})


def parse_update(payload: dict):
    from telebot.types import Update

    try:
        return Update.de_json(payload)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def poll(now: dt.datetime, gw: TelegramGateway | None = None) -> int:
    """getUpdates from the last update seen (when no webhook secret is set), apply each, answer each."""
    if not enabled() or current_app.config.get("TELEGRAM_WEBHOOK_SECRET"):
        return 0
    gw = gw or gateway()
    last = db.session.scalar(sa.select(sa.func.max(TelegramUpdate.update_id)))
    db.session.commit()  # no transaction open while Telegram is called
    updates = gw.updates(last + 1 if last is not None else None)
    if not updates:
        return 0
    replies = []
    for update in updates:
        reply = handle_update(update, now)
        if reply is not None:
            replies.append(reply)
    db.session.commit()
    for reply in replies:
        if reply.method == "answerCallbackQuery":
            gw.answer_callback(reply.params["callback_query_id"], reply.params["text"])
        else:
            gw.reply(reply.params["chat_id"], reply.params["text"])
    return len(updates)
