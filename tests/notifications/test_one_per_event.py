"""One message per person per event: the duplicate rule of the outbox, reminders merged, urgent untouched."""

from __future__ import annotations

import collections
import datetime as dt

import pytest
import sqlalchemy as sa
import time_machine
from flask_babel import lazy_gettext as _l

from safetyops.extensions import db
from safetyops.notifications import dispatcher
from safetyops.notifications.models import BlockReason, MessageStatus, OutboundMessage
from safetyops.notifications.outbox import notify, register_text

from .helpers import ScriptedGateway

register_text("test.ope.a", _l("SafetyOps: fix #%(num)s is overdue"))
register_text("test.ope.b", _l("SafetyOps: check %(place)s is overdue"))

T0 = dt.datetime(2026, 11, 23, 6, 0, tzinfo=dt.UTC)


@pytest.fixture
def production(app, monkeypatch):
    """The production defaults of holding and merging (tests/conftest.py turns them off)."""
    monkeypatch.setitem(app.config, "SMS_MERGE_HOLD_S", 60)
    monkeypatch.setitem(app.config, "SMS_MERGE_MAX_SEGMENTS", 2)


def _get(mid):
    db.session.expire_all()
    return db.session.get(OutboundMessage, mid)


def test_same_text_to_the_same_person_inside_the_window_is_a_duplicate(f):
    user = f.user("teacher", phone="+996555300001")
    other = f.user("teacher", phone="+996555300002")
    with time_machine.travel(T0, tick=False) as tm:
        (first,) = notify(f.school_a, [user], "test.ope.a", "a21", {"num": 21})
        # the responsible person's copy of the same event: another key, the same words
        second, other_copy = notify(f.school_a, [user, other], "test.ope.a", "a21:resp", {"num": 21})
        db.session.commit()
        assert first.status == MessageStatus.QUEUED
        assert second.status == MessageStatus.BLOCKED and second.blocked_reason == BlockReason.DUPLICATE
        assert other_copy.status == MessageStatus.QUEUED
        gw = ScriptedGateway()
        dispatcher.run_pass(gw=gw)
        assert sorted(to for to, *_ in gw.sent) == ["+996555300001", "+996555300002"]
        # past the window the same words are a new event (tomorrow's reminder)
        tm.shift(dt.timedelta(minutes=61))
        (later,) = notify(f.school_a, [user], "test.ope.a", "a21:next", {"num": 21})
        assert later.status == MessageStatus.QUEUED


def test_an_explicit_subject_joins_different_words(f):
    user = f.user("teacher", phone="+996555300003")
    notify(f.school_a, [user], "test.ope.a", "x1", {"num": 5}, subject="action:5")
    (dup,) = notify(f.school_a, [user], "test.ope.b", "x2", {"place": "Ашкана"}, subject="action:5")
    assert dup.blocked_reason == BlockReason.DUPLICATE


def test_urgent_alerts_are_never_deduplicated_held_or_merged(f, production):
    user = f.user("teacher", phone="+996555300004")
    with time_machine.travel(T0, tick=False):
        notify(f.school_a, [user], "test.ope.a", "u1", {"num": 1}, urgent=True)
        (again,) = notify(f.school_a, [user], "test.ope.a", "u2", {"num": 1}, urgent=True)
        notify(f.school_a, [user], "test.ope.b", "u3", {"place": "Коридор"}, urgent=True)
        db.session.commit()
        assert again.status == MessageStatus.QUEUED and again.next_attempt_dt is None
        gw = ScriptedGateway()
        dispatcher.run_pass(gw=gw)
        assert len(gw.sent) == 3


def test_reminders_due_together_go_as_one_message(f, production):
    user = f.user("teacher", phone="+996555300005")
    with time_machine.travel(T0, tick=False) as tm:
        a = notify(f.school_a, [user], "test.ope.a", "m1", {"num": 3})[0]
        db.session.commit()
        tm.shift(dt.timedelta(seconds=5))  # another sweep, a moment later
        b = notify(f.school_a, [user], "test.ope.b", "m2", {"place": "Спорт зал"})[0]
        c = notify(f.school_a, [user], "test.ope.a", "m3", {"num": 4})[0]
        (alert,) = notify(f.school_a, [user], "test.ope.b", "m4", {"place": "Ашкана"}, urgent=True)
        db.session.commit()
        gw = ScriptedGateway()
        dispatcher.run_pass(gw=gw)
        assert [body for _, body, *_ in gw.sent] == [alert.body]  # the alert at once, reminders held
        tm.shift(dt.timedelta(seconds=61))
        dispatcher.run_pass(gw=gw)
    assert len(gw.sent) == 2
    merged = gw.sent[1][1]
    assert merged == "SafetyOps: fix #3 is overdue\ncheck Спорт зал is overdue\nfix #4 is overdue"
    assert _get(a.id).status == MessageStatus.SENT and _get(a.id).body == merged
    for m in (b, c):
        row = _get(m.id)
        assert row.status == MessageStatus.BLOCKED and row.blocked_reason == BlockReason.MERGED
        assert row.merged_into_id == a.id


def test_merging_never_costs_more_parts(app):
    bodies = ["SafetyOps: проверка «Химия лаборатория» просрочена"] * 2 + ["SafetyOps: устранение №21 просрочено"]
    with app.app_context():
        groups = dispatcher.pack(bodies, 2)
    assert groups == [[0, 1], [2]] or sum(len(g) for g in groups) == 3
    for g in groups:
        from safetyops.notifications import segments

        assert segments.count(dispatcher.merged_text([bodies[i] for i in g])).segments <= 2


def test_a_fresh_demo_sends_no_duplicate_in_its_first_hour(demo_app, monkeypatch):
    """Issue 16: on a fresh demo 4 of the first ~110 SMS were the same text to the same person
    within a minute (an overdue fix sent to its assignee and again as the responsible person)."""
    from safetyops.scheduler.catalogue import load_sweeps

    monkeypatch.setitem(demo_app.config, "SMS_MERGE_HOLD_S", 60)  # the production defaults, as `production`
    monkeypatch.setitem(demo_app.config, "SMS_MERGE_MAX_SEGMENTS", 2)
    with demo_app.app_context():  # a copy of the demo, fresh
        start = db.session.scalar(sa.select(sa.func.max(OutboundMessage.created_dt))) or T0
        start = max(start, dt.datetime.now(dt.UTC)).replace(microsecond=0) + dt.timedelta(minutes=1)
        sweeps = {n: s for n, s in load_sweeps().items() if n not in ("notifications.dispatch", "scheduler.nightly")}
        gw = ScriptedGateway()
        with time_machine.travel(start, tick=False) as tm:
            for minute in range(0, 61):
                tm.move_to(start + dt.timedelta(minutes=minute))
                for name in sorted(sweeps):
                    if minute % sweeps[name].every_minutes == 0:
                        sweeps[name].fn(start + dt.timedelta(minutes=minute))
                        db.session.commit()
                dispatcher.run_pass(gw=gw)
    sent = collections.Counter((to, body) for to, body, *_ in gw.sent)
    assert len(gw.sent) > 20
    assert [k for k, n in sent.items() if n > 1] == []
    lines = collections.Counter((to, line) for to, body, *_ in gw.sent for line in body.split("\n"))
    assert [k for k, n in lines.items() if n > 1] == []
