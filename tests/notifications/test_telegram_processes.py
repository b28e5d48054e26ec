"""SIGKILL of the dispatcher while the Bot API holds a Telegram send (a real process, a committed database):
the interrupted message is never sent by Telegram again; its one SMS follows; the others go once.

Marked `slow` like tests/scheduler/test_processes.py, whose approach this follows: every wait is a deadline
for something to happen, never a time that something must have taken."""

from __future__ import annotations

import datetime as dt
import json
import signal
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from safetyops import create_app
from safetyops.extensions import db
from safetyops.notifications.models import Channel, MessageStatus, OutboundMessage
from tests.conftest import TEST_CONFIG
from tests.notifications import fake_telegram as ft
from tests.scheduler.test_processes import DEADLINE, ROOT, _env, _start, _wait

pytestmark = pytest.mark.slow

BOT_TOKEN = "7000000001:AAE-process-test"


def _seed(url, tmp_path):
    from flask_babel import lazy_gettext as _l

    from safetyops.notifications.outbox import notify, register_text
    from safetyops.notifications.telegram_models import TelegramLink
    from tests import factories

    register_text("proc.tg", _l("Telegram seeded %(n)s"))
    app = create_app(
        {**TEST_CONFIG, "DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path), "TELEGRAM_BOT_TOKEN": BOT_TOKEN}
    )
    with app.app_context():
        db.create_all()
        f = factories.Factories()
        users = [f.user("teacher", phone=f"+99655530{i:04d}") for i in range(3)]
        for i, u in enumerate(users):
            db.session.add(TelegramLink(user_id=u.id, chat_id=6000 + i))
        db.session.flush()
        rows = notify(f.school_a, users, "proc.tg", "s", {"n": "1"}, urgent=True)
        assert {r.channel for r in rows} == {Channel.TELEGRAM}
        ids = [r.id for r in rows]
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return app, ids


def _by_id(engine):
    with engine.connect() as conn:
        return {
            r.id: r
            for r in conn.execute(
                sa.select(
                    OutboundMessage.id, OutboundMessage.status, OutboundMessage.channel, OutboundMessage.fallback_of_id
                )
            )
        }


def test_sigkill_mid_telegram_send_then_one_sms(fresh_database_url, tmp_path):
    url = fresh_database_url()
    app, ids = _seed(url, tmp_path)
    engine = sa.create_engine(url)
    log = tmp_path / "sms.jsonl"
    with ft.FakeTelegram(BOT_TOKEN) as bot:
        bot.script(ft.delay(60))  # the first sendMessage hangs: Telegram has it, the sender never hears back
        env = _env(
            url,
            tmp_path,
            SAFETYOPS_TELEGRAM_BOT_TOKEN=BOT_TOKEN,
            SAFETYOPS_TELEGRAM_API_BASE=bot.url,
            SAFETYOPS_TELEGRAM_TIMEOUT=90,
            SAFETYOPS_SMS_LOG_FILE=str(log),
        )
        proc = _start(env, "sms", "dispatch")
        try:
            assert _wait(lambda: len(bot.calls_to("sendMessage")) == 1, DEADLINE), "the bot was never called"
            proc.send_signal(signal.SIGKILL)
            proc.wait(DEADLINE)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.communicate()
        rows = _by_id(engine)
        assert rows[ids[0]].status == MessageStatus.SENDING
        assert {rows[i].status for i in ids[1:]} == {MessageStatus.QUEUED}
        # restart with short stale/claim times instead of waiting two minutes
        time.sleep(1.2)
        env.update(SAFETYOPS_SMS_SENDING_STALE_S="1", SAFETYOPS_SMS_CLAIM_LEASE_S="1")
        out = subprocess.run(
            [sys.executable, "-m", "tests.scheduler.proc", "sms", "dispatch"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=2 * DEADLINE,
        )
        assert out.returncode == 0, out.stdout + out.stderr
        assert "recovered 1" in out.stdout and "sent 2 of 2" in out.stdout
        # the sweep (every minute in the scheduler) queues the interrupted one's SMS; the dispatcher sends it
        with app.app_context():
            from safetyops.notifications import telegram

            app.config.update(TELEGRAM_API_BASE=bot.url)
            assert telegram.unread_sweep(dt.datetime.now(dt.UTC)) == 1
            assert telegram.unread_sweep(dt.datetime.now(dt.UTC)) == 0
            db.session.remove()
            db.engine.dispose()
        for _ in range(2):
            out = subprocess.run(
                [sys.executable, "-m", "tests.scheduler.proc", "sms", "dispatch"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=2 * DEADLINE,
            )
            assert out.returncode == 0, out.stdout + out.stderr
        sends = bot.calls_to("sendMessage")
        assert len(sends) == 3 and len({str(c.params["chat_id"]) for c in sends}) == 3  # each chat once
    rows = _by_id(engine)
    assert rows[ids[0]].status == MessageStatus.UNKNOWN
    assert {rows[i].status for i in ids[1:]} == {MessageStatus.SENT}
    (sms,) = [r for r in rows.values() if r.channel == Channel.SMS]
    assert sms.fallback_of_id == ids[0] and sms.status == MessageStatus.SENT
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [line["body"] for line in lines] == ["Telegram seeded 1"]  # one SMS, for the interrupted one only
    engine.dispose()
