"""The outbox through the real `twilio` client against the local fake Twilio server."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
import time_machine
from flask_babel import lazy_gettext as _l

from safetyops.extensions import db
from safetyops.notifications import dispatcher
from safetyops.notifications.gateways import TwilioGateway
from safetyops.notifications.models import Channel as Ch
from safetyops.notifications.models import MessageStatus, NotificationPreference, OutboundMessage, PhoneFlag
from safetyops.notifications.outbox import notify, register_text

from .fake_twilio import FakeTwilio, delay, rate_limited, server_error, twilio_error

SID = "AC" + "0123456789abcdef" * 2
TOKEN = "secret-token-123"
FROM = "+15005550006"
PUBLIC = "https://safety.example.kg"

register_text("test.alert", _l("ALERT: %(item)s failed in %(zone)s. Act now."))


@pytest.fixture
def fake():
    with FakeTwilio(auth_token=TOKEN) as server:
        yield server


@pytest.fixture
def gw(fake):
    # generous: on a busy machine the local fake may take a while to answer
    with TwilioGateway(SID, TOKEN, from_number=FROM, api_base=fake.url, timeout=10) as g:
        yield g


@pytest.fixture
def public(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", PUBLIC)


def _alert(f, phone="+996555700001", locale="ru", **kw):
    user = f.user("safety_officer", phone=phone, locale=locale)
    (m,) = notify(f.school_a, [user], "test.alert", f"k{phone}", {"item": "Огнетушитель", "zone": "Коридор 2"},
                  urgent=True, **kw)
    db.session.commit()
    return m


def _get(mid):
    db.session.expire_all()
    return db.session.get(OutboundMessage, mid)


def test_alert_arrives_as_a_valid_twilio_request(f, fake, gw, public):
    m = _alert(f)
    out = dispatcher.run_pass(gw=gw)
    assert out.sent == 1
    req = fake.last_request
    assert req.method == "POST"
    assert req.path == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert req.auth == (SID, TOKEN)
    assert req.form == {"To": "+996555700001", "From": FROM, "Body": m.body,
                        "StatusCallback": PUBLIC + f"/messages/twilio/status?m={m.id}"}
    row = _get(m.id)
    assert row.status == MessageStatus.SENT and row.provider_id in fake.messages
    assert row.gateway == "twilio" and row.provider_status == "queued"


def test_whatsapp_channel(f, fake, gw):
    user = f.user("teacher", phone="+996555700002")
    db.session.add(NotificationPreference(user_id=user.id, channel=Ch.WHATSAPP))
    notify(f.school_a, [user], "test.alert", "wa", {"item": "x", "zone": "y"})
    db.session.commit()
    dispatcher.run_pass(gw=gw)
    assert fake.last_request.form["To"] == "whatsapp:+996555700002"
    assert fake.last_request.form["From"] == "whatsapp:" + FROM


def test_400_21211_fails_and_flags(f, fake, gw):
    m = _alert(f)
    fake.script(twilio_error(400, 21211, "The 'To' number is not a valid phone number."))
    dispatcher.run_pass(gw=gw)
    row = _get(m.id)
    assert row.status == MessageStatus.FAILED and row.error_code == "21211"
    assert db.session.scalar(sa.select(PhoneFlag.user_id)) == row.user_id
    dispatcher.run_pass(gw=gw)
    assert len(fake.requests) == 1


def test_429_is_retried_after_backoff(f, fake, gw):
    with time_machine.travel(dt.datetime(2026, 11, 23, 6, tzinfo=dt.UTC), tick=False) as tm:
        m = _alert(f)
        fake.script(rate_limited(retry_after=20))
        dispatcher.run_pass(gw=gw)
        row = _get(m.id)
        assert row.status == MessageStatus.QUEUED and row.error_code == "20429"
        assert row.next_attempt_dt >= dt.datetime(2026, 11, 23, 6, 0, 20, tzinfo=dt.UTC)
        tm.move_to(row.next_attempt_dt + dt.timedelta(seconds=1))
        dispatcher.run_pass(gw=gw)
        assert _get(m.id).status == MessageStatus.SENT
        assert len(fake.requests) == 2


@pytest.mark.parametrize("reply", [server_error(500), server_error(503), delay(60)], ids=["500", "503", "timeout"])
def test_5xx_and_timeout_are_unknown_never_resent(f, fake, reply):
    m = _alert(f)
    fake.script(reply)
    # a short timeout: the delayed reply (woken when the fake stops) must time out
    with TwilioGateway(SID, TOKEN, from_number=FROM, api_base=fake.url, timeout=0.5) as gw:
        dispatcher.run_pass(gw=gw)
        row = _get(m.id)
        assert row.status == MessageStatus.UNKNOWN
        dispatcher.run_pass(gw=gw)
    assert _get(m.id).status == MessageStatus.UNKNOWN
    assert len([r for r in fake.requests if r.method == "POST"]) == 1


def test_reconcile_by_lookup_when_no_callback_comes(f, fake, gw):
    with time_machine.travel(dt.datetime(2026, 11, 23, 6, tzinfo=dt.UTC), tick=False) as tm:
        m = _alert(f)
        dispatcher.run_pass(gw=gw)
        sid = _get(m.id).provider_id
        fake.set_status(sid, "delivered")
        tm.shift(dt.timedelta(seconds=dispatcher.RECONCILE_EVERY_S + 1))
        dispatcher.run_pass(gw=gw)
        assert _get(m.id).status == MessageStatus.DELIVERED
        assert fake.last_request.method == "GET" and fake.last_request.path.endswith(f"/Messages/{sid}.json")


def test_undelivered_by_lookup_flags_landline(f, fake, gw):
    with time_machine.travel(dt.datetime(2026, 11, 23, 6, tzinfo=dt.UTC), tick=False) as tm:
        m = _alert(f)
        dispatcher.run_pass(gw=gw)
        fake.set_status(_get(m.id).provider_id, "undelivered", 30006, "Landline or unreachable carrier")
        tm.shift(dt.timedelta(seconds=dispatcher.RECONCILE_EVERY_S + 1))
        dispatcher.run_pass(gw=gw)
        assert _get(m.id).status == MessageStatus.UNDELIVERED
        assert db.session.scalar(sa.select(PhoneFlag.error_code)) == "30006"


def test_configured_gateway_is_built_from_config(app, monkeypatch, fake):
    for k, v in {"SMS_GATEWAY": "twilio", "TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": TOKEN,
                 "TWILIO_FROM_NUMBER": FROM, "TWILIO_API_BASE": fake.url}.items():
        monkeypatch.setitem(app.config, k, v)
    monkeypatch.delitem(app.extensions, "safetyops_sms_gateway", raising=False)
    gw = dispatcher.gateway(app)
    try:
        assert isinstance(gw, TwilioGateway) and gw.from_number == FROM
    finally:
        app.extensions.pop("safetyops_sms_gateway", None)
        gw.close()
