"""Gateways, with the real `twilio` client talking to a local fake Twilio server."""

import json
import logging
import re
import threading
import time
from email.utils import formatdate

import pytest
import requests
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, ProtocolError, ReadTimeoutError

from safetyops.notifications import gateways
from safetyops.notifications.gateways import (
    ACCOUNT_CONFIG_CODES,
    TERMINAL_PHONE_CODES,
    ConsoleGateway,
    Gateway,
    SendResult,
    TwilioGateway,
    build_gateway,
    classify_transport_error,
    map_twilio_status,
    register_gateway,
)

from .fake_twilio import FakeTwilio, delay, drop, free_port, rate_limited, server_error, twilio_error

SID = "AC" + "0123456789abcdef" * 2
TOKEN = "secret-token-123"
FROM = "+15005550006"
TO = "+996555123456"
CALLBACK = "https://safety.example.kg/notifications/twilio/status"
MESSAGES_PATH = f"/2010-04-01/Accounts/{SID}/Messages.json"
SM_RE = re.compile(r"^SM[0-9a-f]{32}$")
#: Generous: on a busy machine the local fake may take a while to answer. A short timeout only
#: where a timeout is what is tested (the fake's delayed replies are woken when it stops).
TIMEOUT = 10
SHORT = 0.5


@pytest.fixture
def fake():
    with FakeTwilio(auth_token=TOKEN) as server:
        yield server


@pytest.fixture
def gateway(fake):
    with TwilioGateway(SID, TOKEN, from_number=FROM, api_base=fake.url, timeout=TIMEOUT) as gw:
        yield gw


# ------------------------------------------------------------------ request shape


def test_send_sms_posts_twilio_form_with_basic_auth(fake, gateway):
    result = gateway.send(TO, "Drill at 10:00", status_callback=CALLBACK)

    assert result.outcome == "accepted"
    assert SM_RE.match(result.provider_id)
    assert result.status == "queued"
    assert result.error_code is None
    assert len(fake.requests) == 1
    req = fake.last_request
    assert req.method == "POST"
    assert req.path == MESSAGES_PATH
    assert req.auth == (SID, TOKEN)
    assert req.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    assert "twilio-python" in req.headers["User-Agent"]
    assert req.form == {"To": TO, "From": FROM, "Body": "Drill at 10:00", "StatusCallback": CALLBACK}
    assert fake.messages[result.provider_id]["to"] == TO


def test_no_status_callback_field_when_not_given(fake, gateway):
    assert gateway.send(TO, "hi").outcome == "accepted"
    assert "StatusCallback" not in fake.last_request.form


def test_cyrillic_body_is_sent_as_utf8(fake, gateway):
    body = "Өрт машыгуусу саат 10:00дө. Тревога — эвакуация!"
    gateway.send(TO, body)
    assert fake.last_request.form["Body"] == body


def test_messaging_service_replaces_from(fake):
    service = "MG" + "1" * 32
    with TwilioGateway(SID, TOKEN, messaging_service_sid=service, api_base=fake.url, timeout=TIMEOUT) as gw:
        result = gw.send(TO, "hi")
    assert result.outcome == "accepted"
    assert result.status == "accepted"
    assert fake.last_request.form == {"To": TO, "MessagingServiceSid": service, "Body": "hi"}


def test_whatsapp_prefixes_to_and_from(fake, gateway):
    result = gateway.send(TO, "hi", channel="whatsapp", status_callback=CALLBACK)
    assert result.outcome == "accepted"
    form = fake.last_request.form
    assert form["To"] == f"whatsapp:{TO}"
    assert form["From"] == f"whatsapp:{FROM}"
    assert form["StatusCallback"] == CALLBACK


def test_whatsapp_prefix_is_not_doubled(fake):
    with TwilioGateway(SID, TOKEN, from_number=f"whatsapp:{FROM}", api_base=fake.url, timeout=TIMEOUT) as gw:
        gw.send(f"whatsapp:{TO}", "hi", channel="whatsapp")
        assert fake.last_request.form["To"] == f"whatsapp:{TO}"
        assert fake.last_request.form["From"] == f"whatsapp:{FROM}"
        gw.send(TO, "hi")  # an sms from the same gateway keeps the configured sender as is
        assert fake.last_request.form["To"] == TO


def test_unknown_channel_is_a_programming_error(gateway):
    with pytest.raises(ValueError, match="channel"):
        gateway.send(TO, "hi", channel="pigeon")


# ------------------------------------------------------------------ error classification


@pytest.mark.parametrize(
    ("reply", "outcome", "code", "terminal"),
    [
        (twilio_error(400, 21211, "The 'To' number +996 is not a valid phone number."), "failed", "21211", True),
        (twilio_error(400, 21610, "Attempt to send to unsubscribed recipient"), "failed", "21610", True),
        (twilio_error(400, 21614, "'To' number is not a valid mobile number"), "failed", "21614", True),
        (twilio_error(400, 21612, "The 'To' phone number is not currently reachable"), "failed", "21612", True),
        (twilio_error(400, 21408, "Permission to send an SMS has not been enabled"), "failed", "21408", False),
        (
            twilio_error(400, 21617, "The concatenated message body exceeds the 1600 character limit"),
            "failed",
            "21617",
            False,
        ),
        (twilio_error(403, 20003, "Permission denied"), "failed", "20003", False),
        (rate_limited(), "retry", "20429", False),
        (server_error(500), "unknown", None, False),
        (server_error(502, "Bad Gateway"), "unknown", None, False),
        (twilio_error(503, 20503, "Service unavailable"), "unknown", "20503", False),
        (drop(), "unknown", None, False),
    ],
)
def test_error_replies_map_to_outcomes(fake, gateway, reply, outcome, code, terminal):
    fake.script(reply)
    result = gateway.send(TO, "hi")
    assert result.outcome == outcome
    assert result.error_code == code
    assert result.provider_id is None
    assert result.is_terminal_phone_error is terminal
    assert len(fake.requests) == 1  # the client never resends on its own


def test_failed_result_keeps_twilio_message(fake, gateway):
    fake.script(twilio_error(400, 21211, "The 'To' number 123 is not a valid phone number."))
    result = gateway.send("123", "hi")
    assert result.status == "http-400"
    assert "not a valid phone number" in result.error_message


def test_429_with_retry_after_seconds(fake, gateway):
    fake.script(rate_limited(retry_after=7))
    result = gateway.send(TO, "hi")
    assert (result.outcome, result.status, result.retry_after) == ("retry", "http-429", 7.0)


def test_429_with_retry_after_http_date(fake, gateway):
    fake.script(rate_limited(retry_after=formatdate(time.time() + 30, usegmt=True)))
    result = gateway.send(TO, "hi")
    assert result.outcome == "retry"
    assert 25 <= result.retry_after <= 31


def test_429_without_retry_after(fake, gateway):
    fake.script(rate_limited())
    assert gateway.send(TO, "hi").retry_after is None


def test_code_20429_on_another_status_is_retry(fake, gateway):
    fake.script(twilio_error(400, 20429, "Too Many Requests"))
    assert gateway.send(TO, "hi").outcome == "retry"


def test_next_send_after_an_error_succeeds(fake, gateway):
    fake.script(server_error(500))
    assert gateway.send(TO, "hi").outcome == "unknown"
    assert gateway.send(TO, "hi").outcome == "accepted"


def test_read_timeout_is_unknown_and_fast(fake):
    fake.script(delay(60))
    with TwilioGateway(SID, TOKEN, from_number=FROM, api_base=fake.url, timeout=SHORT) as gateway:
        started = time.monotonic()
        result = gateway.send(TO, "hi")
        elapsed = time.monotonic() - started
    assert result.outcome == "unknown"
    assert result.status == "timeout"
    assert elapsed < 30  # the client gave up; it did not wait for the reply
    assert len(fake.requests) == 1


def test_slow_but_within_timeout_is_accepted(fake, gateway):
    fake.script(delay(0.1))
    assert gateway.send(TO, "hi").outcome == "accepted"


def test_connection_refused_is_retry():
    with TwilioGateway(SID, TOKEN, from_number=FROM, api_base=f"http://127.0.0.1:{free_port()}", timeout=0.5) as gw:
        result = gw.send(TO, "hi")
    assert result.outcome == "retry"
    assert result.status == "connect-error"
    assert result.provider_id is None


def test_wrong_token_is_failed_config_error(fake):
    with TwilioGateway(SID, "wrong", from_number=FROM, api_base=fake.url, timeout=TIMEOUT) as gw:
        result = gw.send(TO, "hi")
    assert result.outcome == "failed"
    assert result.error_code == "20003"
    assert result.error_code in ACCOUNT_CONFIG_CODES
    assert not result.is_terminal_phone_error


def _wrapped(inner):
    """Build the exception requests raises for a urllib3 failure, like HTTPAdapter.send does."""
    from urllib3.exceptions import MaxRetryError

    return MaxRetryError(None, "/x", inner)


@pytest.mark.parametrize(
    ("exc", "outcome"),
    [
        (requests.exceptions.ConnectTimeout(_wrapped(ConnectTimeoutError(None, "connect timed out"))), "retry"),
        (
            requests.exceptions.ConnectionError(_wrapped(NameResolutionError("api.twilio.com", None, OSError()))),
            "retry",
        ),
        (requests.exceptions.ReadTimeout(ReadTimeoutError(None, "/x", "read timed out")), "unknown"),
        (
            requests.exceptions.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError(104))),
            "unknown",
        ),
        (requests.exceptions.ChunkedEncodingError("broken"), "unknown"),
        (ConnectionResetError(104, "reset"), "unknown"),
    ],
)
def test_transport_error_classification(exc, outcome):
    assert classify_transport_error(exc).outcome == outcome


# ------------------------------------------------------------------ fetch / reconcile


def test_fetch_maps_current_status(fake, gateway):
    sid = gateway.send(TO, "hi").provider_id
    fetched = gateway.fetch(sid)
    assert fetched == SendResult("accepted", sid, "queued")
    req = fake.last_request
    assert (req.method, req.path, req.auth) == ("GET", f"/2010-04-01/Accounts/{SID}/Messages/{sid}.json", (SID, TOKEN))

    fake.set_status(sid, "delivered")
    assert gateway.fetch(sid) == SendResult("accepted", sid, "delivered")

    fake.set_status(sid, "undelivered", 30006, "Landline or unreachable carrier")
    result = gateway.fetch(sid)
    assert (result.outcome, result.status, result.error_code) == ("failed", "undelivered", "30006")
    assert result.is_terminal_phone_error
    assert result.error_message == "Landline or unreachable carrier"


def test_fetch_unknown_sid_is_none(fake, gateway):
    assert gateway.fetch("SM" + "0" * 32) is None
    assert fake.last_request.method == "GET"


def test_fetch_server_error_stays_unknown(fake, gateway):
    sid = gateway.send(TO, "hi").provider_id
    fake.script(server_error(500))
    assert gateway.fetch(sid).outcome == "unknown"
    fake.script(rate_limited(retry_after=3))
    result = gateway.fetch(sid)
    assert (result.outcome, result.retry_after, result.provider_id) == ("unknown", 3.0, sid)


def test_fetch_connection_refused_is_unknown():
    with TwilioGateway(SID, TOKEN, from_number=FROM, api_base=f"http://127.0.0.1:{free_port()}", timeout=0.5) as gw:
        result = gw.fetch("SM" + "0" * 32)
    assert result.outcome == "unknown"


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ("queued", "accepted"),
        ("accepted", "accepted"),
        ("scheduled", "accepted"),
        ("sending", "accepted"),
        ("sent", "accepted"),
        ("delivered", "accepted"),
        ("read", "accepted"),
        ("undelivered", "failed"),
        ("failed", "failed"),
        ("canceled", "failed"),
        ("something-new", "unknown"),
        (None, "unknown"),
    ],
)
def test_map_twilio_status(status, outcome):
    result = map_twilio_status("SM1", status)
    assert result.outcome == outcome
    assert result.provider_id == "SM1"


def test_map_twilio_status_error_codes():
    assert map_twilio_status("SM1", "failed", 30006).error_code == "30006"
    assert map_twilio_status("SM1", "Delivered", None).status == "delivered"
    assert map_twilio_status("SM1", "sent", 0).error_code is None


def test_terminal_codes_are_strings():
    assert {"21211", "21610", "21614", "30006"} <= TERMINAL_PHONE_CODES
    assert "21408" not in TERMINAL_PHONE_CODES  # geo permission is our account, not the phone
    assert all(isinstance(c, str) for c in TERMINAL_PHONE_CODES | ACCOUNT_CONFIG_CODES)


def test_send_result_rejects_unknown_outcome():
    with pytest.raises(ValueError):
        SendResult("delivered")


# ------------------------------------------------------------------ console gateway


def test_console_gateway_logs_and_appends_json_lines(tmp_path, caplog):
    path = tmp_path / "sms" / "outbox.jsonl"
    gw = ConsoleGateway(logging.getLogger("test.sms"), path=path)
    with caplog.at_level(logging.INFO, logger="test.sms"):
        first = gw.send(TO, "Өрт машыгуусу", status_callback=CALLBACK)
        second = gw.send(TO, "hi", channel="whatsapp")
    assert first.outcome == second.outcome == "accepted"
    assert re.match(r"^console-[0-9a-f]{32}$", first.provider_id)
    assert first.provider_id != second.provider_id
    assert "Өрт машыгуусу" in caplog.text and TO in caplog.text
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [(r["id"], r["channel"], r["body"]) for r in lines] == [
        (first.provider_id, "sms", "Өрт машыгуусу"),
        (second.provider_id, "whatsapp", "hi"),
    ]
    assert lines[0]["status_callback"] == CALLBACK
    assert gw.fetch(first.provider_id).status == "delivered"
    assert gw.fetch("SM123") is None


def test_console_gateway_without_file(caplog):
    gw = ConsoleGateway(logging.getLogger("test.sms"))
    with caplog.at_level(logging.INFO, logger="test.sms"):
        assert gw.send(TO, "hi").outcome == "accepted"
    assert "hi" in caplog.text


# ------------------------------------------------------------------ factory / registry


def test_build_console_gateway(tmp_path):
    gw = build_gateway("console", {"SMS_LOG_FILE": str(tmp_path / "sms.jsonl")})
    assert isinstance(gw, ConsoleGateway)
    assert isinstance(gw, Gateway)
    gw.send(TO, "hi")
    assert (tmp_path / "sms.jsonl").exists()


def test_build_twilio_gateway_from_settings(fake):
    settings = {
        "TWILIO_ACCOUNT_SID": SID,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_FROM_NUMBER": FROM,
        "TWILIO_MESSAGING_SERVICE_SID": "",
        "TWILIO_API_BASE": fake.url,
        "TWILIO_TIMEOUT": str(TIMEOUT),
    }
    gw = build_gateway("Twilio", settings)
    try:
        assert isinstance(gw, TwilioGateway)
        assert isinstance(gw, Gateway)
        assert gw.name == "twilio"
        assert gw.send(TO, "hi").outcome == "accepted"
        assert fake.last_request.form["From"] == FROM
    finally:
        gw.close()


def test_build_twilio_without_credentials_names_what_is_missing():
    with pytest.raises(ValueError) as info:
        build_gateway("twilio", {"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": ""})
    message = str(info.value)
    assert "TWILIO_AUTH_TOKEN" in message
    assert "TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID" in message
    assert "TWILIO_ACCOUNT_SID" not in message


def test_build_unknown_gateway():
    with pytest.raises(ValueError, match="unknown SMS gateway 'carrier-pigeon'.*console.*twilio"):
        build_gateway("carrier-pigeon", {})


def test_register_another_provider(monkeypatch):
    monkeypatch.setattr(gateways, "_REGISTRY", dict(gateways._REGISTRY))

    class LocalProvider:
        name = "local"

        def __init__(self, url):
            self.url = url
            self.sent = []

        def send(self, to, body, *, channel="sms", status_callback=None):
            self.sent.append((to, body))
            return SendResult("accepted", provider_id="L1", status="queued")

        def fetch(self, provider_id):
            return None

    register_gateway("local", lambda settings: LocalProvider(settings["LOCAL_SMS_URL"]))
    gw = build_gateway("local", {"LOCAL_SMS_URL": "http://sms.local"})
    assert isinstance(gw, Gateway)
    assert gw.url == "http://sms.local"
    assert gw.send(TO, "hi").provider_id == "L1"
    assert "local" in gateways.gateway_names()


def test_twilio_gateway_constructor_checks_sender():
    with pytest.raises(ValueError, match="from_number or messaging_service_sid"):
        TwilioGateway(SID, TOKEN)


def test_fake_server_stops_its_threads_even_mid_request():
    before = set(threading.enumerate())
    with FakeTwilio() as server:
        server.script(delay(120))
        with TwilioGateway(SID, TOKEN, from_number=FROM, api_base=server.url, timeout=SHORT) as gw:
            assert gw.send(TO, "hi").outcome == "unknown"
        started = time.monotonic()
    assert time.monotonic() - started < 60  # the delayed handler was woken, not waited for
    assert set(threading.enumerate()) <= before
