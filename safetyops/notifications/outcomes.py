"""What became of each message the dispatcher sent: a send's result stored (`apply_result`; a retry is
queued again after `backoff_seconds`), the provider's status reports (callbacks and look-ups:
`apply_provider_status`, once per (SID, status), never backwards; `resolve_by_callback`), the phones
flagged and the STOPs remembered, and the dispatcher's recovery passes: rows left ``sending`` become
unknown (`recover`), sent and unknown rows are looked up at the provider (`reconcile`, `resolve_unknown`).
`dispatcher` claims and sends; it re-exports these names."""

from __future__ import annotations

import datetime as dt
import logging
import random
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..scoping import cross_school
from ..time import now_utc
from . import routes
from .gateways import Gateway, SendResult
from .models import (
    STATUS_RANK,
    Channel,
    MessageStatus,
    OutboundMessage,
    PhoneFlag,
    PhoneOptOut,
    StatusEvent,
)

if TYPE_CHECKING:
    from .dispatcher import Job

log = logging.getLogger("safetyops.sms")

#: Rows per batch: of a claim (dispatcher.claim) and of a look-up pass.
BATCH = 50
MAX_ATTEMPTS = 6
BACKOFF_BASE_S = 30
BACKOFF_CAP_S = 3600
#: A row ``sending`` for longer than this was left by a dispatcher that died.
SENDING_STALE_S = 120
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


def backoff_seconds(attempts: int, retry_after: float | None = None, rng: random.Random | None = None) -> float:
    """Exponential backoff with jitter (half fixed, half random), never less than Retry-After."""
    rng = rng or random  # type: ignore[assignment]  # the module's functions: the same uniform()
    ceiling = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** max(0, attempts - 1))
    delay = ceiling / 2 + rng.uniform(0, ceiling / 2)
    return max(delay, retry_after or 0)


def set_status(row: OutboundMessage, status: MessageStatus, now: dt.datetime, **values) -> None:
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
    set_status(row, new, now)
    if new in (MessageStatus.UNDELIVERED, MessageStatus.FAILED) and error_code:
        from .gateways import TERMINAL_PHONE_CODES

        if str(error_code) in TERMINAL_PHONE_CODES:
            flag_phone(row.user_id, row.to_phone, str(error_code), error_message, now)
    return True


# --------------------------------------------------------------------------- recovery passes


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
        set_status(row, MessageStatus.UNKNOWN, now, gateway=name,
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
                set_status(row, MessageStatus.SENT, now, provider_status="found")
                if match[1].status:
                    apply_provider_status(match[0], match[1].status, match[1].error_code,
                                          match[1].error_message, now)
                changed += 1
            elif now - sent_at >= dt.timedelta(seconds=float(current_app.config.get("SMS_UNKNOWN_GIVE_UP_S",
                                                                                    UNKNOWN_GIVE_UP_S))):
                set_status(row, MessageStatus.FAILED, now, provider_status="not-at-provider", next_attempt_dt=None,
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
    set_status(row, MessageStatus.SENT, now_utc(), provider_status="callback")
    db.session.flush()
    return True
