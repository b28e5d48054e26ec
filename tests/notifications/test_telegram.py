"""Telegram as a free channel (issue 16): linking by a one-time deep link, sending through the real
pyTelegramBotAPI client against a local Bot API stand-in, the SMS that follows (not delivered; urgent
alert not read in time), preferences, the budget, the log's chain."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa
import time_machine
from flask_babel import lazy_gettext as _l

from safetyops.audit.models import AuditEvent
from safetyops.extensions import db
from safetyops.notifications import budget, dispatcher, services, telegram
from safetyops.notifications.models import (
    BlockReason,
    Channel,
    MessageStatus,
    NotificationPreference,
    OutboundMessage,
    SmsBudget,
    TelegramMode,
)
from safetyops.notifications.outbox import notify, register_text
from safetyops.notifications.telegram_gateway import TelegramGateway
from safetyops.notifications.telegram_models import TelegramLink, TelegramLinkToken

from . import fake_telegram as ft
from .helpers import ScriptedGateway

register_text("test.tg", _l("Duty tomorrow at %(time)s."))
register_text("test.tg_alarm", _l("Alarm: %(what)s."))

BOT_TOKEN = "7000000001:AAE-test-token_for-the-stand-in"
SECRET = "webhook-secret-0123456789"
T0 = dt.datetime(2026, 11, 23, 6, 0, tzinfo=dt.UTC)


@pytest.fixture
def bot(app, monkeypatch):
    """The Bot API stand-in, and the app's Telegram settings pointed at it (the real client library)."""
    with ft.FakeTelegram(BOT_TOKEN) as fake:
        monkeypatch.setitem(app.config, "TELEGRAM_BOT_TOKEN", BOT_TOKEN)
        monkeypatch.setitem(app.config, "TELEGRAM_BOT_NAME", "safetyops_test_bot")
        monkeypatch.setitem(app.config, "TELEGRAM_API_BASE", fake.url)
        monkeypatch.setitem(app.config, "TELEGRAM_TIMEOUT", 5)
        app.extensions.pop("safetyops_telegram", None)
        yield fake
        app.extensions.pop("safetyops_telegram", None)


def _get(mid):
    db.session.expire_all()
    return db.session.get(OutboundMessage, mid)


def _link(user, chat_id):
    db.session.add(TelegramLink(user_id=user.id, chat_id=chat_id))
    db.session.flush()


def _person(f, chat_id=None, phone="+996555700001", **kw):
    user = f.user("teacher", phone=phone, **kw)
    if chat_id is not None:
        _link(user, chat_id)
    return user


def _pass(bot, timeout=5):
    sms = ScriptedGateway()
    out = dispatcher.run_pass(gw=sms, tg=TelegramGateway(BOT_TOKEN, api_base=bot.url, timeout=timeout))
    return sms, out


def _rows(user):
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(OutboundMessage).where(OutboundMessage.user_id == user.id).order_by(OutboundMessage.id)
        )
    )


# ------------------------------------------------------------------ linking


def test_linking_end_to_end_profile_deep_link_start_update_linked(client, f, bot):
    teacher = f.user("teacher", phone="+996555700010")
    from tests.conftest import login

    login(client, teacher)
    html = client.get("/messages/settings").get_data(as_text=True)
    assert "Link Telegram" in html
    token_page = client.get("/messages/settings")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', token_page.get_data(as_text=True)).group(1)
    assert client.post("/messages/telegram/link", data={"csrf_token": csrf}).status_code == 302
    html = client.get("/messages/settings").get_data(as_text=True)
    m = re.search(r"https://t\.me/safetyops_test_bot\?start=([A-Za-z0-9_-]+)", html)
    assert m, html
    token = m.group(1)
    # only the hash is stored
    stored = db.session.scalar(sa.select(TelegramLinkToken).where(TelegramLinkToken.user_id == teacher.id))
    assert stored.token_hash != token and len(stored.token_hash) == 64
    # the person presses Start in Telegram: the bot gets "/start <token>" (polled here)
    bot.user_sends(424242, f"/start {token}", username="aida_k")
    assert telegram.poll(dt.datetime.now(dt.UTC)) == 1
    link = db.session.scalar(sa.select(TelegramLink).where(TelegramLink.user_id == teacher.id))
    assert link.chat_id == 424242 and link.username == "aida_k"
    assert "linked" in bot.sent[-1]["text"] and bot.sent[-1]["chat_id"] == 424242
    assert db.session.scalar(sa.select(AuditEvent.id).where(AuditEvent.action == "messages.telegram_linked"))
    html = client.get("/messages/settings").get_data(as_text=True)
    assert "Linked to Telegram" in html and "@aida_k" in html and "t.me/" not in html
    # the token is single use: another chat cannot take it, polling again applies nothing twice
    bot.user_sends(515151, f"/start {token}")
    telegram.poll(dt.datetime.now(dt.UTC))
    assert db.session.scalar(sa.select(TelegramLink.chat_id).where(TelegramLink.user_id == teacher.id)) == 424242
    assert "not valid" in bot.sent[-1]["text"]
    assert telegram.poll(dt.datetime.now(dt.UTC)) == 0
    # after linking: Telegram first by default
    (row,) = notify(f.school_a, [teacher], "test.tg", "after-link", {"time": "08:00"})
    assert row.channel == Channel.TELEGRAM
    # unlink from the profile: SMS again
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    assert client.post("/messages/telegram/unlink", data={"csrf_token": csrf}).status_code == 302
    assert telegram.link_of(teacher) is None
    (row,) = notify(f.school_a, [teacher], "test.tg", "after-unlink", {"time": "08:00"})
    assert row.channel == Channel.SMS


def test_link_token_expires(f, bot, app):
    teacher = f.user("teacher")
    with time_machine.travel(T0, tick=False) as tm:
        token = telegram.start_link(None, f.school_a, teacher)
        tm.shift(dt.timedelta(minutes=app.config["TELEGRAM_LINK_TTL_MIN"] + 1))
        assert telegram.link_chat(token, 111) is None
    assert telegram.link_of(teacher) is None
    # a new token makes the earlier one void
    t1 = telegram.start_link(None, f.school_a, teacher)
    t2 = telegram.start_link(None, f.school_a, teacher)
    assert telegram.link_chat(t1, 111) is None
    assert telegram.link_chat(t2, 111).id == teacher.id
    assert telegram.link_chat("x" * 65, 111) is None and telegram.link_chat("", 111) is None


def test_link_needs_telegram_set_up(client, as_role):
    as_role("teacher")
    html = client.get("/messages/settings").get_data(as_text=True)
    assert "Link Telegram" not in html
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    r = client.post("/messages/telegram/link", data={"csrf_token": csrf}, follow_redirects=True)
    assert r.status_code == 200 and "not set up" in r.get_data(as_text=True)


def test_webhook_checks_the_secret_and_links_once(client, f, bot, app, monkeypatch):
    monkeypatch.setitem(app.config, "TELEGRAM_WEBHOOK_SECRET", SECRET)
    teacher = f.user("teacher")
    token = telegram.start_link(None, f.school_a, teacher)
    db.session.commit()
    update = bot.user_sends(808080, f"/start {token}")
    url = "/messages/telegram/webhook"
    assert client.post(url, json=update).status_code == 403
    assert client.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}).status_code == 403
    assert telegram.link_of(teacher) is None
    r = client.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert r.status_code == 200
    answer = r.get_json()
    assert answer["method"] == "sendMessage" and answer["chat_id"] == 808080 and "linked" in answer["text"]
    db.session.expire_all()
    assert telegram.link_of(teacher).chat_id == 808080
    # Telegram's retry of the same update changes nothing and answers 200
    r = client.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert r.status_code == 200 and r.get_data() == b""
    # junk is not a 500
    r = client.post(url, data="not json", headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert r.status_code == 200
    # with a webhook secret set, polling is off
    assert telegram.poll(dt.datetime.now(dt.UTC)) == 0


# ------------------------------------------------------------------ preferences and routing


def test_default_is_sms_until_linked_then_telegram_first_and_choices_apply(f, bot):
    unlinked = _person(f, phone="+996555700020")
    linked = _person(f, 2001, phone="+996555700021")
    sms_only = _person(f, 2002, phone="+996555700022")
    db.session.add(
        NotificationPreference(user_id=sms_only.id, channel=Channel.SMS, telegram_mode=TelegramMode.SMS_ONLY)
    )
    db.session.flush()
    rows = notify(f.school_a, [unlinked, linked, sms_only], "test.tg", "1", {"time": "08:00"})
    by_user = {r.user_id: r.channel for r in rows}
    assert by_user == {unlinked.id: Channel.SMS, linked.id: Channel.TELEGRAM, sms_only.id: Channel.SMS}


def test_without_a_bot_token_everything_goes_by_sms(f):
    person = _person(f, 2003)
    (row,) = notify(f.school_a, [person], "test.tg", "1", {"time": "08:00"})
    assert row.channel == Channel.SMS


def test_save_preference_keeps_the_telegram_mode(f, bot):
    person = _person(f, 2004)
    services.save_preference(
        person, f.school_a, person, channel="sms", quiet_start=None, quiet_end=None, telegram_mode="both"
    )
    pref = services.preference(person)
    assert pref.telegram_mode == TelegramMode.BOTH_URGENT
    from safetyops.errors_service import ServiceError

    with pytest.raises(ServiceError):
        services.save_preference(person, f.school_a, person, channel="telegram", quiet_start=None, quiet_end=None)
    with pytest.raises(ServiceError):
        services.save_preference(
            person, f.school_a, person, channel="sms", quiet_start=None, quiet_end=None, telegram_mode="pigeon"
        )


def test_settings_page_saves_the_mode(client, f, bot):
    from tests.conftest import login

    person = _person(f, 2005)
    login(client, person)
    html = client.get("/messages/settings").get_data(as_text=True)
    assert 'name="telegram_mode"' in html and "Unlink Telegram" in html
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    r = client.post("/messages/settings", data={"csrf_token": csrf, "channel": "sms", "telegram_mode": "sms"})
    assert r.status_code == 302
    db.session.expire_all()
    assert services.preference(person).telegram_mode == TelegramMode.SMS_ONLY
    r = client.post("/messages/settings", data={"csrf_token": csrf, "channel": "sms", "telegram_mode": "nonsense"})
    assert r.status_code == 200  # the form again, with a message, not a 500


# ------------------------------------------------------------------ sending


@time_machine.travel(T0, tick=False)
def test_telegram_message_goes_through_the_bot_api_and_costs_nothing(f, bot, app, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_PRICE_PER_SEGMENT_SOM", 2.0)
    person = _person(f, 3001)
    (row,) = notify(f.school_a, [person], "test.tg", "1", {"time": "08:00"})
    db.session.commit()
    sms, out = _pass(bot)
    assert out.sent == 1 and sms.sent == []
    (sent,) = bot.sent
    assert sent["chat_id"] == 3001 and sent["text"] == "Duty tomorrow at 08:00." and not sent["reply_markup"]
    row = _get(row.id)
    assert row.status == MessageStatus.SENT and row.gateway == "telegram"
    assert row.provider_id == f"tg:3001:{sent['message_id']}" and row.next_attempt_dt is None
    assert budget.month_parts(f.school_a.id, "Asia/Bishkek", T0) == 0
    # nothing again, and the SMS provider is never asked about it
    sms, _ = _pass(bot)
    assert len(bot.sent) == 1 and sms.sent == []


FAULTS = {
    "blocked-403": (ft.blocked(), MessageStatus.FAILED, "403"),
    "chat-not-found-400": (ft.chat_not_found(), MessageStatus.FAILED, "400"),
    "server-error-502": (ft.server_error(502), MessageStatus.UNKNOWN, "502"),
    "api-error-500": (ft.api_error(500, "Internal Server Error"), MessageStatus.UNKNOWN, "500"),
    "rate-limited-429": (ft.api_error(429, "Too Many Requests: retry after 30", 30), MessageStatus.FAILED, "429"),
    "timeout": (ft.delay(30), MessageStatus.UNKNOWN, ""),
    "dropped-answer": (ft.drop(), MessageStatus.UNKNOWN, ""),
    "delivered-answer-lost": (ft.deliver_then_drop(), MessageStatus.UNKNOWN, ""),
}


@pytest.mark.parametrize("fault", list(FAULTS))
@time_machine.travel(T0, tick=False)
def test_not_delivered_by_telegram_sms_follows_once(f, bot, fault):
    reply, status, code = FAULTS[fault]
    person = _person(f, 3100)
    (row,) = notify(f.school_a, [person], "test.tg", "1", {"time": "08:00"})
    db.session.commit()
    bot.script(reply)
    sms, _ = _pass(bot, timeout=1 if fault == "timeout" else 5)
    tg_row, sms_row = _rows(person)
    assert tg_row.id == row.id and tg_row.status == status and tg_row.channel == Channel.TELEGRAM
    assert tg_row.error_code == code and tg_row.next_attempt_dt is None
    assert sms_row.channel == Channel.SMS and sms_row.fallback_of_id == row.id
    assert sms_row.idempotency_key == row.idempotency_key + ":sms"
    assert sms_row.status == MessageStatus.SENT and sms_row.body == row.body
    assert sms.sent == [(person.phone, "Duty tomorrow at 08:00.", "sms", None)]
    # never twice: more passes and the unread sweep add nothing
    sms2, _ = _pass(bot)
    telegram.unread_sweep(T0 + dt.timedelta(hours=1))
    sms3, _ = _pass(bot)
    assert sms2.sent == [] and sms3.sent == [] and len(_rows(person)) == 2


@time_machine.travel(T0, tick=False)
def test_fallback_sms_respects_budget_and_stop(f, bot, app, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_PRICE_PER_SEGMENT_SOM", 2.0)
    db.session.add(SmsBudget(school_id=f.school_a.id, monthly_som=1))  # less than one part: spent
    linked = _person(f, 3200, phone="+996555700030")
    unlinked = _person(f, phone="+996555700031")
    notify(f.school_a, [linked, unlinked], "test.tg", "1", {"time": "08:00"})
    db.session.commit()
    sms, _ = _pass(bot)
    # the budget is spent: the reminder still goes by Telegram to the linked person; no SMS to the other
    assert [s["chat_id"] for s in bot.sent] == [3200] and sms.sent == []
    (other,) = _rows(unlinked)
    assert other.status == MessageStatus.BLOCKED and other.blocked_reason == BlockReason.BUDGET
    # a reminder whose Telegram fails: its SMS is blocked by the budget too (urgent alerts always go)
    bot.script(ft.blocked())
    notify(f.school_a, [linked], "test.tg", "2", {"time": "09:00"})
    db.session.commit()
    sms, _ = _pass(bot)
    assert sms.sent == []
    assert _rows(linked)[-1].blocked_reason == BlockReason.BUDGET


@time_machine.travel(T0, tick=False)
def test_person_without_phone_gets_telegram_and_a_failed_one_is_shown_as_no_phone(f, bot):
    person = _person(f, 3300, phone=None)
    notify(f.school_a, [person], "test.tg", "1", {"time": "08:00"})
    db.session.commit()
    bot.script(ft.blocked())
    sms, _ = _pass(bot)
    tg_row, sms_row = _rows(person)
    assert tg_row.status == MessageStatus.FAILED
    assert sms_row.status == MessageStatus.BLOCKED and sms_row.blocked_reason == BlockReason.NO_PHONE
    assert sms.sent == []


@time_machine.travel(T0, tick=False)
def test_unlinked_before_sending_goes_by_sms(f, bot):
    person = _person(f, 3400)
    (row,) = notify(f.school_a, [person], "test.tg", "1", {"time": "08:00"})
    assert row.channel == Channel.TELEGRAM
    telegram.unlink(person, f.school_a, person)
    db.session.commit()
    sms, _ = _pass(bot)
    assert bot.sent == [] and len(sms.sent) == 1 and _get(row.id).channel == Channel.SMS


# ------------------------------------------------------------------ urgent alerts: the Read button


def test_urgent_alert_not_read_in_time_sms_follows_once(f, bot, app):
    wait = app.config["TELEGRAM_READ_WAIT_MIN"]
    person = _person(f, 3500)
    with time_machine.travel(T0, tick=False) as tm:
        (row,) = notify(f.school_a, [person], "test.tg_alarm", "1", {"what": "fire"}, urgent=True)
        db.session.commit()
        _pass(bot)
        (sent,) = bot.sent
        button = sent["reply_markup"]["inline_keyboard"][0][0]
        assert button == {"text": "Read", "callback_data": f"read:{row.id}"}
        tm.shift(dt.timedelta(minutes=wait) - dt.timedelta(seconds=1))
        assert telegram.unread_sweep(dt.datetime.now(dt.UTC)) == 0
        tm.shift(dt.timedelta(seconds=2))
        assert telegram.unread_sweep(dt.datetime.now(dt.UTC)) == 1
        sms, _ = _pass(bot)
        assert sms.sent == [(person.phone, "Alarm: fire.", "sms", None)]
        tm.shift(dt.timedelta(minutes=30))
        assert telegram.unread_sweep(dt.datetime.now(dt.UTC)) == 0
        sms, _ = _pass(bot)
        assert sms.sent == []
    tg_row, sms_row = _rows(person)
    assert tg_row.status == MessageStatus.SENT and tg_row.read_dt is None
    assert sms_row.fallback_of_id == tg_row.id and sms_row.is_urgent


def test_urgent_alert_read_in_time_no_sms(f, bot):
    person = _person(f, 3600)
    with time_machine.travel(T0, tick=False) as tm:
        (row,) = notify(f.school_a, [person], "test.tg_alarm", "1", {"what": "fire"}, urgent=True)
        db.session.commit()
        _pass(bot)
        tm.shift(dt.timedelta(minutes=2))
        # someone else's chat pressing it changes nothing
        bot.user_presses(999, bot.sent[0], f"read:{row.id}")
        bot.user_presses(3600, bot.sent[0], f"read:{row.id}")
        assert telegram.poll(dt.datetime.now(dt.UTC), TelegramGateway(BOT_TOKEN, api_base=bot.url)) == 2
        assert [a["text"] for a in bot.answered] == ["This message is no longer linked.", "Thank you, marked as read."]
        row = _get(row.id)
        assert row.read_dt == T0 + dt.timedelta(minutes=2) and row.status == MessageStatus.DELIVERED
        tm.shift(dt.timedelta(minutes=30))
        assert telegram.unread_sweep(dt.datetime.now(dt.UTC)) == 0
        sms, _ = _pass(bot)
    assert sms.sent == [] and len(_rows(person)) == 1


def test_read_button_through_the_webhook(client, f, bot, app, monkeypatch):
    monkeypatch.setitem(app.config, "TELEGRAM_WEBHOOK_SECRET", SECRET)
    person = _person(f, 3700)
    (row,) = notify(f.school_a, [person], "test.tg_alarm", "1", {"what": "fire"}, urgent=True)
    db.session.commit()
    _pass(bot)
    update = bot.user_presses(3700, bot.sent[0], f"read:{row.id}")
    r = client.post("/messages/telegram/webhook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert r.get_json()["method"] == "answerCallbackQuery"
    assert _get(row.id).read_dt is not None


@time_machine.travel(T0, tick=False)
def test_both_for_urgent_sends_sms_at_once_and_never_a_second(f, bot):
    person = _person(f, 3800)
    db.session.add(
        NotificationPreference(user_id=person.id, channel=Channel.SMS, telegram_mode=TelegramMode.BOTH_URGENT)
    )
    db.session.flush()
    rows = notify(f.school_a, [person], "test.tg_alarm", "1", {"what": "fire"}, urgent=True)
    assert [r.channel for r in rows] == [Channel.TELEGRAM, Channel.SMS]
    # a non-urgent one is Telegram only
    (reminder,) = notify(f.school_a, [person], "test.tg", "2", {"time": "08:00"})
    assert reminder.channel == Channel.TELEGRAM
    db.session.commit()
    bot.script(ft.blocked())
    sms, _ = _pass(bot)
    assert [s[1] for s in sms.sent] == ["Alarm: fire."]  # the urgent copy; its failed Telegram adds none
    assert telegram.unread_sweep(T0 + dt.timedelta(hours=1)) == 0


@time_machine.travel(T0, tick=False)
def test_sender_killed_mid_send_telegram_unknown_then_sms_once(f, bot, app):
    """As after SIGKILL of the dispatcher while the Bot API held the request: the row stays `sending`;
    the recovery pass makes it unknown (never resent by Telegram), the sweep sends its SMS once."""
    person = _person(f, 3900)
    (row,) = notify(f.school_a, [person], "test.tg", "1", {"time": "08:00"})
    db.session.commit()
    holder = "killed"
    jobs = dispatcher.claim(T0, ids=[row.id], holder=holder)
    assert dispatcher._mark_sending(jobs[0], holder, T0)
    db.session.commit()  # ... and the process dies here
    with time_machine.travel(T0 + dt.timedelta(minutes=5), tick=False):
        sms, out = _pass(bot)
        assert out.recovered == 1 and bot.sent == [] and sms.sent == []
        assert _get(row.id).status == MessageStatus.UNKNOWN
        assert telegram.unread_sweep(dt.datetime.now(dt.UTC)) == 1
        sms, _ = _pass(bot)
        assert len(sms.sent) == 1
        assert telegram.unread_sweep(dt.datetime.now(dt.UTC)) == 0
        sms, _ = _pass(bot)
        assert sms.sent == [] and bot.sent == []


# ------------------------------------------------------------------ the log


@time_machine.travel(T0, tick=False)
def test_log_shows_channel_and_the_fallback_chain(client, as_role, f, bot):
    as_role("director")
    person = _person(f, 4000, full_name="Aida Telegram")
    (row,) = notify(f.school_a, [person], "test.tg", "1", {"time": "08:00"})
    db.session.commit()
    bot.script(ft.blocked())
    _pass(bot)
    html = client.get("/messages/").get_data(as_text=True)
    assert 'data-channel="telegram"' in html and 'data-channel="sms"' in html
    assert "not delivered" in html and "after Telegram" in html
    page = client.get(f"/messages/{row.id}").get_data(as_text=True)
    (sms_id,) = [r.id for r in _rows(person) if r.id != row.id]
    assert f'/messages/{sms_id}"' in page


def test_updates_that_are_not_ours_change_nothing(f, bot):
    """A group message, text without /start, an unknown button: applied once, nothing linked or read."""
    person = _person(f, 4100)
    bot.user_sends(4100, "hello")
    bot.user_sends(4100, "/start")
    bot.user_presses(4100, {"message_id": 1, "text": "x"}, "read:999999999999999999999")
    bot.user_presses(4100, {"message_id": 1, "text": "x"}, "something-else")
    assert telegram.poll(dt.datetime.now(dt.UTC)) == 4
    assert telegram.link_of(person).chat_id == 4100  # unchanged
    assert len(bot.answered) == 2 and "not valid" in bot.sent[-1]["text"]
    assert telegram.handle_update(None) is None
    telegram.parse_update({"update_id": 1, "message": "junk"})  # junk parses to None or raises nothing


def test_nightly_purge_drops_spent_tokens_and_old_updates_but_the_newest(f, bot):
    from safetyops.notifications import jobs
    from safetyops.notifications.telegram_models import TelegramUpdate

    teacher = f.user("teacher")
    with time_machine.travel(T0, tick=False):
        telegram.start_link(None, f.school_a, teacher)
        db.session.add_all([TelegramUpdate(update_id=10, received_dt=T0), TelegramUpdate(update_id=11, received_dt=T0)])
        db.session.flush()
    jobs.purge_old_messages(T0 + dt.timedelta(days=40))
    assert db.session.scalar(sa.select(sa.func.count(TelegramLinkToken.id))) == 0
    assert list(db.session.scalars(sa.select(TelegramUpdate.update_id))) == [11]


# ------------------------------------------------------------------ Latin letters: SMS only (issue 16)

register_text("test.tg_text", _l("%(text)s"))
KY_TEXT = "Эртең күзөт: Өрт өчүргүч"
KY_LATIN = "Erteng küzöt: Ört öchürgüch"


def _latin_school(f):
    from safetyops.notifications import routes

    routes.save_route(f.school_a.id, "", latin=True)


@time_machine.travel(T0, tick=False)
def test_latin_school_telegram_keeps_the_text_and_its_sms_fallback_goes_in_latin(f, bot):
    """Telegram costs nothing per part: a school's "reminders in Latin letters" is for SMS only."""
    _latin_school(f)
    person = _person(f, 4200, locale="ky")
    (row,) = notify(f.school_a, [person], "test.tg_text", "1", {"text": KY_TEXT})
    assert row.channel == Channel.TELEGRAM and row.body == KY_TEXT
    db.session.commit()
    bot.script(ft.blocked())
    sms, _ = _pass(bot)
    assert [c.params["text"] for c in bot.calls_to("sendMessage")] == [KY_TEXT]  # asked in Cyrillic
    tg_row, sms_row = _rows(person)
    assert tg_row.body == KY_TEXT and tg_row.status == MessageStatus.FAILED
    assert sms_row.fallback_of_id == tg_row.id and sms_row.body == KY_LATIN
    assert sms.sent == [(person.phone, KY_LATIN, "sms", None)]


@time_machine.travel(T0, tick=False)
def test_latin_school_telegram_delivered_in_cyrillic(f, bot):
    _latin_school(f)
    person = _person(f, 4210, locale="ky")
    notify(f.school_a, [person], "test.tg_text", "1", {"text": KY_TEXT})
    db.session.commit()
    sms, _ = _pass(bot)
    assert [s["text"] for s in bot.sent] == [KY_TEXT] and sms.sent == []


@time_machine.travel(T0, tick=False)
def test_latin_school_unread_urgent_sweep_and_unlinked_rows_sms_in_latin(f, bot):
    """Every SMS of a Telegram message goes in Latin letters when its text was to: the unknown-send
    sweep's fallback and a row whose person unlinked before sending. Urgent alerts stay as written."""
    _latin_school(f)
    unlinked = _person(f, 4220, phone="+996555700220", locale="ky")
    (row,) = notify(f.school_a, [unlinked], "test.tg_text", "1", {"text": KY_TEXT})
    assert row.channel == Channel.TELEGRAM and row.body == KY_TEXT
    telegram.unlink(unlinked, f.school_a, unlinked)
    alarmed = _person(f, 4221, phone="+996555700221", locale="ky")
    (alarm,) = notify(f.school_a, [alarmed], "test.tg_text", "2", {"text": KY_TEXT}, urgent=True)
    db.session.commit()
    sms, _ = _pass(bot)
    assert sms.sent == [(unlinked.phone, KY_LATIN, "sms", None)] and _get(row.id).body == KY_LATIN
    assert [s["text"] for s in bot.sent] == [KY_TEXT]
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        assert telegram.unread_sweep(dt.datetime.now(dt.UTC)) == 1
        sms, _ = _pass(bot)
    assert sms.sent == [(alarmed.phone, KY_TEXT, "sms", None)]  # urgent: never transliterated


@time_machine.travel(T0, tick=False)
def test_broadcast_ticked_latin_both_for_urgent_telegram_as_typed_sms_in_latin(f, bot):
    person = _person(f, 4230, locale="ky")
    db.session.add(
        NotificationPreference(user_id=person.id, channel=Channel.SMS, telegram_mode=TelegramMode.BOTH_URGENT)
    )
    other = _person(f, 4231, phone="+996555700231", locale="ky")
    db.session.flush()
    rows = notify(f.school_a, [person, other], "test.tg_text", "b1", {"text": KY_TEXT}, urgent=True, latin=True)
    by = {(r.user_id, r.channel): r.body for r in rows}
    assert by == {(person.id, Channel.TELEGRAM): KY_TEXT, (person.id, Channel.SMS): KY_LATIN,
                  (other.id, Channel.TELEGRAM): KY_TEXT}
    db.session.commit()
    bot.script(ft.blocked(), ft.blocked())
    sms, _ = _pass(bot)
    assert [c.params["text"] for c in bot.calls_to("sendMessage")] == [KY_TEXT, KY_TEXT]
    # the urgent copy of "both", and the other person's fallback: both in Latin letters, one each
    assert sorted(sms.sent) == sorted([(person.phone, KY_LATIN, "sms", None), (other.phone, KY_LATIN, "sms", None)])
