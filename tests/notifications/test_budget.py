"""A school's SMS budget in som (issue 16 item 5): cost in the broadcast preview, reminders stop when the
month's budget is spent, urgent alerts always go."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from flask_babel import lazy_gettext as _l

from safetyops.extensions import db
from safetyops.notifications import dispatcher, services
from safetyops.notifications.models import BlockReason, MessageStatus, OutboundMessage, SmsBudget
from safetyops.notifications.outbox import notify, register_text

from .helpers import ScriptedGateway

register_text("test.bud", _l("Дежурство завтра в %(time)s."))  # Cyrillic: one UCS-2 part
T0 = dt.datetime(2026, 11, 23, 6, 0, tzinfo=dt.UTC)


@pytest.fixture
def priced(app, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_PRICE_PER_SEGMENT_SOM", 2.0)


def _get(mid):
    db.session.expire_all()
    return db.session.get(OutboundMessage, mid)


def test_reminders_stop_when_the_budget_is_spent_urgent_alerts_go(f, priced):
    db.session.add(SmsBudget(school_id=f.school_a.id, monthly_som=5))
    people = [f.user("teacher", phone=f"+99655570000{i}") for i in range(3)]
    with time_machine.travel(T0, tick=False):
        reminders = notify(f.school_a, people, "test.bud", "r", {"time": "08:00"})
        (alert,) = notify(f.school_a, [people[0]], "test.bud", "alert", {"time": "09:00"}, urgent=True)
        db.session.commit()
        gw = ScriptedGateway()
        dispatcher.run_pass(gw=gw)
        month = services.month_budget(f.school_a)
    assert len(gw.sent) == 3  # the alert and two reminders: 2 × 2 som; a third would make 6 > 5
    assert _get(alert.id).status == MessageStatus.SENT
    held = _get(reminders[2].id)
    assert held.status == MessageStatus.BLOCKED and held.blocked_reason == BlockReason.BUDGET
    assert month.parts == 3 and month.spent == 6.0 and month.spent_out and month.warning


def test_no_price_no_limit(f):
    db.session.add(SmsBudget(school_id=f.school_a.id, monthly_som=1))
    people = [f.user("teacher", phone=f"+99655570100{i}") for i in range(3)]
    notify(f.school_a, people, "test.bud", "r", {"time": "08:00"})
    db.session.commit()
    gw = ScriptedGateway()
    dispatcher.run_pass(gw=gw)
    assert len(gw.sent) == 3


def test_broadcast_preview_shows_the_cost_and_the_budget_page_saves(f, client, as_role, priced):
    as_role("director")
    for i in range(3):
        f.user("teacher", phone=f"+99655570200{i}")
    page = client.submit("/messages/broadcast", {"audience": "all", "text": "Эртең саат 10:00дө өрт машыгуусу.",
                                                  "token": "a" * 32}).get_data(as_text=True)
    assert 'id="broadcast-cost"' in page
    reachable = services.preview_broadcast(f.school_a, "all", "Эртең саат 10:00дө өрт машыгуусу.").reachable
    assert f"{reachable * 2.0:.2f}" in page
    resp = client.submit("/messages/budget", {"monthly_som": "300"})
    assert resp.status_code == 302
    assert db.session.query(SmsBudget.monthly_som).filter_by(school_id=f.school_a.id).scalar() == 300
    assert 'id="month-spent"' in client.get("/messages/budget").get_data(as_text=True)
