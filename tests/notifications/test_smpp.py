"""The SMPP gateway (smpplib) against a local SMSC simulator written with another implementation (Node, the
npm package `smpp`, tests/notifications/smsc/server.js): send, receipts, faults, encodings, routing."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import sqlalchemy as sa
import time_machine
from flask_babel import lazy_gettext as _l

from safetyops.extensions import db
from safetyops.notifications import dispatcher, routes, segments
from safetyops.notifications.models import MessageStatus, OutboundMessage
from safetyops.notifications.outbox import notify, register_text
from safetyops.notifications.smpp_gateway import Receipt, SmppGateway, parse_receipt
from safetyops.notifications.smpp_receipts import ReceiptListener
from safetyops.scheduler import catalogue

from .fake_smsc import PASSWORD, SYSTEM_ID, FakeSmsc

DEADLINE = 60  # seconds: a receipt from the local simulator, on a loaded machine
T0 = dt.datetime(2026, 12, 1, 6, 0, tzinfo=dt.UTC)

register_text("test.smpp", _l("%(text)s"))


@pytest.fixture
def smsc(tmp_path):
    with FakeSmsc(tmp_path) as server:
        yield server


@pytest.fixture
def smpp(app, smsc, monkeypatch):
    """SMPP configured on the server; school A's route is SMPP. Yields the gateway the dispatcher uses."""
    for key, value in {
        "SMPP_HOST": "127.0.0.1",
        "SMPP_PORT": smsc.port,
        "SMPP_SYSTEM_ID": SYSTEM_ID,
        "SMPP_PASSWORD": PASSWORD,
        "SMPP_SOURCE_ADDR": "SafetyOps",
        "SMPP_TIMEOUT": 10,
    }.items():
        monkeypatch.setitem(app.config, key, value)
    built = app.extensions.pop("safetyops_sms_gateways", None)
    gw = routes.gateway_named(app, "smpp")
    yield gw
    for g in app.extensions.pop("safetyops_sms_gateways", {}).values():
        g.close()
    if built is not None:
        app.extensions["safetyops_sms_gateways"] = built


@pytest.fixture
def school_on_smpp(f, smpp):
    routes.save_route(f.school_a.id, "smpp", latin=False)
    db.session.commit()
    return f.school_a


def _queue(f, text, phone="+996555700101", school=None, urgent=True):
    user = f.user("safety_officer", phone=phone, locale="ky")
    (m,) = notify(school or f.school_a, [user], "test.smpp", f"k{phone}{text[:10]}", {"text": text}, urgent=urgent)
    db.session.commit()
    return m


def _get(mid):
    db.session.expire_all()
    return db.session.get(OutboundMessage, mid)


def _wait_for_status(app, gw, mid, statuses):
    """Apply receipts as the listener does until the message reaches one of `statuses` (a deadline, not a
    time it must take)."""
    listener = ReceiptListener(app, gw=gw)
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        listener.run_once(wait=1.0)
        row = _get(mid)
        if row.status in statuses:
            return row
    raise AssertionError(f"message {mid} still {_get(mid).status} after {DEADLINE} s")


# --------------------------------------------------------------------------- sending and receipts


def test_latin_text_goes_gsm7_and_the_receipt_marks_it_delivered(app, f, smsc, smpp, school_on_smpp):
    m = _queue(f, "SafetyOps: fire extinguisher check overdue, zone 2.")
    out = dispatcher.run_pass()  # no gateway given: the school's route picks SMPP
    assert out.sent == 1
    row = _get(m.id)
    assert row.status == MessageStatus.SENT and row.gateway == "smpp"
    (sub,) = smsc.submits()
    assert row.provider_id == sub["message_id"]
    assert sub["destination_addr"] == "996555700101" and sub["dest_addr_ton"] == 1
    assert sub["source_addr"] == "SafetyOps" and sub["source_addr_ton"] == 5
    assert sub["data_coding"] == 0 and sub["udh"] == []
    assert sub["message"] == "SafetyOps: fire extinguisher check overdue, zone 2."
    assert sub["registered_delivery"] & 0x01
    row = _wait_for_status(app, smpp, m.id, {MessageStatus.DELIVERED})
    assert row.provider_status == "delivered" and row.error_code == ""
    assert [e["status"] for e in smsc.events("receipt_resp")] == [0]  # deliver_sm answered ROK


@pytest.mark.parametrize(
    ("stat", "status", "code"),
    [
        ("UNDELIV", MessageStatus.UNDELIVERED, "UNDELIV:001"),
        ("EXPIRED", MessageStatus.UNDELIVERED, "EXPIRED:001"),
        ("REJECTD", MessageStatus.FAILED, "REJECTD:001"),
    ],
)
def test_failure_receipts_map_to_the_outbox_statuses(app, f, smsc, smpp, school_on_smpp, stat, status, code):
    smsc.plan({"do": "ok", "receipt": stat})
    m = _queue(f, "Test")
    dispatcher.run_pass()
    row = _wait_for_status(app, smpp, m.id, {status})
    assert row.provider_status == status.value and row.error_code == code


def test_ucs2_kyrgyz_text_arrives_intact(f, smsc, smpp, school_on_smpp):
    text = "Эртең 07:00дө күзөт. Өрт өчүргүчтөрдү текшериңиз: ө ү ң Ө Ү Ң."
    m = _queue(f, text)
    dispatcher.run_pass()
    (sub,) = smsc.submits()
    assert sub["data_coding"] == 8 and sub["udh"] == []
    assert sub["message"] == text  # decoded by the simulator from UCS-2
    assert _get(m.id).status == MessageStatus.SENT


def test_long_ucs2_text_goes_in_parts_with_a_udh(f, smsc, smpp, school_on_smpp):
    text = (
        "Нөөмөт: Күндүзгү күзөт, эртең саат 07:00дө башталат. Өрт өчүргүчтөрдү жана чыгуучу эшиктерди "
        "текшериңиз, жыйынтыгын журналга жазыңыз. Рахмат!"
    )
    parts = segments.count(text).segments
    assert parts == 3
    m = _queue(f, text)
    dispatcher.run_pass()
    subs = smsc.submits()
    assert len(subs) == parts
    assert all(s["data_coding"] == 8 and s["esm_class"] & 0x40 for s in subs)
    udh = [bytes.fromhex(s["udh"][0]) for s in subs]
    assert {u[0] for u in udh} == {0x00} and len({u[2] for u in udh}) == 1  # concatenation, one reference
    assert [(u[3], u[4]) for u in udh] == [(3, 1), (3, 2), (3, 3)]
    assert "".join(s["message"] for s in subs) == text
    assert _get(m.id).provider_id == subs[0]["message_id"]


# --------------------------------------------------------------------------- faults


def test_connection_dropped_after_submit_is_unknown_once_and_never_resent(f, smsc, smpp, school_on_smpp):
    smsc.plan({"do": "drop"})
    with time_machine.travel(T0, tick=False):
        m = _queue(f, "Dropped answer")
        dispatcher.run_pass()
    row = _get(m.id)
    assert row.status == MessageStatus.UNKNOWN and row.provider_status == "connection-lost"
    assert row.unknown_case == "accepted" and row.provider_id is None  # "answer lost"
    for minutes in (2, 11, 30, 24 * 60):  # housekeeping passes later: nothing resent, still unknown
        with time_machine.travel(T0 + dt.timedelta(minutes=minutes), tick=False):
            dispatcher.run_pass()
    assert _get(m.id).status == MessageStatus.UNKNOWN
    assert len(smsc.submits()) == 1
    # the gateway binds again for the next message
    with time_machine.travel(T0 + dt.timedelta(days=1, minutes=1), tick=False):
        m2 = _queue(f, "After the drop", phone="+996555700102")
        dispatcher.run_pass()
    assert _get(m2.id).status == MessageStatus.SENT
    assert [e["ok"] for e in smsc.events("bind")] == [True, True]


def test_smsc_killed_mid_send_is_unknown_once_and_the_next_message_waits(f, smsc, smpp, school_on_smpp):
    smsc.plan({"do": "die"})
    with time_machine.travel(T0, tick=False):
        m = _queue(f, "SMSC killed")
        dispatcher.run_pass()
    row = _get(m.id)
    assert row.status == MessageStatus.UNKNOWN and row.unknown_case == "accepted"
    assert smsc.proc.wait(timeout=DEADLINE) == 1  # the simulator is gone
    with time_machine.travel(T0 + dt.timedelta(minutes=2), tick=False):
        m2 = _queue(f, "While the SMSC is down", phone="+996555700104")
        dispatcher.run_pass()
    row2 = _get(m2.id)
    assert row2.status == MessageStatus.QUEUED and row2.provider_status == "connect-error"  # nothing sent: retried
    assert _get(m.id).status == MessageStatus.UNKNOWN and len(smsc.submits()) == 1


def test_throttled_is_retried_with_backoff_and_sent_once(f, smsc, smpp, school_on_smpp):
    smsc.plan({"do": "throttle"})
    with time_machine.travel(T0, tick=False):
        m = _queue(f, "Throttled once")
        dispatcher.run_pass()
    row = _get(m.id)
    assert row.status == MessageStatus.QUEUED and row.error_code == "smpp:0x00000058"
    assert row.next_attempt_dt is not None and row.next_attempt_dt.replace(tzinfo=dt.UTC) > T0
    with time_machine.travel(T0 + dt.timedelta(seconds=5), tick=False):
        dispatcher.run_pass()  # not due yet: nothing sent
    assert len(smsc.submits()) == 1
    with time_machine.travel(T0 + dt.timedelta(hours=2), tick=False):
        dispatcher.run_pass()
        dispatcher.run_pass()
    row = _get(m.id)
    assert row.status == MessageStatus.SENT and row.attempts == 2
    subs = smsc.submits()
    assert [s["action"] for s in subs] == ["throttle", "ok"]
    assert [s["message_id"] for s in subs if s["message_id"]] == [row.provider_id]


def test_submit_refused_is_failed_with_the_smpp_code(f, smsc, smpp, school_on_smpp):
    smsc.plan({"do": "fail", "status": 0x0B})
    m = _queue(f, "Bad number")
    dispatcher.run_pass()
    row = _get(m.id)
    assert row.status == MessageStatus.FAILED and row.error_code == "smpp:0x0000000b"
    assert len(smsc.submits()) == 1


def test_bind_refused_sends_nothing_and_retries_later(app, f, smsc, smpp, school_on_smpp, monkeypatch):
    smpp.password = "wrong"
    m = _queue(f, "Bind refused")
    dispatcher.run_pass()
    row = _get(m.id)
    assert row.status == MessageStatus.QUEUED and row.provider_status == "bind-failed"
    assert row.error_code == "smpp:0x0000000e" and row.attempts == 1
    assert smsc.submits() == [] and [e["ok"] for e in smsc.events("bind")] == [False]


def test_smsc_not_reachable_is_retried(f, smpp, school_on_smpp, smsc):
    smpp.port = 1  # nothing listens there
    m = _queue(f, "Nobody home")
    dispatcher.run_pass()
    row = _get(m.id)
    assert row.status == MessageStatus.QUEUED and row.provider_status == "connect-error"


def test_timeout_before_the_answer_is_unknown(f, smsc, smpp, school_on_smpp, monkeypatch):
    smsc.plan({"do": "hang"})  # the simulator takes it and never answers
    smpp.timeout = 1.0  # the timeout itself is under test
    m = _queue(f, "No answer")
    dispatcher.run_pass()
    row = _get(m.id)
    assert row.status == MessageStatus.UNKNOWN and row.provider_status == "timeout"
    assert row.unknown_case == "accepted"


# --------------------------------------------------------------------------- lookups


def test_a_missing_receipt_is_resolved_by_query_sm(f, smsc, smpp, school_on_smpp):
    smsc.plan({"do": "ok", "receipt": None, "state": "DELIVRD"})
    with time_machine.travel(T0, tick=False):
        m = _queue(f, "No receipt")
        dispatcher.run_pass()
    assert _get(m.id).status == MessageStatus.SENT
    with time_machine.travel(T0 + dt.timedelta(minutes=11), tick=False):
        out = dispatcher.run_pass()
    assert out.reconciled == 1 and _get(m.id).status == MessageStatus.DELIVERED
    assert [e["message_id"] for e in smsc.events("query_sm")] == [_get(m.id).provider_id]


def test_an_smsc_without_query_sm_leaves_the_status(tmp_path, smpp):
    (tmp_path / "noquery").mkdir()
    with FakeSmsc(tmp_path / "noquery", SMSC_QUERY="0") as server:
        gw = SmppGateway("127.0.0.1", server.port, SYSTEM_ID, PASSWORD, "SafetyOps")
        try:
            assert gw.send("+996555700109", "Hello").outcome == "accepted"
            assert gw.fetch("sim1000") is None and gw.query_supported is False
            assert gw.fetch("sim1000") is None and len(server.events("query_sm")) == 1  # not asked again
        finally:
            gw.close()


# --------------------------------------------------------------------------- routing and set-up


def test_each_school_goes_by_its_own_route(f, smsc, smpp, school_on_smpp):
    a = _queue(f, "To school A")
    b = _queue(f, "To school B", phone="+996555700103", school=f.school_b)
    dispatcher.run_pass()
    assert _get(a.id).gateway == "smpp" and _get(b.id).gateway == "console"
    assert [s["message"] for s in smsc.submits()] == ["To school A"]


def test_a_route_to_an_unconfigured_gateway_keeps_the_message(app, f, monkeypatch):
    monkeypatch.setitem(app.config, "SMPP_HOST", "")
    monkeypatch.delitem(app.extensions, "safetyops_sms_gateways", raising=False)
    routes.save_route(f.school_a.id, "smpp", latin=False)
    m = _queue(f, "Not configured")
    dispatcher.run_pass()
    row = _get(m.id)
    assert row.status == MessageStatus.QUEUED and row.provider_status == "gateway-unavailable"


def test_the_receipt_listener_runs_beside_the_dispatcher_only_when_smpp_is_configured(app, monkeypatch):
    monkeypatch.setitem(app.config, "SMPP_HOST", "")
    assert not any(isinstance(t, ReceiptListener) for t in catalogue.companions(app))
    monkeypatch.setitem(app.config, "SMPP_HOST", "smsc.example.kg")
    assert any(isinstance(t, ReceiptListener) for t in catalogue.companions(app))


def test_an_early_receipt_waits_for_its_message_id(app, f, smpp):
    listener = ReceiptListener(app, gw=smpp)
    smpp._receipts.append(Receipt("later-1", "DELIVRD", "000"))
    with time_machine.travel(T0, tick=False):
        m = _queue(f, "Early receipt")
    listener.run_once(wait=0)
    assert len(listener.held) == 1
    db.session.execute(
        sa.update(OutboundMessage)
        .where(OutboundMessage.id == m.id)
        .values(provider_id="later-1", status=MessageStatus.SENT)
    )
    db.session.commit()
    assert listener.run_once(wait=0) == 1 and _get(m.id).status == MessageStatus.DELIVERED


def test_receipt_parsing():
    class Pdu:
        esm_class = 0x04
        short_message = (
            b"id:ab12 sub:001 dlvrd:000 submit date:2612010600 done date:2612010601 stat:UNDELIV err:034 text:"
        )
        receipted_message_id = None
        message_state = None

    r = parse_receipt(Pdu())
    assert (r.message_id, r.stat, r.err, r.status, r.error_code) == (
        "ab12",
        "UNDELIV",
        "034",
        "undelivered",
        "UNDELIV:034",
    )

    class Mo(Pdu):
        esm_class = 0
        short_message = b"STOP"

    assert parse_receipt(Mo()) is None


def test_smpp_listen_command(app, f, smsc, smpp, school_on_smpp, monkeypatch):
    runner = app.test_cli_runner()
    mid = _queue(f, "Listened").id
    dispatcher.run_pass()
    end = time.monotonic() + DEADLINE
    while _get(mid).status != MessageStatus.DELIVERED and time.monotonic() < end:
        result = runner.invoke(args=["sms", "smpp-listen", "--once"])
        assert result.exit_code == 0, result.output
    assert _get(mid).status == MessageStatus.DELIVERED
    monkeypatch.setitem(app.config, "SMPP_HOST", "")
    result = runner.invoke(args=["sms", "smpp-listen", "--once"])
    assert result.exit_code != 0 and "not configured" in result.output
