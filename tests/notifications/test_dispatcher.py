"""Dispatcher: claim, send, outcomes, retries with backoff, quiet hours, recovery, callbacks' rules."""

from __future__ import annotations

import datetime as dt
import random

import sqlalchemy as sa
import time_machine
from flask_babel import lazy_gettext as _l

from safetyops.extensions import db
from safetyops.notifications import dispatcher
from safetyops.notifications.gateways import SendResult
from safetyops.notifications.models import (
    BlockReason,
    MessageStatus,
    NotificationPreference,
    OutboundMessage,
    PhoneFlag,
    PhoneOptOut,
)
from safetyops.notifications.outbox import notify, register_text

from .helpers import ScriptedGateway

register_text("test.disp", _l("Duty tomorrow at %(time)s."))

T0 = dt.datetime(2026, 11, 23, 6, 0, tzinfo=dt.UTC)  # 12:00 in Bishkek


def _queue(f, n=1, **kw):
    users = [f.user("teacher", phone=f"+99655510{len(str(i))}{i:03d}") for i in range(n)]
    msgs = notify(f.school_a, users, "test.disp", kw.pop("key", "k"), {"time": "08:00"}, **kw)
    db.session.commit()
    return msgs


def _get(mid):
    db.session.expire_all()
    return db.session.get(OutboundMessage, mid)


@time_machine.travel(T0, tick=False)
def test_accepted_becomes_sent_with_sid(f):
    (m,) = _queue(f)
    gw = ScriptedGateway()
    out = dispatcher.run_pass(gw=gw)
    assert out.sent == 1
    m = _get(m.id)
    assert m.status == MessageStatus.SENT
    assert m.provider_id == "SM" + "0" * 31 + "1"
    assert m.attempts == 1 and m.sent_dt == T0
    assert gw.sent == [(m.to_phone, "Duty tomorrow at 08:00.", "sms", None)]
    # a second pass sends nothing again
    dispatcher.run_pass(gw=gw)
    assert len(gw.sent) == 1


@time_machine.travel(T0, tick=False)
def test_status_callback_url_from_public_url(f, app):
    (m,) = _queue(f)
    gw = ScriptedGateway()
    app.config["PUBLIC_URL"] = "https://safety.example.kg/"
    try:
        dispatcher.run_pass(gw=gw)
    finally:
        app.config["PUBLIC_URL"] = ""
    # the row's own id: a callback resolves a message whose create call timed out (issue 16)
    assert gw.sent[0][3] == f"https://safety.example.kg/messages/twilio/status?m={m.id}"


def test_retry_backs_off_with_jitter_then_sends(f):
    with time_machine.travel(T0, tick=False) as tm:
        (m,) = _queue(f)
        gw = ScriptedGateway(SendResult("retry", status="http-429", error_code="20429", retry_after=40))
        dispatcher.run_pass(gw=gw)
        m = _get(m.id)
        assert m.status == MessageStatus.QUEUED
        assert m.next_attempt_dt >= T0 + dt.timedelta(seconds=40)
        dispatcher.run_pass(gw=gw)
        assert len(gw.sent) == 1  # not before the backoff
        tm.move_to(m.next_attempt_dt)
        dispatcher.run_pass(gw=gw)
        assert _get(m.id).status == MessageStatus.SENT
        assert _get(m.id).attempts == 2
        assert len(gw.sent) == 2


def test_backoff_grows_and_is_capped():
    rng = random.Random(1)
    values = [dispatcher.backoff_seconds(a, rng=rng) for a in range(1, 12)]
    assert 15 <= values[0] <= 30
    assert 30 <= values[1] <= 60
    assert all(v <= dispatcher.BACKOFF_CAP_S for v in values)
    assert dispatcher.backoff_seconds(1, retry_after=500, rng=rng) == 500
    assert len({round(dispatcher.backoff_seconds(3, rng=rng), 3) for _ in range(10)}) > 1  # jitter


def test_retries_give_up_after_max_attempts(f):
    with time_machine.travel(T0, tick=False) as tm:
        (m,) = _queue(f)
        gw = ScriptedGateway(*[SendResult("retry", status="connect-error")] * dispatcher.MAX_ATTEMPTS)
        for _ in range(dispatcher.MAX_ATTEMPTS):
            dispatcher.run_pass(gw=gw)
            tm.shift(dt.timedelta(hours=1))
        m = _get(m.id)
        assert m.status == MessageStatus.FAILED
        assert len(gw.sent) == dispatcher.MAX_ATTEMPTS


@time_machine.travel(T0, tick=False)
def test_terminal_error_fails_and_flags_phone(f):
    (m,) = _queue(f)
    gw = ScriptedGateway(SendResult("failed", status="http-400", error_code="21211", error_message="bad number"))
    dispatcher.run_pass(gw=gw)
    m = _get(m.id)
    assert m.status == MessageStatus.FAILED and m.error_code == "21211"
    flag = db.session.scalar(sa.select(PhoneFlag))
    assert flag.user_id == m.user_id and flag.phone == m.to_phone and not flag.is_resolved
    dispatcher.run_pass(gw=gw)
    assert len(gw.sent) == 1


@time_machine.travel(T0, tick=False)
def test_account_error_fails_without_flag(f):
    (m,) = _queue(f)
    gw = ScriptedGateway(SendResult("failed", status="http-400", error_code="21408"))
    dispatcher.run_pass(gw=gw)
    assert _get(m.id).status == MessageStatus.FAILED
    assert db.session.scalar(sa.select(sa.func.count(PhoneFlag.id))) == 0


@time_machine.travel(T0, tick=False)
def test_21610_records_opt_out(f):
    (m,) = _queue(f)
    dispatcher.run_pass(gw=ScriptedGateway(SendResult("failed", status="http-400", error_code="21610")))
    assert db.session.scalar(sa.select(PhoneOptOut.phone)) == _get(m.id).to_phone


def test_unknown_is_never_resent_and_reconciled_by_sid(f):
    with time_machine.travel(T0, tick=False) as tm:
        a, b = _queue(f, 2)
        gw = ScriptedGateway(SendResult("unknown", status="timeout"), SendResult("unknown", "SMabc", "bad-response"))
        dispatcher.run_pass(gw=gw)
        assert _get(a.id).status == MessageStatus.UNKNOWN and _get(b.id).status == MessageStatus.UNKNOWN
        gw.lookups["SMabc"] = SendResult("accepted", "SMabc", "delivered")
        tm.shift(dt.timedelta(seconds=dispatcher.RECONCILE_EVERY_S + 1))
        out = dispatcher.run_pass(gw=gw)
        assert out.reconciled == 1
        assert _get(b.id).status == MessageStatus.DELIVERED
        assert _get(a.id).status == MessageStatus.UNKNOWN
        assert len(gw.sent) == 2


def test_dispatcher_dying_mid_send_leaves_one_unknown_and_the_rest_sent_later(f):
    with time_machine.travel(T0, tick=False) as tm:
        first, second = _queue(f, 2)
        # a dispatcher claims both rows, marks the first "sending", then dies before the answer
        jobs = dispatcher.claim(T0, holder="dead")
        assert [j.id for j in jobs] == [first.id, second.id]
        assert dispatcher._mark_sending(jobs[0], "dead", T0)
        db.session.commit()
        gw = ScriptedGateway()
        dispatcher.run_pass(gw=gw)
        assert _get(first.id).status == MessageStatus.SENDING  # not stale yet
        assert _get(second.id).status == MessageStatus.QUEUED and gw.sent == []  # claim still held
        tm.shift(dt.timedelta(seconds=max(dispatcher.SENDING_STALE_S, dispatcher.CLAIM_LEASE_S) + 1))
        out = dispatcher.run_pass(gw=gw)
        assert out.recovered == 1
        assert _get(first.id).status == MessageStatus.UNKNOWN
        assert _get(second.id).status == MessageStatus.SENT
        assert [s[0] for s in gw.sent] == [second.to_phone]


def test_a_row_reclaimed_by_another_pass_is_not_sent_by_the_old_one(f):
    with time_machine.travel(T0, tick=False) as tm:
        (m,) = _queue(f)
        (job,) = dispatcher.claim(T0, holder="slow")
        tm.shift(dt.timedelta(seconds=dispatcher.CLAIM_LEASE_S + 1))
        (again,) = dispatcher.claim(dispatcher.now_utc(), holder="fresh")
        assert again.id == m.id
        assert not dispatcher._mark_sending(job, "slow", dispatcher.now_utc())
        assert dispatcher._mark_sending(again, "fresh", dispatcher.now_utc())


def test_quiet_hours_defer_and_urgent_passes(f):
    # 23:00 in Bishkek (UTC+6)
    night = dt.datetime(2026, 11, 23, 17, 0, tzinfo=dt.UTC)
    with time_machine.travel(night, tick=False) as tm:
        a = f.user("teacher", phone="+996555300001")
        b = f.user("teacher", phone="+996555300002")
        for u in (a, b):
            db.session.add(NotificationPreference(user_id=u.id, quiet_start=dt.time(22), quiet_end=dt.time(7)))
        (ma,) = notify(f.school_a, [a], "test.disp", "q", {"time": "1"})
        (mb,) = notify(f.school_a, [b], "test.disp", "q", {"time": "1"}, urgent=True)
        db.session.commit()
        gw = ScriptedGateway()
        dispatcher.run_pass(gw=gw)
        assert [s[0] for s in gw.sent] == [b.phone]
        ma = _get(ma.id)
        assert ma.status == MessageStatus.QUEUED
        assert ma.next_attempt_dt == dt.datetime(2026, 11, 24, 1, 0, tzinfo=dt.UTC)  # 07:00 local
        tm.move_to(dt.datetime(2026, 11, 24, 1, 0, 1, tzinfo=dt.UTC))
        dispatcher.run_pass(gw=gw)
        assert [s[0] for s in gw.sent] == [b.phone, a.phone]


@time_machine.travel(dt.datetime(2026, 11, 23, 17, 0, tzinfo=dt.UTC), tick=False)
def test_quiet_hours_past_expiry_block(f):
    a = f.user("teacher", phone="+996555300003")
    db.session.add(NotificationPreference(user_id=a.id, quiet_start=dt.time(22), quiet_end=dt.time(7)))
    (m,) = notify(f.school_a, [a], "test.disp", "q2", {"time": "1"},
                  expires_dt=dt.datetime(2026, 11, 23, 20, 0, tzinfo=dt.UTC))
    db.session.commit()
    dispatcher.run_pass(gw=ScriptedGateway())
    m = _get(m.id)
    assert m.status == MessageStatus.BLOCKED and m.blocked_reason == BlockReason.QUIET_HOURS


def test_quiet_hours_helper():
    q = dispatcher.in_quiet_hours
    assert q(dt.time(23), dt.time(22), dt.time(7)) and q(dt.time(6, 59), dt.time(22), dt.time(7))
    assert not q(dt.time(7), dt.time(22), dt.time(7)) and not q(dt.time(12), dt.time(22), dt.time(7))
    assert q(dt.time(13), dt.time(12), dt.time(14)) and not q(dt.time(14), dt.time(12), dt.time(14))
    assert not q(dt.time(1), None, None)


def test_expired_rows(f):
    with time_machine.travel(T0, tick=False) as tm:
        (m,) = _queue(f)
        tm.shift(dt.timedelta(hours=25))
        gw = ScriptedGateway()
        out = dispatcher.run_pass(gw=gw)
        assert out.expired == 1 and gw.sent == []
        assert _get(m.id).status == MessageStatus.EXPIRED


@time_machine.travel(T0, tick=False)
def test_opt_out_after_queueing_blocks_at_send(f):
    (m,) = _queue(f)
    db.session.add(PhoneOptOut(phone=m.to_phone, keyword="СТОП"))
    db.session.commit()
    gw = ScriptedGateway()
    dispatcher.run_pass(gw=gw)
    m = _get(m.id)
    assert gw.sent == [] and m.status == MessageStatus.BLOCKED and m.blocked_reason == BlockReason.OPTED_OUT


@time_machine.travel(T0, tick=False)
def test_provider_status_never_moves_backwards_and_dedupes(f):
    (m,) = _queue(f)
    dispatcher.run_pass(gw=ScriptedGateway())
    sid = _get(m.id).provider_id
    assert dispatcher.apply_provider_status(sid, "delivered")
    db.session.commit()
    assert not dispatcher.apply_provider_status(sid, "delivered")  # replay
    assert not dispatcher.apply_provider_status(sid, "sent")  # late, lower
    db.session.commit()
    m = _get(m.id)
    assert m.status == MessageStatus.DELIVERED and m.provider_status == "delivered"
    assert not dispatcher.apply_provider_status("SMnope", "delivered")


@time_machine.travel(T0, tick=False)
def test_undelivered_callback_with_terminal_code_flags(f):
    (m,) = _queue(f)
    dispatcher.run_pass(gw=ScriptedGateway())
    sid = _get(m.id).provider_id
    assert dispatcher.apply_provider_status(sid, "undelivered", "30006", "landline")
    db.session.commit()
    assert _get(m.id).status == MessageStatus.UNDELIVERED
    assert db.session.scalar(sa.select(PhoneFlag.error_code)) == "30006"


@time_machine.travel(T0, tick=False)
def test_urgent_first(f):
    a = _queue(f, 3, key="plain")
    u = f.user("teacher", phone="+996555400001")
    (urgent,) = notify(f.school_a, [u], "test.disp", "urgent", {"time": "1"}, urgent=True)
    db.session.commit()
    rows = dispatcher.claim(T0, limit=2)
    assert rows[0].id == urgent.id and rows[1].id == a[0].id


@time_machine.travel(T0, tick=False)
def test_gateway_that_raises_gives_unknown(f):
    (m,) = _queue(f)

    class Broken(ScriptedGateway):
        def send(self, *a, **k):
            raise RuntimeError("boom")

    dispatcher.run_pass(gw=Broken())
    assert _get(m.id).status == MessageStatus.UNKNOWN
