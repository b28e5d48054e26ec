"""The dispatcher: sends queued outbox rows through the configured gateway.

At-most-once per row. A row is claimed (status ``sending``, committed) BEFORE the
provider is called; if the process dies before the answer is stored, the row stays
``sending`` and the recovery pass marks it ``unknown`` (or reconciles it): it is never
sent again blindly. On PostgreSQL rows are claimed with ``FOR UPDATE SKIP LOCKED``,
so several dispatchers never take the same row; SQLite serialises writers
(``BEGIN IMMEDIATE``) and the claim's ``status = 'queued'`` guard does the rest.

Outcomes (see gateways.py): accepted -> sent; retry -> queued again after a backoff
with jitter; failed -> failed (and the person's phone flagged on a terminal error);
unknown -> unknown (reconciled later by SID when the provider gave one). Storing the
results, the provider's status reports and the recovery passes are in outcomes.py.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from dataclasses import dataclass
from typing import cast

import sqlalchemy as sa
from flask import Flask, current_app

from ..extensions import db
from ..scoping import cross_school
from ..time import now_utc
from . import routes, telegram
from .gateways import Channel as GatewayChannel
from .gateways import Gateway, SendResult, build_gateway
from .latin import sms_body
from .models import (
    BlockReason,
    Channel,
    MessageStatus,
    NotificationPreference,
    OutboundMessage,
    PhoneOptOut,
)
from .outbox import wake_event

# BATCH, set_status, apply_result and the recovery passes are used here; the other names are re-exported: the
# dispatcher's API before outcomes.py was split off (the tests, the benches and docs/notifications.md name
# them as dispatcher.*)
from .outcomes import (  # noqa: F401
    BACKOFF_BASE_S,
    BACKOFF_CAP_S,
    BATCH,
    MAX_ATTEMPTS,
    PROVIDER_STATUS,
    RECONCILE_EVERY_S,
    RECONCILE_FOR_S,
    SENDING_STALE_S,
    UNKNOWN_GIVE_UP_S,
    UNKNOWN_LOOKUP_AFTER_S,
    apply_provider_status,
    apply_result,
    backoff_seconds,
    flag_phone,
    reconcile,
    record_opt_out,
    recover,
    resolve_by_callback,
    resolve_unknown,
    set_status,
)

log = logging.getLogger("safetyops.sms")

#: A claim (reserved, not yet sending) of a dispatcher that died is taken over after this.
CLAIM_LEASE_S = 120


def gateway(app: Flask | None = None) -> Gateway:
    """The configured gateway, built once per app."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined] # the app behind the proxy
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
    res = cast(sa.CursorResult, db.session.execute(
        sa.update(OutboundMessage)
        .where(OutboundMessage.status == MessageStatus.QUEUED, OutboundMessage.expires_dt.is_not(None),
               OutboundMessage.expires_dt < now)
        .values(status=MessageStatus.EXPIRED, status_dt=now)
    ))
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
                set_status(row, MessageStatus.BLOCKED, now, blocked_reason=BlockReason.NO_PHONE)
                continue
        if row.channel == Channel.TELEGRAM:
            pass  # free, and a STOP to the SMS number does not stop Telegram
        elif row.to_phone in stopped:
            set_status(row, MessageStatus.BLOCKED, now, blocked_reason=BlockReason.OPTED_OUT)
            continue
        elif not row.is_urgent and not money.take(row.school_id, row.body):  # urgent alerts always go
            set_status(row, MessageStatus.BLOCKED, now, blocked_reason=BlockReason.BUDGET)
            continue
        pref = prefs.get(row.user_id) if not row.is_urgent else None
        if pref is not None:
            from zoneinfo import ZoneInfo

            tz_name = zones.get(row.school_id, default_tz)
            local = now.astimezone(ZoneInfo(tz_name)).time()
            if in_quiet_hours(local, pref.quiet_start, pref.quiet_end):
                later = quiet_end_after(now, tz_name, pref.quiet_end)
                if row.expires_dt is not None and later > row.expires_dt:
                    set_status(row, MessageStatus.BLOCKED, now, blocked_reason=BlockReason.QUIET_HOURS)
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
                set_status(rows[job.id], MessageStatus.BLOCKED, now, blocked_reason=BlockReason.MERGED,
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
    res = cast(sa.CursorResult, db.session.execute(_MARK_SENDING, {"mid": job.id, "holder": holder, "now": now,
                                                                   "now2": now}))
    if res.rowcount == 1:
        job.attempts += 1
        return True
    return False


# --------------------------------------------------------------------------- passes


def send_one(job: Job, gw: Gateway, callback: str | None) -> SendResult:
    try:
        # a Telegram row never gets here (run_pass sends it through the bot): sms or whatsapp
        return gw.send(job.to_phone, job.body, channel=cast(GatewayChannel, job.channel), status_callback=callback)
    except Exception as exc:  # noqa: BLE001 - a gateway must not raise; if it does the outcome is unknown
        log.exception("gateway %s raised for message %s", getattr(gw, "name", "?"), job.id)
        return SendResult("unknown", None, "gateway-error", None, f"{type(exc).__name__}: {exc}")


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
    app = current_app._get_current_object()  # type: ignore[attr-defined] # the app behind the proxy
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
