"""Status callback and inbound webhook: Twilio signatures, replays, STOP in four languages."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
import time_machine
from flask_babel import lazy_gettext as _l
from twilio.request_validator import RequestValidator

from safetyops.audit.models import AuditEvent
from safetyops.extensions import db
from safetyops.notifications import dispatcher
from safetyops.notifications.models import BlockReason, MessageStatus, OutboundMessage, PhoneOptOut, StatusEvent
from safetyops.notifications.outbox import notify, register_text

from .helpers import ScriptedGateway

register_text("test.hook", _l("Drill at %(time)s."))

TOKEN = "callback-secret"
PUBLIC = "https://safety.example.kg"
STATUS_URL = PUBLIC + "/messages/twilio/status"
INBOUND_URL = PUBLIC + "/messages/twilio/inbound"


@pytest.fixture
def signed_app(app, monkeypatch):
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setitem(app.config, "PUBLIC_URL", PUBLIC)
    return app


def sign(url, params):
    return RequestValidator(TOKEN).compute_signature(url, params)


def _sent_message(f):
    user = f.user("teacher", phone="+996555600001")
    (m,) = notify(f.school_a, [user], "test.hook", "h", {"time": "10:00"})
    db.session.commit()
    dispatcher.run_pass(gw=ScriptedGateway())
    db.session.expire_all()
    return db.session.get(OutboundMessage, m.id)


def _post(client, url, params, signature):
    path = url.removeprefix(PUBLIC)
    headers = {"X-Twilio-Signature": signature} if signature is not None else {}
    return client.post(path, data=params, headers=headers)


def test_signed_callback_applies_status(signed_app, client, f):
    m = _sent_message(f)
    params = {"MessageSid": m.provider_id, "MessageStatus": "delivered", "AccountSid": "AC1"}
    resp = _post(client, STATUS_URL, params, sign(STATUS_URL, params))
    assert resp.status_code == 200
    db.session.expire_all()
    assert db.session.get(OutboundMessage, m.id).status == MessageStatus.DELIVERED


@pytest.mark.parametrize("how", ["missing", "garbage", "tampered", "other-url", "no-token"])
def test_bad_signature_is_403_and_changes_nothing(signed_app, client, f, how, monkeypatch):
    m = _sent_message(f)
    params = {"MessageSid": m.provider_id, "MessageStatus": "delivered"}
    sig = sign(STATUS_URL, params)
    if how == "missing":
        sig = None
    elif how == "garbage":
        sig = "bm90IGEgc2lnbmF0dXJl"
    elif how == "tampered":
        params = {**params, "MessageStatus": "failed"}
    elif how == "other-url":
        sig = sign("http://safety.example.kg/messages/twilio/status", params)
    elif how == "no-token":
        monkeypatch.setitem(signed_app.config, "TWILIO_AUTH_TOKEN", "")
    resp = _post(client, STATUS_URL, params, sig)
    assert resp.status_code == 403
    db.session.expire_all()
    assert db.session.get(OutboundMessage, m.id).status == MessageStatus.SENT
    assert db.session.scalar(sa.select(sa.func.count(StatusEvent.id))) == 0


def test_replayed_and_out_of_order_callbacks(signed_app, client, f):
    m = _sent_message(f)
    delivered = {"MessageSid": m.provider_id, "MessageStatus": "delivered"}
    sent = {"MessageSid": m.provider_id, "MessageStatus": "sent"}
    for params in (delivered, delivered, sent, delivered):
        assert _post(client, STATUS_URL, params, sign(STATUS_URL, params)).status_code == 200
    db.session.expire_all()
    row = db.session.get(OutboundMessage, m.id)
    assert row.status == MessageStatus.DELIVERED
    assert db.session.scalar(sa.select(sa.func.count(StatusEvent.id))) == 2  # delivered once, sent once


def test_without_public_url_the_request_url_is_used(app, client, f, monkeypatch):
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", TOKEN)
    m = _sent_message(f)
    params = {"MessageSid": m.provider_id, "MessageStatus": "undelivered", "ErrorCode": "30006"}
    url = "http://localhost/messages/twilio/status"
    assert client.post("/messages/twilio/status", data=params,
                       headers={"X-Twilio-Signature": sign(url, params)}).status_code == 200
    db.session.expire_all()
    assert db.session.get(OutboundMessage, m.id).status == MessageStatus.UNDELIVERED


def test_callback_needs_no_csrf_token_but_other_posts_do(signed_app, client, f):
    signed_app.config["WTF_CSRF_ENABLED"] = True
    m = _sent_message(f)
    params = {"MessageSid": m.provider_id, "MessageStatus": "delivered"}
    assert _post(client, STATUS_URL, params, sign(STATUS_URL, params)).status_code == 200


@pytest.mark.parametrize("word", ["STOP", "stop", " Stop! ", "СТОП", "стоп", "Токтот", "ТОКТО", "Тоқтат", "TOQTAT",
                                  "Отписаться"])
def test_stop_words_block_the_number(signed_app, client, f, word):
    user = f.user("teacher", phone="+996555600002")
    (queued,) = notify(f.school_a, [user], "test.hook", "s", {"time": "1"})
    db.session.commit()
    params = {"From": "+996555600002", "Body": word, "MessageSid": "SMin1"}
    resp = _post(client, INBOUND_URL, params, sign(INBOUND_URL, params))
    assert resp.status_code == 200 and resp.mimetype == "text/xml"
    assert db.session.scalar(sa.select(PhoneOptOut.phone)) == "+996555600002"
    db.session.expire_all()
    assert db.session.get(OutboundMessage, queued.id).status == MessageStatus.BLOCKED
    # later messages are blocked and say why
    (later,) = notify(f.school_a, [user], "test.hook", "s2", {"time": "1"})
    assert later.status == MessageStatus.BLOCKED and later.blocked_reason == BlockReason.OPTED_OUT
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "messages.opt_out")) is not None


def test_whatsapp_stop_and_start_again(signed_app, client, f):
    params = {"From": "whatsapp:+996555600003", "Body": "СТОП"}
    _post(client, INBOUND_URL, params, sign(INBOUND_URL, params))
    assert db.session.scalar(sa.select(PhoneOptOut.phone)) == "+996555600003"
    params = {"From": "whatsapp:+996555600003", "Body": "Башта"}
    _post(client, INBOUND_URL, params, sign(INBOUND_URL, params))
    assert db.session.scalar(sa.select(sa.func.count(PhoneOptOut.id))) == 0


def test_other_words_change_nothing_and_unsigned_inbound_is_403(signed_app, client, f):
    params = {"From": "+996555600004", "Body": "stop sending me drills please"}
    assert _post(client, INBOUND_URL, params, sign(INBOUND_URL, params)).status_code == 200
    assert _post(client, INBOUND_URL, {"From": "+996555600004", "Body": "STOP"}, None).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(PhoneOptOut.id))) == 0


@time_machine.travel(dt.datetime(2026, 11, 23, 6, tzinfo=dt.UTC), tick=False)
def test_opted_out_at_dispatch_time_is_not_sent(signed_app, client, f):
    user = f.user("teacher", phone="+996555600005")
    (m,) = notify(f.school_a, [user], "test.hook", "d", {"time": "1"})
    db.session.commit()
    params = {"From": "+996555600005", "Body": "STOP"}
    _post(client, INBOUND_URL, params, sign(INBOUND_URL, params))
    gw = ScriptedGateway()
    dispatcher.run_pass(gw=gw)
    assert gw.sent == []


def test_delivered_after_undelivered_clears_the_error(f):
    """Issue 16: sent -> undelivered (30003) -> delivered ends delivered without the old error."""
    user = f.user("teacher", phone="+996555400001")
    (m,) = notify(f.school_a, [user], "broadcast", "clear30003", {"text": "Эртең машыгуу"}, urgent=True)
    m.status, m.provider_id = MessageStatus.SENT, "SM" + "c" * 32
    db.session.flush()
    apply = dispatcher.apply_provider_status
    assert apply(m.provider_id, "undelivered", "30003", "Unreachable destination handset")
    assert m.status == MessageStatus.UNDELIVERED and m.error_code == "30003"
    assert apply(m.provider_id, "delivered")
    db.session.commit()
    db.session.expire_all()
    row = db.session.get(OutboundMessage, m.id)
    assert row.status == MessageStatus.DELIVERED and row.error_code == "" and row.error_message == ""
