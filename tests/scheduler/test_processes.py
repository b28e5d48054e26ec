"""Fault tests with real processes: SIGKILL mid-send, and two schedulers on one database.

They use a committed database of their own (`fresh_database_url`: SQLite file, or a new
PostgreSQL database when SAFETYOPS_TEST_DATABASE_URL is set).

Marked `slow`: .ci/test runs them in a stage of their own. Every wait is a deadline for
something to happen (generous, about five times what a loaded machine needs), never a
fixed time that something must have taken."""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from safetyops import create_app
from safetyops.extensions import db
from safetyops.notifications.models import MessageStatus, OutboundMessage
from safetyops.scheduler.models import SchedulerLease
from tests.conftest import TEST_CONFIG
from tests.notifications.fake_twilio import FakeTwilio, delay

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
#: How long a process may take to start, lead or answer on a loaded 2-core machine.
DEADLINE = 150
SID = "AC" + "0123456789abcdef" * 2
TOKEN = "proc-token"


def _seed(url, tmp_path, n_users=3, queue=0):
    from flask_babel import lazy_gettext as _l

    from safetyops.notifications.outbox import notify, register_text
    from tests import factories

    register_text("proc.seed", _l("Seeded %(n)s"))
    app = create_app({**TEST_CONFIG, "DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        db.create_all()
        f = factories.Factories()
        users = [f.user("teacher", phone=f"+99655520{i:04d}") for i in range(n_users)]
        ids = [m.id for m in notify(f.school_a, users[:queue], "proc.seed", "s", {"n": "1"})] if queue else []
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return ids


def _env(url, tmp_path, **extra):
    env = dict(os.environ)
    env.update({"SAFETYOPS_DATABASE_URL": url, "SAFETYOPS_INSTANCE_PATH": str(tmp_path),
                "SAFETYOPS_SECRET_KEY": "proc-secret", "PYTHONPATH": str(ROOT)})
    env.update({k: str(v) for k, v in extra.items()})
    return env


def _start(env, *args):
    return subprocess.Popen([sys.executable, "-m", "tests.scheduler.proc", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _engine(url):
    return sa.create_engine(url)


def _wait(pred, timeout, step=0.1):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = pred()
        if value:
            return value
        time.sleep(step)
    return None


def _rows(engine):
    with engine.connect() as conn:
        return conn.execute(sa.select(OutboundMessage.id, OutboundMessage.status, OutboundMessage.to_phone,
                                      OutboundMessage.body).order_by(OutboundMessage.id)).all()


def _status(engine, mid):
    with engine.connect() as conn:
        return MessageStatus(conn.scalar(sa.select(OutboundMessage.status).where(OutboundMessage.id == mid)))


def test_sigkill_between_claim_and_answer(fresh_database_url, tmp_path):
    url = fresh_database_url()
    ids = _seed(url, tmp_path, n_users=3, queue=3)
    engine = _engine(url)
    with FakeTwilio(auth_token=TOKEN) as fake:
        fake.script(delay(30))  # the first send hangs: the provider has it, we never hear back
        env = _env(url, tmp_path, SAFETYOPS_SMS_GATEWAY="twilio", TWILIO_ACCOUNT_SID=SID, TWILIO_AUTH_TOKEN=TOKEN,
                   TWILIO_FROM_NUMBER="+15005550006", SAFETYOPS_TWILIO_API_BASE=fake.url,
                   SAFETYOPS_TWILIO_TIMEOUT=60)
        proc = _start(env, "sms", "dispatch")
        try:
            assert _wait(lambda: len(fake.requests) == 1, DEADLINE), "the dispatcher never called the provider"
            proc.send_signal(signal.SIGKILL)
            proc.wait(DEADLINE)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.communicate()
        assert _status(engine, ids[0]) == MessageStatus.SENDING
        assert {_status(engine, i) for i in ids[1:]} == {MessageStatus.QUEUED}
        # restart (with short stale/claim times instead of waiting two minutes)
        time.sleep(1.2)
        env.update(SAFETYOPS_SMS_SENDING_STALE_S="1", SAFETYOPS_SMS_CLAIM_LEASE_S="1")
        out = subprocess.run([sys.executable, "-m", "tests.scheduler.proc", "sms", "dispatch"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=2 * DEADLINE)
        assert out.returncode == 0, out.stdout + out.stderr
        assert "recovered 1" in out.stdout and "sent 2 of 2" in out.stdout
        out = subprocess.run([sys.executable, "-m", "tests.scheduler.proc", "sms", "dispatch"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=2 * DEADLINE)
        assert "sent 0 of 0" in out.stdout
        posts = [r for r in fake.requests if r.method == "POST"]
        assert len(posts) == 3
        assert len({r.form["To"] for r in posts}) == 3  # each message reached the provider exactly once
    assert _status(engine, ids[0]) == MessageStatus.UNKNOWN
    assert {_status(engine, i) for i in ids[1:]} == {MessageStatus.SENT}
    engine.dispose()


def _holder(engine):
    with engine.connect() as conn:
        return conn.scalar(sa.select(SchedulerLease.holder).where(SchedulerLease.name == "scheduler")) or ""


def test_two_scheduler_processes_one_leads_then_the_other(fresh_database_url, tmp_path):
    url = fresh_database_url()
    _seed(url, tmp_path, n_users=4)
    engine = _engine(url)
    log = tmp_path / "sms.jsonl"
    # A lease of 10 s renewed every 0.5 s: the leader loses it only if starved for 10 s, not because
    # the machine is busy; the takeover after SIGKILL then takes 10-11 s.
    env = _env(url, tmp_path, SAFETYOPS_SMS_LOG_FILE=str(log), SAFETYOPS_SCHEDULER_LEASE_TTL=10,
               SAFETYOPS_SCHEDULER_HEARTBEAT=0.5, SAFETYOPS_SMS_DISPATCH_POLL=0.3, SAFETYOPS_SMS_SENDING_STALE_S=2,
               SAFETYOPS_SMS_CLAIM_LEASE_S=2, SAFETYOPS_NIGHTLY_AT="23:59")
    a = _start(env, "scheduler")
    b = None
    try:
        assert _wait(lambda: f":{a.pid}:" in _holder(engine), DEADLINE), "first scheduler never led"
        b = _start(env, "scheduler")
        time.sleep(4)  # b's heartbeats try for a while (on a busy machine b may still be starting: no harm)
        assert _wait(lambda: sum(1 for r in _rows(engine) if r.status == MessageStatus.SENT) >= 4, DEADLINE)
        assert f":{a.pid}:" in _holder(engine), "the lead moved while the leader was alive"
        a.send_signal(signal.SIGKILL)
        a.wait(DEADLINE)
        killed = time.monotonic()
        assert _wait(lambda: f":{b.pid}:" in _holder(engine), DEADLINE), "second scheduler did not take over"
        takeover = time.monotonic() - killed
        before = len(_rows(engine))
        assert _wait(lambda: len(_rows(engine)) > before + 4, DEADLINE), "the new leader queued nothing"
        # a row the killed leader left `sending` is recovered by the new one (its dispatch sweep or
        # its dispatcher's housekeeping, at the latest a minute later)
        assert _wait(lambda: all(r.status != MessageStatus.SENDING for r in _rows(engine)), DEADLINE)
        b.send_signal(signal.SIGTERM)
        b.wait(DEADLINE)
    finally:
        for p in (a, b):
            if p is not None and p.poll() is None:
                p.kill()
            if p is not None:
                p.communicate()
    rows = _rows(engine)
    sent_lines = [json.loads(line) for line in log.read_text().splitlines()]
    counts = collections.Counter((r["to"], r["body"]) for r in sent_lines)
    assert counts and max(counts.values()) == 1, [k for k, v in counts.items() if v > 1]
    statuses = collections.Counter(r.status for r in rows)
    # at most one row in flight when each process stopped: the killed leader's (recovered: unknown)
    # and one that SIGTERM may cut (the dispatcher thread is not waited for: still `sending`)
    assert statuses[MessageStatus.UNKNOWN] <= 1
    assert statuses[MessageStatus.SENDING] <= 1
    sent = {(r.to_phone, r.body) for r in rows if r.status == MessageStatus.SENT}
    assert sent <= set(counts)  # every "sent" row was really handed to the gateway once
    assert len(counts) - len(sent) <= statuses[MessageStatus.UNKNOWN] + statuses[MessageStatus.SENDING]
    engine.dispose()
    print(f"takeover after {takeover:.1f}s; {len(rows)} messages; {dict(statuses)}")


