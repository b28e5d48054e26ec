"""Lease, sweep runs, catch-up after downtime, the nightly job."""

from __future__ import annotations

import datetime as dt
import threading

import sqlalchemy as sa
import time_machine
from flask_babel import lazy_gettext as _l

from safetyops.extensions import db
from safetyops.notifications import dispatcher
from safetyops.notifications.models import MessageStatus, OutboundMessage
from safetyops.notifications.outbox import notify, register_text
from safetyops.scheduler import lease, registry
from safetyops.scheduler.models import SchedulerLease, SweepState
from safetyops.scheduler.service import CATCHUP_DELAY_S, SchedulerService, run_all, run_sweep
from tests.notifications.helpers import ScriptedGateway

T0 = dt.datetime(2026, 11, 23, 4, 0, tzinfo=dt.UTC)

register_text("test.due", _l("Reminder %(n)s is due."))


def test_lease_one_holder_renewal_and_takeover(f):
    assert lease.try_acquire("a", now=T0, ttl=30)
    assert not lease.try_acquire("b", now=T0 + dt.timedelta(seconds=10), ttl=30)
    assert lease.try_acquire("a", now=T0 + dt.timedelta(seconds=20), ttl=30)  # renewal
    assert not lease.try_acquire("b", now=T0 + dt.timedelta(seconds=49), ttl=30)
    assert lease.try_acquire("b", now=T0 + dt.timedelta(seconds=51), ttl=30)  # a stopped renewing
    row = db.session.get(SchedulerLease, "scheduler")
    assert row.holder == "b" and row.acquired_dt == T0 + dt.timedelta(seconds=51)
    assert not lease.try_acquire("a", now=T0 + dt.timedelta(seconds=52), ttl=30)
    lease.release("b")
    assert lease.try_acquire("a", now=T0 + dt.timedelta(seconds=53), ttl=30)


def test_sweep_registry_validates():
    import pytest

    with pytest.raises(ValueError):
        registry.sweep("x", every_minutes=0)
    with pytest.raises(ValueError):
        registry.sweep("", every_minutes=1)


def test_run_sweep_records_state_and_survives_errors(f):
    def boom(now):
        raise RuntimeError("nope")

    assert run_sweep("test.boom", boom, T0) == 0
    state = db.session.get(SweepState, "test.boom")
    assert "nope" in state.last_error and state.runs == 1 and state.last_ok_dt is None
    assert run_sweep("test.ok", lambda now: 3, T0) == 3
    assert db.session.get(SweepState, "test.ok").last_count == 3


def _due_sweep(f, items):
    """A sweep over "database state": every item whose due time has passed gets its reminder."""

    def fn(now):
        n = 0
        for user, due in items:
            if due <= now:
                n += len(notify(f.school_a, [user], "test.due", f"{due:%Y%m%d%H%M}", {"n": f"{due:%H:%M}"}))
        db.session.commit()
        return n

    return fn


def test_scheduler_down_ten_minutes_catches_up_once(f, app):
    """Frozen time: the leader runs at T0, stops; ten minutes later a new leader runs every sweep at once."""
    user = f.user("teacher", phone="+996555100001")
    items = [(user, T0 + dt.timedelta(minutes=m)) for m in (0, 2, 5, 9, 10, 12)]
    registry.sweep("test.due", every_minutes=5)(_due_sweep(f, items))
    gw = ScriptedGateway()
    try:
        with time_machine.travel(T0, tick=False) as tm:
            first = SchedulerService(app, dispatch=False)
            first._heartbeat()
            assert first.is_leader
            first._sweep("test.due")
            dispatcher.run_pass(gw=gw, housekeeping=False)
            assert len(gw.sent) == 1
            # the process dies (no release); ten minutes pass
            tm.shift(dt.timedelta(minutes=10))
            second = SchedulerService(app, dispatch=False)
            second._heartbeat()  # the old lease expired long ago
            assert second.is_leader
            second._sweep("test.due")
            second._sweep("test.due")  # a doubled run
            dispatcher.run_pass(gw=gw, housekeeping=False)
            bodies = [s[1] for s in gw.sent]
            assert bodies == [f"Reminder {h} is due." for h in ("04:00", "04:02", "04:05", "04:09", "04:10")]
            first._heartbeat()  # the old one comes back: it does not lead
            assert not first.is_leader
            first._sweep("test.due")
            tm.shift(dt.timedelta(minutes=3))
            second._heartbeat()
            second._sweep("test.due")
            dispatcher.run_pass(gw=gw, housekeeping=False)
            assert len(gw.sent) == 6 and gw.sent[-1][1] == "Reminder 04:12 is due."
            assert db.session.scalar(sa.select(sa.func.count(OutboundMessage.id))) == 6
    finally:
        registry._SWEEPS.pop("test.due", None)


def test_gaining_the_lead_runs_every_sweep_soon_and_releases_on_shutdown(f, app):
    """On gaining the lead every sweep is planned soon; APScheduler coalesces with a 1-hour grace.

    No scheduler thread: the jobs are added but the scheduler is not started, time is frozen,
    and the due job is run by hand as the scheduler would run it. The real thread is covered by
    the process tests (tests/scheduler/test_processes.py), the whole catch-up plan by
    tests/test_serve_start.py."""
    from safetyops.scheduler.service import JOB_DEFAULTS

    ran = []
    registry.sweep("test.hourly", every_minutes=60)(lambda now: ran.append(now) or 0)
    service = SchedulerService(app, dispatch=False)
    try:
        with time_machine.travel(T0, tick=False):
            service.add_jobs()
            # applied by APScheduler to every job when it starts
            assert JOB_DEFAULTS == {"coalesce": True, "misfire_grace_time": 3600, "max_instances": 1}
            assert service.scheduler._job_defaults == JOB_DEFAULTS
            assert not service.is_leader
            service._heartbeat()  # the first heartbeat takes the free lease
            assert service.is_leader
            job = service.scheduler.get_job("sweep:test.hourly")
            sweeps = [j for j in service.scheduler.get_jobs() if j.id.startswith("sweep:")]
            assert job in sweeps
            assert min(j.next_run_time for j in sweeps) == T0 + dt.timedelta(seconds=CATCHUP_DELAY_S)
            job.func(*job.args)  # what the scheduler runs when the job is due
            assert ran == [T0]
            assert db.session.get(SweepState, "test.hourly").runs == 1
            assert service.scheduler.get_job("lease").trigger.interval.total_seconds() == service.heartbeat_s
    finally:
        service.shutdown()
        registry._SWEEPS.pop("test.hourly", None)
    assert db.session.get(SchedulerLease, "scheduler") is None  # released on shutdown
    assert not service.is_leader


def test_nightly_runs_hooks_and_backup_once_per_night_and_catches_up(f, app, tmp_path, monkeypatch):
    from pathlib import Path

    from safetyops.scheduler import jobs

    monkeypatch.setitem(app.config, "BACKUP_DIR", str(tmp_path / "backups"))
    monkeypatch.setattr(registry, "_NIGHTLY", {})  # this test is about the mechanism, not other areas' hooks
    calls = []
    registry.nightly("test.purge")(lambda now: calls.append(now))
    try:
        # 01:00 in Bishkek: last night's 02:30 has long passed and never ran -> run now
        night = dt.datetime(2026, 11, 22, 19, 0, tzinfo=dt.UTC)
        jobs.nightly_sweep(night)
        assert calls == [night]
        jobs.nightly_sweep(night + dt.timedelta(minutes=15))
        assert len(calls) == 1
        # 02:45 local the next night: due again
        jobs.nightly_sweep(dt.datetime(2026, 11, 22, 20, 45, tzinfo=dt.UTC))
        assert len(calls) == 2
        if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
            files = sorted(Path(tmp_path / "backups").glob("safetyops-*.sqlite3"))
            assert [p.name for p in files] == ["safetyops-2026-11-23.sqlite3"]
            import sqlite3

            with sqlite3.connect(files[0]) as conn:
                assert conn.execute("select count(*) from sqlite_master").fetchone()[0] > 5
            conn.close()
    finally:
        registry._NIGHTLY.pop("test.purge", None)


def test_retention_purge(f, app, monkeypatch):
    from safetyops.notifications.jobs import purge_old_messages

    user = f.user("teacher", phone="+996555100002")
    with time_machine.travel(T0 - dt.timedelta(days=400), tick=False):
        notify(f.school_a, [user], "test.due", "old", {"n": "1"})
    notify(f.school_a, [user], "test.due", "new", {"n": "2"})
    db.session.commit()
    assert purge_old_messages(T0) == 1
    assert db.session.scalar(sa.select(OutboundMessage.idempotency_key)).startswith("test.due:new")
    monkeypatch.setitem(app.config, "SMS_RETENTION_DAYS", 0)
    assert purge_old_messages(T0 + dt.timedelta(days=999)) == 0


def test_run_all_includes_the_areas_sweeps(f):
    with time_machine.travel(T0, tick=False):
        result = run_all()
    assert "notifications.dispatch" in result and "scheduler.nightly" in result
    assert db.session.get(SweepState, "notifications.dispatch").runs == 1


def test_status_page(client, as_role, f):
    as_role("director")
    lease.try_acquire("host:123:abc")
    html = client.get("/scheduler/").get_data(as_text=True)
    assert "host:123:abc" in html and "notifications.dispatch" in html


def test_serve_hook_is_registered_but_nothing_started(app):
    from safetyops.scheduler.views import start_in_serve

    assert start_in_serve in app.extensions["safetyops_serve_hooks"]
    assert "safetyops_scheduler" not in app.extensions
    assert not any(t.name == "safetyops-dispatcher" for t in threading.enumerate())


def test_dispatch_state_is_consistent(f):
    user = f.user("teacher", phone="+996555100003")
    notify(f.school_a, [user], "test.due", "x", {"n": "1"})
    db.session.commit()
    run_all()
    assert db.session.scalar(sa.select(OutboundMessage.status)) == MessageStatus.SENT
