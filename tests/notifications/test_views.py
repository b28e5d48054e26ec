"""Screens: message log, broadcast with preview and confirmation, my settings, phones, rules; the CLI."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from safetyops.audit.models import AuditEvent
from safetyops.extensions import db
from safetyops.notifications import dispatcher, services
from safetyops.notifications.models import (
    Channel,
    MessageStatus,
    NotificationPreference,
    OutboundMessage,
    PhoneFlag,
    PhoneOptOut,
)
from safetyops.notifications.outbox import notify, register_text

from .helpers import ScriptedGateway

register_text("test.view", _l("Check %(n)s due."))


def _count(**where):
    q = sa.select(sa.func.count(OutboundMessage.id))
    for k, v in where.items():
        q = q.where(getattr(OutboundMessage, k) == v)
    return db.session.scalar(q)


def test_log_lists_school_messages_with_filters(client, as_role, f):
    director = as_role("director")
    t = f.user("teacher", phone="+996555800001", full_name="Aida Teacher")
    other = f.user("teacher", f.school_b, phone="+77015550000", full_name="Other School")
    notify(f.school_a, [t], "test.view", "1", {"n": "1"})
    notify(f.school_b, [other], "test.view", "1", {"n": "1"})
    notify(f.school_a, [f.user("teacher", phone=None, full_name="No Phone")], "test.view", "2", {"n": "2"})
    db.session.commit()
    html = client.get("/messages/").get_data(as_text=True)
    assert "Aida Teacher" in html and "No Phone" in html and "Other School" not in html
    html = client.get("/messages/?status=blocked").get_data(as_text=True)
    assert "No Phone" in html and "Aida Teacher" not in html
    html = client.get("/messages/?q=8000").get_data(as_text=True)
    assert "Aida Teacher" in html and "No Phone" not in html
    assert client.get("/messages/?status=nonsense").status_code == 200
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "messages.read_log",
                                                         AuditEvent.user_id == director.id))


def test_log_pages(client, as_role, f):
    as_role("director")
    people = [f.user("teacher", phone=f"+9965558{i:05d}") for i in range(55)]
    notify(f.school_a, people, "test.view", "p", {"n": "1"})
    db.session.commit()
    html = client.get("/messages/").get_data(as_text=True)
    assert html.count('class="list-item"') == 50
    before = re.search(r'before=(\d+)', html).group(1)
    html = client.get(f"/messages/?before={before}").get_data(as_text=True)
    assert html.count('class="list-item"') == 5


def test_message_detail_and_resend_unknown(client, as_role, f):
    as_role("director")
    t = f.user("teacher", phone="+996555800002")
    (m,) = notify(f.school_a, [t], "test.view", "u", {"n": "1"})
    db.session.commit()
    from safetyops.notifications.gateways import SendResult

    dispatcher.run_pass(gw=ScriptedGateway(SendResult("unknown", status="timeout")))
    html = client.get(f"/messages/{m.id}").get_data(as_text=True)
    assert "Send again" in html
    # a timeout: the provider most likely has it, so a second copy needs a confirmation
    client.submit(f"/messages/{m.id}/resend", page=f"/messages/{m.id}")
    assert _count(status=MessageStatus.QUEUED) == 0
    resp = client.submit(f"/messages/{m.id}/resend", {"confirm": "1"}, page=f"/messages/{m.id}")
    assert resp.status_code == 302
    assert _count(status=MessageStatus.QUEUED) == 1
    # a sent message cannot be resent
    (m2,) = notify(f.school_a, [t], "test.view", "s", {"n": "1"})
    db.session.commit()
    dispatcher.run_pass(gw=ScriptedGateway(), ids=[m2.id])
    client.submit(f"/messages/{m2.id}/resend", page=f"/messages/{m2.id}")
    assert _count(status=MessageStatus.QUEUED) == 1


def test_broadcast_preview_then_confirm_queues_once(client, as_role, f):
    as_role("director")
    teachers = [f.user("teacher", phone=f"+99655590000{i}") for i in range(3)]
    f.user("guard", phone="+996555900009")
    stopped = f.user("teacher", phone="+996555900008")
    db.session.add(PhoneOptOut(phone=stopped.phone, keyword="STOP"))
    db.session.commit()
    page = client.get("/messages/broadcast").get_data(as_text=True)
    token = re.search(r'name="token" type="hidden" value="([0-9a-f]{32})"', page).group(1)
    text = "Эртең саат 10:00дө эвакуация машыгуусу."
    resp = client.submit("/messages/broadcast", {"audience": "teacher", "text": text, "token": token},
                         page="/messages/broadcast")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Send now" in html
    assert "UCS-2" in html and f"<strong>{len(text)}</strong>" in html
    assert "<strong>4</strong>" in html  # recipients: 3 teachers + the one who said STOP (+ director? no)
    assert _count() == 0  # nothing before confirmation
    data = {"audience": "teacher", "text": text, "token": token, "confirm": "1"}
    resp = client.submit("/messages/broadcast", data, page="/messages/broadcast")
    assert resp.status_code == 302 and token in resp.location
    assert _count(kind="broadcast") == 4
    assert _count(kind="broadcast", status=MessageStatus.BLOCKED) == 1
    client.submit("/messages/broadcast", data, page="/messages/broadcast")  # double tap
    assert _count(kind="broadcast") == 4
    html = client.get(resp.location).get_data(as_text=True)
    assert "Sending: 1 of 4 done" in html and "data-refresh" in html
    dispatcher.run_pass(gw=ScriptedGateway())
    html = client.get(resp.location).get_data(as_text=True)
    assert "Done: 4 messages" in html and "data-refresh" not in html
    assert {m.body for m in db.session.scalars(sa.select(OutboundMessage))} == {text}
    assert teachers


def test_broadcast_errors_keep_the_text(client, as_role, f):
    as_role("director")
    db.session.commit()
    token = "cd" * 16
    long = "Ө" * 250
    resp = client.submit("/messages/broadcast", {"audience": "all", "text": long, "token": token},
                         page="/messages/broadcast")
    html = resp.get_data(as_text=True)
    assert "Too long" in html and long in html
    resp = client.submit("/messages/broadcast", {"audience": "nurse", "text": "Hi", "token": token},
                         page="/messages/broadcast")
    assert "Nobody to send to" in resp.get_data(as_text=True)
    resp = client.submit("/messages/broadcast", {"audience": "all", "text": "Hi", "token": "bad", "confirm": "1"},
                         page="/messages/broadcast")
    assert resp.status_code == 200 and _count() == 0


def test_my_settings(client, as_role, f):
    user = as_role("teacher")
    user.phone = "+996555900100"
    db.session.commit()
    resp = client.submit("/messages/settings", {"channel": "whatsapp", "quiet_start": "22:00", "quiet_end": "07:00"})
    assert resp.status_code == 302
    pref = db.session.scalar(sa.select(NotificationPreference).where(NotificationPreference.user_id == user.id))
    assert pref.channel == Channel.WHATSAPP and pref.quiet_start == dt.time(22) and pref.quiet_end == dt.time(7)
    resp = client.submit("/messages/settings", {"channel": "sms", "quiet_start": "22:00", "quiet_end": ""})
    assert "Give both" in resp.get_data(as_text=True)
    assert client.get("/messages/settings").status_code == 200


def test_settings_without_phone_only_none(client, as_role, f):
    as_role("teacher")
    db.session.commit()
    resp = client.submit("/messages/settings", {"channel": "sms"})
    assert "Add your mobile number" in resp.get_data(as_text=True)
    assert client.submit("/messages/settings", {"channel": "none"}).status_code == 302


def test_phones_page_and_resolve(client, as_role, f):
    as_role("director")
    t = f.user("teacher", phone="+996555900200", full_name="Flagged Person")
    flag = PhoneFlag(user_id=t.id, phone=t.phone, error_code="21211")
    db.session.add(flag)
    s = f.user("teacher", phone="+996555900201", full_name="Stopped Person")
    db.session.add(PhoneOptOut(phone=s.phone, keyword="ТОКТОТ"))
    outsider = f.user("teacher", f.school_b, phone="+77015550001", full_name="Outsider")
    db.session.add(PhoneFlag(user_id=outsider.id, phone=outsider.phone, error_code="21211"))
    db.session.commit()
    html = client.get("/messages/phones").get_data(as_text=True)
    assert "Flagged Person" in html and "Stopped Person" in html and "ТОКТОТ" in html and "Outsider" not in html
    assert services.open_flag_count(f.school_a) == 1
    home = client.get("/").get_data(as_text=True)
    assert "Phone numbers to fix" in home
    client.submit(f"/messages/phones/{flag.id}/resolve", page="/messages/phones")
    assert services.open_flag_count(f.school_a) == 0


def test_rules_page(client, as_role, f):
    as_role("director")
    db.session.commit()
    services.register_rule("test.rule", _l("Test rule"), at_time=dt.time(18), minutes=30)
    try:
        assert "Test rule" in client.get("/messages/rules").get_data(as_text=True)
        resp = client.submit("/messages/rules", {"kind": "test.rule", "at_time": "19:30", "minutes": "45"},
                             page="/messages/rules")
        assert resp.status_code == 302
        setting = services.rule_for(f.school_a, "test.rule")
        assert setting == services.RuleSetting(False, dt.time(19, 30), 45)
        assert services.rule_for(f.school_b, "test.rule") == services.RuleSetting(True, dt.time(18), 30)
        resp = client.submit("/messages/rules", {"kind": "nope", "is_enabled": "y"}, page="/messages/rules")
        assert "Unknown rule" in resp.get_data(as_text=True)
    finally:
        services.RULES.pop("test.rule", None)


def test_sms_send_command(app, f):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["sms", "send", "--to", "0555 123 456", "--text", "Test from SafetyOps"])
    assert result.exit_code == 0, result.output
    assert "+996555123456" in result.output and "status: sent" in result.output
    assert "GSM-7" in result.output
    row = db.session.scalar(sa.select(OutboundMessage).where(OutboundMessage.kind == "test"))
    assert row.status == MessageStatus.SENT and row.gateway == "console"
    bad = runner.invoke(args=["sms", "send", "--to", "12", "--text", "x"])
    assert bad.exit_code != 0
