"""The dispatcher: sends queued outbox rows through the configured gateway.

At-most-once per row. A row is claimed (status ``sending``, committed) BEFORE the
provider is called; if the process dies before the answer is stored, the row stays
``sending`` and the recovery pass marks it ``unknown`` (or reconciles it): it is never
sent again blindly. On PostgreSQL rows are claimed with ``FOR UPDATE SKIP LOCKED``,
so several dispatchers never take the same row; SQLite serialises writers
(``BEGIN IMMEDIATE``) and the claim's ``status = 'queued'`` guard does the rest.

Outcomes (see gateways.py): accepted -> sent; retry -> queued again after a backoff
with jitter; failed -> failed (and the person's phone flagged on a terminal error);
unknown -> unknown (reconciled later by SID when the provider gave one).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask, current_app

from ..extensions import db
from ..scoping import cross_school
from ..time import now_utc
from . import routes, telegram
from .gateways import Gateway, SendResult, build_gateway
from .latin import sms_body
from .models import (
    STATUS_RANK,
    BlockReason,
    Channel,
    MessageStatus,
    NotificationPreference,
    OutboundMessage,
    PhoneFlag,
    PhoneOptOut,
    StatusEvent,
)
from .outbox import wake_event

log = logging.getLogger("safetyops.sms")

BATCH = 50
MAX_ATTEMPTS = 6
BACKOFF_BASE_S = 30
BACKOFF_CAP_S = 3600
#: A row ``sending`` for longer than this was left by a dispatcher that died.
SENDING_STALE_S = 120
#: A claim (reserved, not yet sending) of a dispatcher that died is taken over after this.
CLAIM_LEASE_S = 120
#: Sent rows without a final status are looked up this often (when there is no callback).
RECONCILE_EVERY_S = 600
RECONCILE_FOR_S = 2 * 86400
#: An unknown message without a SID is looked up by recipient and send time this long after the send…
UNKNOWN_LOOKUP_AFTER_S = 60
#: …and again every so often; when the provider still has no such message this long after the send,
#: it was not sent: failed (not-at-provider), and "Send again" needs no warning.
UNKNOWN_GIVE_UP_S = 900

#: Twilio's message statuses -> ours.
PROVIDER_STATUS = {
    "accepted": MessageStatus.SENT,
    "scheduled": MessageStatus.SENT,
    "queued": MessageStatus.SENT,
    "sending": MessageStatus.SENT,
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.DELIVERED,
    "undelivered": MessageStatus.UNDELIVERED,
    "failed": MessageStatus.FAILED,
    "canceled": MessageStatus.FAILED,
}


def gateway(app: Flask | None = None) -> Gateway:
    """The configured gateway, built once per app."""
    app = app or current_app._get_current_object()
    gw = app.extensions.get("safetyops_sms_gateway")
    if gw is None:
        gw = build_gateway(app.config["SMS_GATEWAY"], app.config)
        app.extensions["safetyops_sms_gateway"] = gw
    return gw


def status_callback_url(app: Flask | None = None, message_id: int | None = None) -> str | None:
    """Twilio's StatusCallback; with the outbox row's own id (``?m=``), so that the callback resolves a
    message whose create call timed out (no SID stored)."""
    app = app or current_app
    base = (app.config.get("PUBLIC_URL") or "").rstrip("/")
    if not base:
        return None
    return f"{base}/messages/twilio/status" + (f"?m={message_id}" if message_id is not None else "")


def backoff_seconds(attempts: int, retry_after: float | None = None, rng: random.Random | None = None) -> float:
    """Exponential backoff with jitter (half fixed, half random), never less than Retry-After."""
    rng = rng or random
    ceiling = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** max(0, attempts - 1))
    delay = ceiling / 2 + rng.uniform(0, ceiling / 2)
    return max(delay, retry_after or 0)


# --------------------------------------------------------------------------- quiet hours


def in_quiet_hours(local: dt.time, start: dt.time | None, end: dt.time | None) -> bool:
    if start is None or end is None or start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def quiet_end_after(now: dt.datetime, tz_name: str, end: dt.time) -> dt.datetime:
    from zoneinfo import ZoneInfo

    local = now.astimezone(ZoneInfo(tz_name))
    candidate = dt.datetime.combine(local.date(), end, tzinfo=ZoneInfo(tz_name))
    if candidate <= local:
        candidate = dt.datetime.combine(local.date() + dt.timedelta(days=1), end, tzinfo=ZoneInfo(tz_name))
    return candidate.astimezone(dt.UTC)


# --------------------------------------------------------------------------- claiming


def _is_pg() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def expire_due(now: dt.datetime) -> int:
    """Queued rows past their expiry become expired."""
    res = db.session.execute(
        sa.update(OutboundMessage)
        .where(OutboundMessage.status == MessageStatus.QUEUED, OutboundMessage.expires_dt.is_not(None),
               OutboundMessage.expires_dt < now)
        .values(status=MessageStatus.EXPIRED, status_dt=now)
    )
    db.session.commit()
    return res.rowcount or 0


@dataclass
class Job:
    """What the sender needs of a claimed row (read before the claim commits)."""

    id: int
    to_phone: str
    body: str
    channel: str
    user_id: int | None
    attempts: int
    expires_dt: dt.datetime | None
    #: Telegram: the linked chat, read at claim time; the "Read" button for urgent alerts.
    chat_id: int | None = None
    is_urgent: bool = False
    locale: str = "ky"


@cross_school("the dispatcher sends every school's messages")
def claim(now: dt.datetime, limit: int = BATCH, ids: list[int] | None = None, holder: str = "") -> list[Job]:
    """Reserve up to `limit` due rows for this pass (claimed_by), after checking opt-out and quiet hours.

    Rows stay ``queued`` until the moment each one is sent (see `run_pass`): a dispatcher that
    dies leaves its unsent rows to be claimed again once the claim is stale."""
    from ..schools.models import School

    lease = float(current_app.config.get("SMS_CLAIM_LEASE_S", CLAIM_LEASE_S))
    q = (sa.select(OutboundMessage)
         .where(OutboundMessage.status == MessageStatus.QUEUED,
                sa.or_(OutboundMessage.next_attempt_dt.is_(None), OutboundMessage.next_attempt_dt <= now),
                sa.or_(OutboundMessage.claimed_by.is_(None),
                       OutboundMessage.claimed_dt < now - dt.timedelta(seconds=lease)))
         .order_by(OutboundMessage.is_urgent.desc(), OutboundMessage.id)
         .limit(limit))
    if ids is not None:
        q = q.where(OutboundMessage.id.in_(ids))
    if _is_pg():
        q = q.with_for_update(skip_locked=True)
    rows = list(db.session.scalars(q))
    if not rows:
        db.session.commit()
        return []
    phones = {r.to_phone for r in rows if r.to_phone}
    stopped = set(db.session.scalars(sa.select(PhoneOptOut.phone).where(PhoneOptOut.phone.in_(phones))))
    user_ids = {r.user_id for r in rows if r.user_id and not r.is_urgent}
    prefs = {p.user_id: p for p in db.session.scalars(
        sa.select(NotificationPreference).where(NotificationPreference.user_id.in_(user_ids)))} if user_ids else {}
    school_ids = {r.school_id for r in rows if r.school_id}
    zones = dict(db.session.execute(sa.select(School.id, School.timezone).where(School.id.in_(school_ids))).all()) \
        if school_ids else {}
    default_tz = current_app.config["DEFAULT_TIMEZONE"]
    from .budget import Left

    money = Left({r.school_id for r in rows if r.school_id and not r.is_urgent}, zones, now)
    chats = telegram.chats_for(r.user_id for r in rows if r.channel == Channel.TELEGRAM)
    jobs = []
    for row in rows:
        if row.channel == Channel.TELEGRAM and row.user_id not in chats:  # unlinked since: by SMS
            row.channel = Channel.SMS
            row.body = sms_body(row.body, row.is_latin)  # Telegram kept the text as written
            if not row.to_phone:
                _set(row, MessageStatus.BLOCKED, now, blocked_reason=BlockReason.NO_PHONE)
                continue
        if row.channel == Channel.TELEGRAM:
            pass  # free, and a STOP to the SMS number does not stop Telegram
        elif row.to_phone in stopped:
            _set(row, MessageStatus.BLOCKED, now, blocked_reason=BlockReason.OPTED_OUT)
            continue
        elif not row.is_urgent and not money.take(row.school_id, row.body):  # urgent alerts always go
            _set(row, MessageStatus.BLOCKED, now, blocked_reason=BlockReason.BUDGET)
            continue
        pref = prefs.get(row.user_id) if not row.is_urgent else None
        if pref is not None:
            from zoneinfo import ZoneInfo

            tz_name = zones.get(row.school_id, default_tz)
            local = now.astimezone(ZoneInfo(tz_name)).time()
            if in_quiet_hours(local, pref.quiet_start, pref.quiet_end):
                later = quiet_end_after(now, tz_name, pref.quiet_end)
                if row.expires_dt is not None and later > row.expires_dt:
                    _set(row, MessageStatus.BLOCKED, now, blocked_reason=BlockReason.QUIET_HOURS)
                else:
                    row.next_attempt_dt = later
                continue
        row.claimed_by = holder
        row.claimed_dt = now
        jobs.append(Job(row.id, row.to_phone, row.body, row.channel.value, row.user_id, row.attempts,
                        row.expires_dt, chats.get(row.user_id), row.is_urgent, row.locale))
    jobs = merge_jobs(jobs, {r.id: r for r in rows}, now)
    db.session.commit()
    return jobs


def merged_text(bodies: list[str]) -> str:
    """Several texts as one message, one per line; a prefix they all share ("SafetyOps: ") once."""
    head = bodies[0].split(": ", 1)[0] + ": " if ": " in bodies[0] else ""
    if head and len(head) <= 16 and all(b.startswith(head) for b in bodies):
        return head + "\n".join(b[len(head):] for b in bodies)
    return "\n".join(bodies)


def pack(bodies: list[str], max_segments: int) -> list[list[int]]:
    """Indexes of `bodies` grouped greedily (in order) so that each group's merged text fits in
    `max_segments` SMS parts; a text that is longer alone stays alone."""
    from . import segments

    groups: list[list[int]] = []
    for i in range(len(bodies)):
        if groups and segments.count(merged_text([bodies[j] for j in groups[-1]] + [bodies[i]])).segments \
                <= max_segments:
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups


def merge_jobs(jobs: list[Job], rows: dict[int, OutboundMessage], now: dt.datetime) -> list[Job]:
    """Reminders due together for one person (same number and channel) go out as one message.

    The first row of each group carries the merged text; the others become ``blocked`` (merged)
    with ``merged_into_id`` pointing at it, in the same commit as the claim. Urgent rows are never
    merged. SMS_MERGE_MAX_SEGMENTS (default 2) caps the merged text: merging never costs more parts
    than the separate messages would."""
    max_segments = int(current_app.config.get("SMS_MERGE_MAX_SEGMENTS", 2))
    if max_segments < 1:
        return jobs
    by_person: dict[tuple, list[Job]] = {}
    for job in jobs:
        if job.user_id is not None and not rows[job.id].is_urgent:
            by_person.setdefault((job.user_id, job.to_phone, job.channel), []).append(job)
    dropped: set[int] = set()
    for group in by_person.values():
        if len(group) < 2:
            continue
        for idx in pack([j.body for j in group], max_segments):
            if len(idx) < 2:
                continue
            first, rest = group[idx[0]], [group[i] for i in idx[1:]]
            first.body = merged_text([first.body] + [j.body for j in rest])
            rows[first.id].body = first.body
            for job in rest:
                _set(rows[job.id], MessageStatus.BLOCKED, now, blocked_reason=BlockReason.MERGED,
                     merged_into_id=first.id, claimed_by=None)
                dropped.add(job.id)
    return [j for j in jobs if j.id not in dropped]


_MARK_SENDING = None


def _mark_sending(job: Job, holder: str, now: dt.datetime) -> bool:
    """queued -> sending for this one row, only if this pass still holds its claim (no commit)."""
    global _MARK_SENDING
    if _MARK_SENDING is None:  # built once: this runs for every message
        _MARK_SENDING = (
            sa.update(OutboundMessage)
            .where(OutboundMessage.id == sa.bindparam("mid"), OutboundMessage.status == MessageStatus.QUEUED,
                   OutboundMessage.claimed_by == sa.bindparam("holder"))
            .values(status=MessageStatus.SENDING, attempts=OutboundMessage.attempts + 1,
                    claimed_dt=sa.bindparam("now", type_=OutboundMessage.__table__.c.claimed_dt.type),
                    status_dt=sa.bindparam("now2", type_=OutboundMessage.__table__.c.status_dt.type))
            .execution_options(synchronize_session=False))
    res = db.session.execute(_MARK_SENDING, {"mid": job.id, "holder": holder, "now": now, "now2": now})
    if res.rowcount == 1:
        job.attempts += 1
        return True
    return False


def _set(row: OutboundMessage, status: MessageStatus, now: dt.datetime, **values) -> None:
    row.status = status
    row.status_dt = now
    for k, v in values.items():
        setattr(row, k, v)


# --------------------------------------------------------------------------- results


def flag_phone(user_id: int | None, phone: str, code: str | None, message: str | None, now: dt.datetime) -> None:
    if not user_id or not phone:
        return
    flag = db.session.scalar(sa.select(PhoneFlag).where(PhoneFlag.user_id == user_id, PhoneFlag.phone == phone))
    if flag is None:
        flag = PhoneFlag(user_id=user_id, phone=phone)
        db.session.add(flag)
    flag.error_code = code or ""
    flag.error_message = (message or "")[:500]
    flag.flagged_dt = now
    flag.is_resolved = False


def record_opt_out(phone: str, keyword: str, now: dt.datetime) -> bool:
    """Remember that `phone` said STOP; True when it is new."""
    if not phone or db.session.scalar(sa.select(PhoneOptOut.id).where(PhoneOptOut.phone == phone)):
        return False
    db.session.add(PhoneOptOut(phone=phone, keyword=keyword[:40], created_dt=now))
    return True


def apply_result(job: Job, result: SendResult, gateway_name: str, now: dt.datetime) -> None:
    """Store what the provider said about a send (no commit)."""
    values: dict = {
        "gateway": gateway_name,
        "provider_status": (result.status or "")[:40],
        "error_code": (result.error_code or "")[:20],
        "error_message": (result.error_message or "")[:500],
        "status_dt": now,
    }
    if result.provider_id:
        values["provider_id"] = result.provider_id
    if result.outcome == "accepted":
        status = PROVIDER_STATUS.get((result.status or "").lower(), MessageStatus.SENT)
        values.update(status=status if status != MessageStatus.FAILED else MessageStatus.SENT, sent_dt=now,
                      next_attempt_dt=now + dt.timedelta(seconds=RECONCILE_EVERY_S))
    elif result.outcome == "retry":
        expired = job.expires_dt is not None and job.expires_dt <= now
        if job.attempts >= int(current_app.config.get("SMS_MAX_ATTEMPTS", MAX_ATTEMPTS)) or expired:
            values["status"] = MessageStatus.EXPIRED if expired else MessageStatus.FAILED
        else:
            values.update(status=MessageStatus.QUEUED, claimed_by=None,
                          next_attempt_dt=now + dt.timedelta(seconds=backoff_seconds(job.attempts,
                                                                                     result.retry_after)))
    elif result.outcome == "failed":
        values["status"] = MessageStatus.FAILED
        if result.is_terminal_phone_error:
            flag_phone(job.user_id, job.to_phone, result.error_code, result.error_message, now)
        if result.error_code == "21610":
            record_opt_out(job.to_phone, "provider:21610", now)
    else:
        values.update(status=MessageStatus.UNKNOWN,
                      next_attempt_dt=now + dt.timedelta(seconds=RECONCILE_EVERY_S if result.provider_id
                                                         else UNKNOWN_LOOKUP_AFTER_S))
    db.session.execute(sa.update(OutboundMessage).where(OutboundMessage.id == job.id).values(**values)
                       .execution_options(synchronize_session=False))


def send_one(job: Job, gw: Gateway, callback: str | None) -> SendResult:
    try:
        return gw.send(job.to_phone, job.body, channel=job.channel, status_callback=callback)
    except Exception as exc:  # noqa: BLE001 - a gateway must not raise; if it does the outcome is unknown
        log.exception("gateway %s raised for message %s", getattr(gw, "name", "?"), job.id)
        return SendResult("unknown", None, "gateway-error", None, f"{type(exc).__name__}: {exc}")


@cross_school("a provider's callback names its message id, not a school")
def apply_provider_status(provider_id: str, provider_status: str, error_code: str | None = None,
                          error_message: str | None = None, now: dt.datetime | None = None) -> bool:
    """A status report from the provider (callback or lookup). Applied once per (SID, status);
    never moves a message backwards. Returns True when it changed something. No commit."""
    now = now or now_utc()
    provider_status = (provider_status or "").lower()[:40]
    if not provider_id or not provider_status:
        return False
    row = db.session.scalar(sa.select(OutboundMessage).where(OutboundMessage.provider_id == provider_id))
    if row is None:
        return False
    dup = db.session.scalar(sa.select(StatusEvent.id).where(StatusEvent.provider_id == provider_id,
                                                            StatusEvent.provider_status == provider_status))
    if dup is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(StatusEvent(provider_id=provider_id, provider_status=provider_status, received_dt=now))
    except sa.exc.IntegrityError:
        return False  # a concurrent copy of the same callback won
    new = PROVIDER_STATUS.get(provider_status)
    if new is None or STATUS_RANK[new] <= STATUS_RANK[row.status]:
        return False
    row.provider_status = provider_status
    if error_code:
        row.error_code = str(error_code)[:20]
        row.error_message = (error_message or "")[:500]
    elif new == MessageStatus.DELIVERED:  # a later delivery clears an earlier error (30003 then delivered)
        row.error_code, row.error_message = "", ""
    if new in (MessageStatus.SENT,):
        row.sent_dt = row.sent_dt or now
    if new in (MessageStatus.DELIVERED, MessageStatus.UNDELIVERED, MessageStatus.FAILED):
        row.next_attempt_dt = None
    _set(row, new, now)
    if new in (MessageStatus.UNDELIVERED, MessageStatus.FAILED) and error_code:
        from .gateways import TERMINAL_PHONE_CODES

        if str(error_code) in TERMINAL_PHONE_CODES:
            flag_phone(row.user_id, row.to_phone, str(error_code), error_message, now)
    return True


# --------------------------------------------------------------------------- passes


@cross_school("the dispatcher's sweep over every school's messages")
def recover(now: dt.datetime, gw: Gateway, picker: routes.Picker | None = None) -> int:
    """Rows left ``sending`` by a dispatcher that died: unknown (never resent). Each keeps the name of the
    gateway that had it (the school's route), so that it is looked up there."""
    stale = now - dt.timedelta(seconds=float(current_app.config.get("SMS_SENDING_STALE_S", SENDING_STALE_S)))
    rows = list(db.session.scalars(sa.select(OutboundMessage).where(
        OutboundMessage.status == MessageStatus.SENDING, OutboundMessage.claimed_dt < stale)
        .limit(500)))
    if picker is not None:
        picker.load(r.id for r in rows)
    for row in rows:
        name = row.gateway or (picker.name_for(row.id) if picker is not None else getattr(gw, "name", ""))
        _set(row, MessageStatus.UNKNOWN, now, gateway=name,
             provider_status="interrupted", next_attempt_dt=now,
             error_message="The sender stopped before the provider answered; check before resending.")
    db.session.commit()
    return len(rows)


@cross_school("the dispatcher's sweep over every school's messages")
def reconcile(now: dt.datetime, gw: Gateway, limit: int = BATCH, picker: routes.Picker | None = None) -> int:
    """Look up messages with a SID but no final status (no callback came, or the send timed out)."""
    rows = list(db.session.scalars(sa.select(OutboundMessage).where(
        OutboundMessage.status.in_([MessageStatus.SENT, MessageStatus.UNKNOWN]),
        OutboundMessage.provider_id.is_not(None), OutboundMessage.channel != Channel.TELEGRAM,
        OutboundMessage.next_attempt_dt.is_not(None), OutboundMessage.next_attempt_dt <= now,
        OutboundMessage.created_dt > now - dt.timedelta(seconds=RECONCILE_FOR_S))
        .order_by(OutboundMessage.next_attempt_dt).limit(limit)))
    changed = 0
    for row in rows:
        rgw = picker.for_name(row.gateway) if picker is not None else gw  # the gateway that sent it
        try:
            found = rgw.fetch(row.provider_id) if rgw is not None else None
        except Exception:  # noqa: BLE001
            log.exception("lookup of %s failed", row.provider_id)
            found = None
        row.next_attempt_dt = now + dt.timedelta(seconds=RECONCILE_EVERY_S)
        if found is not None and found.status:
            changed += apply_provider_status(row.provider_id, found.status, found.error_code, found.error_message,
                                             now)
        db.session.commit()
    return changed


@cross_school("the dispatcher's sweep over every school's messages")
def resolve_unknown(now: dt.datetime, gw: Gateway, limit: int = BATCH, picker: routes.Picker | None = None) -> int:
    """Unknown messages without a SID (timeout, lost answer, interrupted sender, 5xx): look them up by
    recipient and send time (gateways with ``find``). Found with the same text: the SID is stored and its
    status applied. Still not there UNKNOWN_GIVE_UP_S after the send: failed (not-at-provider)."""
    if picker is None and getattr(gw, "find", None) is None:
        return 0
    rows = list(db.session.scalars(sa.select(OutboundMessage).where(
        OutboundMessage.status == MessageStatus.UNKNOWN, OutboundMessage.provider_id.is_(None),
        OutboundMessage.channel != Channel.TELEGRAM,
        OutboundMessage.next_attempt_dt.is_not(None), OutboundMessage.next_attempt_dt <= now,
        OutboundMessage.created_dt > now - dt.timedelta(seconds=RECONCILE_FOR_S))
        .order_by(OutboundMessage.next_attempt_dt).limit(limit)))
    changed = 0
    for row in rows:
        find = getattr(picker.for_name(row.gateway) if picker is not None else gw, "find", None)
        if find is None:  # no look-up by recipient (SMPP, console): it stays unknown (answer lost)
            row.next_attempt_dt = None
            db.session.commit()
            continue
        sent_at = row.claimed_dt or row.status_dt or row.created_dt
        db.session.commit()  # no transaction open while the provider is called
        found = find(row.to_phone, sent_at - dt.timedelta(minutes=2), channel=row.channel.value)
        row = db.session.get(OutboundMessage, row.id)
        if row is None or row.status != MessageStatus.UNKNOWN or row.provider_id:
            continue
        if found is None:  # the lookup failed: ask again later
            row.next_attempt_dt = now + dt.timedelta(seconds=RECONCILE_EVERY_S)
        else:
            taken = set(db.session.scalars(sa.select(OutboundMessage.provider_id).where(
                OutboundMessage.provider_id.in_([sid for sid, _, _ in found]))))
            match = next(((sid, r) for sid, body, r in found if body == row.body and sid not in taken), None)
            if match is not None:
                row.provider_id = match[0]
                row.next_attempt_dt = now + dt.timedelta(seconds=RECONCILE_EVERY_S)
                row.sent_dt = row.sent_dt or sent_at
                db.session.flush()
                _set(row, MessageStatus.SENT, now, provider_status="found")
                if match[1].status:
                    apply_provider_status(match[0], match[1].status, match[1].error_code,
                                          match[1].error_message, now)
                changed += 1
            elif now - sent_at >= dt.timedelta(seconds=float(current_app.config.get("SMS_UNKNOWN_GIVE_UP_S",
                                                                                    UNKNOWN_GIVE_UP_S))):
                _set(row, MessageStatus.FAILED, now, provider_status="not-at-provider", next_attempt_dt=None,
                     error_message="The provider has no such message: it was not sent.")
                changed += 1
            else:
                row.next_attempt_dt = now + dt.timedelta(seconds=UNKNOWN_LOOKUP_AFTER_S * 5)
        db.session.commit()
    return changed


def resolve_by_callback(message_id: int, provider_id: str, to: str) -> bool:
    """A status callback for our row `message_id` (StatusCallback ``?m=``) whose SID we never got (the
    create call timed out): store the SID. The number must match. No commit."""
    row = db.session.get(OutboundMessage, message_id)
    if row is None or row.provider_id or not provider_id:
        return False
    if row.status not in (MessageStatus.UNKNOWN, MessageStatus.SENDING):
        return False
    if to and to.removeprefix("whatsapp:") != row.to_phone:
        return False
    if db.session.scalar(sa.select(OutboundMessage.id).where(OutboundMessage.provider_id == provider_id)
                        .execution_options(cross_school="a provider's message id is unique across schools")):
        return False
    row.provider_id = provider_id
    row.sent_dt = row.sent_dt or now_utc()
    _set(row, MessageStatus.SENT, now_utc(), provider_status="callback")
    db.session.flush()
    return True


def _store(job: Job, result: SendResult, gateway_name: str, now: dt.datetime) -> None:
    if job.channel == Channel.TELEGRAM:
        apply_result(job, result, "telegram", now)
        telegram.after_send(job, result, now)
    else:
        apply_result(job, result, gateway_name, now)


@dataclass
class PassResult:
    sent: int = 0
    claimed: int = 0
    recovered: int = 0
    expired: int = 0
    reconciled: int = 0
    resolved: int = 0


def run_pass(now: dt.datetime | None = None, gw: Gateway | None = None, *, max_batches: int = 1000,
             housekeeping: bool = True, ids: list[int] | None = None,
             tg: telegram.TelegramGateway | None = None) -> PassResult:
    """Send everything due now, batch by batch; then recovery and reconciliation.

    Each row goes queued -> sending in a committed transaction just before its provider call,
    and that same transaction stores the previous row's result: one commit per message, and a
    crash at any point leaves at most one row ``sending`` (later: unknown), never a row sent
    twice or a claimed row forgotten."""
    app = current_app._get_current_object()
    picker = routes.Picker(app, gw)  # each message goes by its school's route unless `gw` is given
    gw = gw or gateway(app)
    with_callback = status_callback_url(app) is not None
    holder = uuid.uuid4().hex[:16]
    fixed_now = now
    out = PassResult()
    if housekeeping:
        now = fixed_now or now_utc()
        out.recovered = recover(now, gw, picker)
        out.expired = expire_due(now)
    for _ in range(max_batches):
        jobs = claim(fixed_now or now_utc(), BATCH, ids, holder)
        if not jobs:
            break
        out.claimed += len(jobs)
        picker.load(j.id for j in jobs)
        pending: tuple[Job, SendResult] | None = None
        for job in jobs:
            if pending is not None:
                _store(*pending, picker.name_for(pending[0].id), fixed_now or now_utc())
                pending = None
            marked = _mark_sending(job, holder, fixed_now or now_utc())
            db.session.commit()
            if not marked:
                continue
            if job.channel == Channel.TELEGRAM:
                tg = tg or telegram.gateway(app)
                result = telegram.send(job, tg)
            else:
                try:
                    job_gw = picker.for_message(job.id)
                except ValueError as exc:  # the school's gateway is not configured on this server: not sent
                    result = SendResult("retry", None, "gateway-unavailable", None, str(exc))
                else:
                    result = send_one(job, job_gw, status_callback_url(app, job.id) if with_callback else None)
            pending = (job, result)
            out.sent += result.outcome == "accepted"
        if pending is not None:
            _store(*pending, picker.name_for(pending[0].id), fixed_now or now_utc())
            db.session.commit()
    if housekeeping:
        out.reconciled = reconcile(fixed_now or now_utc(), gw, picker=picker)
        out.resolved = resolve_unknown(fixed_now or now_utc(), gw, picker=picker)
    return out


# --------------------------------------------------------------------------- thread


class DispatcherThread(threading.Thread):
    """Sends after each commit that queued messages (woken by the outbox) and every `poll` seconds."""

    def __init__(self, app: Flask, poll: float = 5.0, housekeeping_every: float = 60.0) -> None:
        super().__init__(name="safetyops-dispatcher", daemon=True)
        self.app = app
        self.poll = poll
        self.housekeeping_every = housekeeping_every
        self.stop_event = threading.Event()

    def run(self) -> None:
        import time

        last_housekeeping = 0.0
        while not self.stop_event.is_set():
            wake_event.clear()
            try:
                with self.app.app_context():
                    full = time.monotonic() - last_housekeeping >= self.housekeeping_every
                    run_pass(housekeeping=full)
                    if full:
                        last_housekeeping = time.monotonic()
                    db.session.remove()
            except Exception:  # noqa: BLE001 - keep the thread alive; the next pass retries
                log.exception("dispatch pass failed")
            wake_event.wait(self.poll)

    def stop(self) -> None:
        self.stop_event.set()
        wake_event.set()
