"""Resolving "unknown" (issue 16 item 3): through the real twilio client against the local fake Twilio.

A lost answer (timeout, dropped connection) most likely means the provider has the message; a 5xx
answer most likely means it does not. The callback URL carries the outbox row's id, and a sweep looks
messages without a SID up by recipient and send date (the client's message list)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from flask_babel import lazy_gettext as _l
from twilio.request_validator import RequestValidator

from safetyops.extensions import db
from safetyops.notifications import dispatcher, services
from safetyops.notifications.gateways import TwilioGateway
from safetyops.notifications.models import MessageStatus, OutboundMessage
from safetyops.notifications.outbox import notify, register_text

from .fake_twilio import FakeTwilio, accept_then_drop, delay, server_error

SID = "AC" + "0123456789abcdef" * 2
TOKEN = "secret-token-123"
FROM = "+15005550006"
PUBLIC = "https://safety.example.kg"
T0 = dt.datetime(2026, 11, 23, 6, 0, tzinfo=dt.UTC)

register_text("test.unk", _l("ALERT: %(item)s failed in %(zone)s. Act now."))


@pytest.fixture
def fake():
    with FakeTwilio(auth_token=TOKEN) as server:
        yield server


@pytest.fixture
def public(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", PUBLIC)
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", TOKEN)


def _alert(f, phone):
    user = f.user("safety_officer", phone=phone, locale="ru")
    (m,) = notify(f.school_a, [user], "test.unk", f"k{phone}", {"item": "Огнетушитель", "zone": "Коридор 2"},
                  urgent=True)
    db.session.commit()
    return m


def _get(mid):
    db.session.expire_all()
    return db.session.get(OutboundMessage, mid)


def _send(fake, reply, timeout=10.0):
    fake.script(reply)
    with TwilioGateway(SID, TOKEN, from_number=FROM, api_base=fake.url, timeout=timeout) as gw:
        dispatcher.run_pass(gw=gw)


@pytest.mark.parametrize("reply,case", [(accept_then_drop(), "accepted"), (server_error(500), "refused"),
                                        (server_error(503), "refused")], ids=["dropped", "500", "503"])
def test_the_two_cases_are_told_apart(f, fake, public, reply, case):
    with time_machine.travel(T0, tick=False):
        m = _alert(f, "+996555800001")
        _send(fake, reply)
        row = _get(m.id)
    assert row.status == MessageStatus.UNKNOWN and row.provider_id is None
    assert row.unknown_case == case


def test_timeout_is_probably_accepted(f, fake, public):
    with time_machine.travel(T0, tick=False):
        m = _alert(f, "+996555800002")
        _send(fake, delay(60), timeout=0.5)
    assert _get(m.id).unknown_case == "accepted"


def test_callback_with_the_rows_id_resolves_a_lost_answer(f, fake, public, client):
    with time_machine.travel(T0, tick=False):
        m = _alert(f, "+996555800003")
        _send(fake, accept_then_drop())
        assert _get(m.id).status == MessageStatus.UNKNOWN
        (sid,) = fake.messages
        url = fake.requests[0].form["StatusCallback"]
        assert url == f"{PUBLIC}/messages/twilio/status?m={m.id}"
        params = {"MessageSid": sid, "MessageStatus": "delivered", "To": "+996555800003", "AccountSid": SID}
        sig = RequestValidator(TOKEN).compute_signature(url, params)
        resp = client.post(url.removeprefix(PUBLIC), data=params, headers={"X-Twilio-Signature": sig})
        assert resp.status_code == 200
        row = _get(m.id)
    assert row.provider_id == sid and row.status == MessageStatus.DELIVERED


def test_a_callback_for_another_number_resolves_nothing(f, app):
    m = _alert(f, "+996555800004")
    m.status = MessageStatus.UNKNOWN
    db.session.flush()
    assert not services.handle_status({"MessageSid": "SM" + "e" * 32, "MessageStatus": "delivered",
                                       "To": "+996555899999"}, m.id)
    assert m.provider_id is None


def test_lookup_by_recipient_and_date_finds_a_lost_answer(f, fake, public):
    with time_machine.travel(T0, tick=False) as tm:
        m = _alert(f, "+996555800005")
        other = _alert(f, "+996555800006")
        _send(fake, accept_then_drop())  # the first message's answer is lost, the second goes normally
        assert _get(m.id).status == MessageStatus.UNKNOWN and _get(other.id).status == MessageStatus.SENT
        sid = next(s for s, msg in fake.messages.items() if msg["to"] == "+996555800005")
        fake.set_status(sid, "delivered")
        tm.shift(dt.timedelta(seconds=dispatcher.UNKNOWN_LOOKUP_AFTER_S + 1))
        with TwilioGateway(SID, TOKEN, from_number=FROM, api_base=fake.url, timeout=10) as gw:
            out = dispatcher.run_pass(gw=gw)
        assert out.resolved == 1
        lookup = [r for r in fake.requests if r.method == "GET" and r.path.endswith("/Messages.json")]
        assert lookup and lookup[0].query["To"] == ["+996555800005"] and "DateSent>" in lookup[0].query
        row = _get(m.id)
    assert row.provider_id == sid and row.status == MessageStatus.DELIVERED
    assert len([r for r in fake.requests if r.method == "POST"]) == 2  # nothing was sent again


def test_lookup_that_finds_nothing_fails_the_message_after_a_while(f, fake, public):
    with time_machine.travel(T0, tick=False) as tm:
        m = _alert(f, "+996555800007")
        _send(fake, server_error(503))
        with TwilioGateway(SID, TOKEN, from_number=FROM, api_base=fake.url, timeout=10) as gw:
            tm.shift(dt.timedelta(seconds=dispatcher.UNKNOWN_LOOKUP_AFTER_S + 1))
            dispatcher.run_pass(gw=gw)
            assert _get(m.id).status == MessageStatus.UNKNOWN  # not yet: the provider may be slow
            tm.shift(dt.timedelta(seconds=dispatcher.UNKNOWN_GIVE_UP_S))
            dispatcher.run_pass(gw=gw)
        row = _get(m.id)
    assert row.status == MessageStatus.FAILED and row.provider_status == "not-at-provider"
    assert len([r for r in fake.requests if r.method == "POST"]) == 1


def test_send_again_refuses_a_probably_accepted_message_without_confirmation(f, client, as_role):
    as_role("director")
    person = f.user("teacher", phone="+996555800008")
    (m,) = notify(f.school_a, [person], "test.unk", "resend", {"item": "x", "zone": "y"}, urgent=True)
    m.status, m.provider_status = MessageStatus.UNKNOWN, "timeout"
    (r,) = notify(f.school_a, [person], "test.unk", "resend5xx", {"item": "x", "zone": "z"}, urgent=True)
    r.status, r.provider_status = MessageStatus.UNKNOWN, "http-503"
    db.session.commit()
    page = client.get(f"/messages/{m.id}").get_data(as_text=True)
    assert 'data-case="accepted"' in page and 'name="confirm"' in page
    assert 'data-case="refused"' in client.get(f"/messages/{r.id}").get_data(as_text=True)
    client.submit(f"/messages/{m.id}/resend", {})
    keys = {k for (k,) in db.session.query(OutboundMessage.idempotency_key)}
    assert f"resend:{m.id}:1" not in keys
    client.submit(f"/messages/{m.id}/resend", {"confirm": "1"})
    client.submit(f"/messages/{r.id}/resend", {})
    keys = {k for (k,) in db.session.query(OutboundMessage.idempotency_key)}
    assert f"resend:{m.id}:1" in keys and f"resend:{r.id}:1" in keys


def test_the_log_tells_the_cases_apart(f, client, as_role):
    as_role("director")
    person = f.user("teacher", phone="+996555800009")
    (a,) = notify(f.school_a, [person], "test.unk", "log-a", {"item": "a", "zone": "y"}, urgent=True)
    (b,) = notify(f.school_a, [person], "test.unk", "log-b", {"item": "b", "zone": "y"}, urgent=True)
    a.status, a.provider_status = MessageStatus.UNKNOWN, "connection-lost"
    b.status, b.provider_status = MessageStatus.UNKNOWN, "http-500"
    db.session.commit()
    page = client.get("/messages/").get_data(as_text=True)
    assert "answer lost: most likely sent" in page and "provider error (5xx): most likely not sent" in page
