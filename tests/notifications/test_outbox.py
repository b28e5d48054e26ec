"""notify / register_text: one row per recipient, idempotent, rendered in each language."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from safetyops.extensions import db
from safetyops.notifications import outbox
from safetyops.notifications.models import (
    BlockReason,
    Channel,
    MessageStatus,
    NotificationPreference,
    OutboundMessage,
    PhoneOptOut,
)
from safetyops.notifications.outbox import notify, register_text

register_text("test.hello", _l("Check %(check)s is due at %(time)s."))


def _rows():
    return list(db.session.scalars(sa.select(OutboundMessage).order_by(OutboundMessage.id)))


def test_notify_queues_one_row_per_recipient(f):
    a = f.user("teacher", phone="+996555000101")
    b = f.user("teacher", phone="+996555000102", locale="en")
    made = notify(f.school_a, [a, b, a], "test.hello", "run1", {"check": "Fire", "time": "09:00"})
    assert len(made) == 2
    rows = _rows()
    assert [r.user_id for r in rows] == [a.id, b.id]
    assert {r.idempotency_key for r in rows} == {f"test.hello:run1:{a.id}", f"test.hello:run1:{b.id}"}
    assert all(r.status == MessageStatus.QUEUED for r in rows)
    assert rows[1].body == "Check Fire is due at 09:00."
    assert rows[0].school_id == f.school_a.id
    assert rows[0].to_phone == "+996555000101"
    assert rows[0].expires_dt > rows[0].created_dt


def test_same_key_queues_nothing_twice(f):
    a = f.user("teacher", phone="+996555000103")
    assert len(notify(f.school_a, [a], "test.hello", "k", {"check": "x", "time": "1"})) == 1
    db.session.commit()
    assert notify(f.school_a, [a], "test.hello", "k", {"check": "y", "time": "2"}) == []
    b = f.user("teacher", phone="+996555000104")
    again = notify(f.school_a, [a, b], "test.hello", "k", {"check": "x", "time": "1"})
    assert [m.user_id for m in again] == [b.id]
    assert len(_rows()) == 2


def test_blocked_rows_say_why(f):
    no_phone = f.user("teacher", phone=None)
    none = f.user("teacher", phone="+996555000105")
    stopped = f.user("teacher", phone="+996555000106")
    off = f.user("teacher", phone="+996555000107", enabled=False)
    db.session.add(NotificationPreference(user_id=none.id, channel=Channel.NONE))
    db.session.add(PhoneOptOut(phone="+996555000106", keyword="STOP"))
    notify(f.school_a, [no_phone, none, stopped, off], "test.hello", "b", {"check": "x", "time": "1"})
    reasons = {r.user_id: r.blocked_reason for r in _rows()}
    assert reasons == {no_phone.id: BlockReason.NO_PHONE, none.id: BlockReason.CHANNEL_NONE,
                       stopped.id: BlockReason.OPTED_OUT, off.id: BlockReason.DISABLED}
    assert all(r.status == MessageStatus.BLOCKED for r in _rows())


def test_whatsapp_preference_and_urgent_flag(f):
    a = f.user("teacher", phone="+996555000108")
    db.session.add(NotificationPreference(user_id=a.id, channel=Channel.WHATSAPP))
    (m,) = notify(f.school_a, [a], "test.hello", "w", {"check": "x", "time": "1"}, urgent=True)
    assert m.channel == Channel.WHATSAPP and m.is_urgent


def test_unknown_kind_and_missing_param_are_errors(f):
    import pytest

    a = f.user("teacher", phone="+996555000109")
    with pytest.raises(ValueError):
        notify(f.school_a, [a], "no.such.kind", "k", {})
    with pytest.raises(ValueError):
        notify(f.school_a, [a], "test.hello", "k", {"check": "x"})


def test_commit_wakes_dispatcher(f):
    a = f.user("teacher", phone="+996555000110")
    outbox.wake_event.clear()
    notify(f.school_a, [a], "test.hello", "wake", {"check": "x", "time": "1"})
    assert not outbox.wake_event.is_set()
    db.session.commit()
    assert outbox.wake_event.is_set()


def test_no_recipients_is_fine(f):
    assert notify(f.school_a, [], "test.hello", "k", {"check": "x", "time": "1"}) == []
