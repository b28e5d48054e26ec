"""`safetyops serve` answers first; catching up and the backup come later, one after another.

No server is started and no clock is waited on: the server and the hooks are stand-ins that
write down the order of events, and the catch-up plan is read from the scheduler's jobs.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from safetyops import cli as cli_mod
from safetyops import create_app
from safetyops.extensions import db
from safetyops.scheduler import service as sched_service
from safetyops.scheduler.service import CATCHUP_DELAY_S, CATCHUP_STAGGER_S, SchedulerService
from tests.conftest import TEST_CONFIG


def test_serve_binds_its_socket_before_the_scheduler_starts(app, monkeypatch):
    import waitress

    events = []

    class FakeServer:
        def run(self):
            events.append("serve requests")

    def create_server(application, **kw):
        events.append(f"bind {kw['host']}:{kw['port']}")
        return FakeServer()

    monkeypatch.setattr(cli_mod, "upgrade_database", lambda application: events.append("upgrade"))
    monkeypatch.setattr(waitress, "create_server", create_server)
    monkeypatch.setattr(waitress, "serve", lambda application, **kw: events.append("bind and serve"))
    monkeypatch.setitem(app.extensions, "safetyops_serve_hooks", [lambda application: events.append("scheduler")])
    result = app.test_cli_runner().invoke(args=["serve", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert events == ["upgrade", "bind 127.0.0.1:8123", "scheduler", "serve requests"]


@pytest.fixture
def sched_app(tmp_path):
    application = create_app({**TEST_CONFIG, "DATABASE_URL": f"sqlite:///{tmp_path / 's.sqlite3'}",
                              "INSTANCE_PATH": str(tmp_path)})
    with application.app_context():
        db.create_all()
        db.session.remove()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def test_catch_up_is_scheduled_later_one_sweep_after_another(sched_app):
    service = SchedulerService(sched_app, dispatch=False)
    service.add_jobs()  # the scheduler is not started: nothing runs
    now = dt.datetime(2026, 9, 1, 7, 0, tzinfo=dt.UTC)
    plan = service.schedule_catch_up(now)
    with sched_app.app_context():
        names = {f"sweep:{name}" for name in sched_service.load_sweeps()}
    assert {job_id for job_id, _ in plan} == names and len(names) >= 2
    times = [when for _, when in plan]
    assert times[0] == now + dt.timedelta(seconds=CATCHUP_DELAY_S)  # the server answers first
    assert all(b - a == dt.timedelta(seconds=CATCHUP_STAGGER_S) for a, b in zip(times, times[1:], strict=False))
    assert plan[-1][0] == "sweep:scheduler.nightly"  # the backup last
    jobs = {job.id: job for job in service.scheduler.get_jobs()}
    assert [jobs[job_id].next_run_time for job_id, _ in plan] == times


def test_gaining_the_lead_plans_the_catch_up_instead_of_running_it(sched_app, monkeypatch):
    ran = []
    service = SchedulerService(sched_app, dispatch=False)
    monkeypatch.setattr(service, "_sweep", lambda name: ran.append(name))
    service.add_jobs()
    t0 = dt.datetime(2026, 9, 1, 7, 0, tzinfo=dt.UTC)
    with time_machine.travel(t0, tick=False):
        service._heartbeat()  # takes the lease (no other scheduler): it leads
    assert service.is_leader and ran == []
    soonest = min(job.next_run_time for job in service.scheduler.get_jobs() if job.id.startswith("sweep:"))
    assert soonest == t0 + dt.timedelta(seconds=CATCHUP_DELAY_S)
