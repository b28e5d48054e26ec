"""The dues are computed once per request with a narrow query (issue 19, item 5).

The director's home asks for them twice (the "my checks" card and the overdue counts): the active
schedules are loaded once, the runs are read as four columns of exactly the periods needed (no Run
object is built), and a write in the same request makes them be computed again.  Outside a request
every call computes them afresh.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import time_machine

from safetyops.database import unit_of_work_memo
from safetyops.extensions import db
from safetyops.inspections import services
from safetyops.inspections.models import Run, RunStatus
from safetyops.inspections.periods import Status
from tests.conftest import login

MONDAY_0800 = dt.datetime(2026, 11, 16, 2, 0, tzinfo=dt.UTC)  # 08:00 in Bishkek


def _schedules(f):
    start = dt.date(2026, 10, 1)
    walk = f.schedule("fire_daily_walk", starts_on=start)
    f.schedule("extinguisher_monthly", starts_on=start)
    f.schedule("documents_quarterly", starts_on=start)
    return walk


def _old_runs(f, schedule, days):
    version = services.ensure_templates()[schedule.template_key]
    for i in range(1, days + 1):  # a run for every past day since the schedule started
        db.session.add(Run(school_id=f.school_a.id, schedule_id=schedule.id,
                           period_start=dt.date(2026, 11, 16) - dt.timedelta(days=i), version_id=version.id,
                           status=RunStatus.DONE))
    db.session.flush()


def test_the_directors_home_loads_the_schedules_once_and_no_run_object(client, f):
    director = f.user("director")
    walk = _schedules(f)
    _old_runs(f, walk, 40)
    statements, runs_built = [], []
    listen = [(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2])),
              (Run, "load", lambda target, ctx: runs_built.append(target.id))]
    with time_machine.travel(MONDAY_0800, tick=False):
        login(client, director)
        client.get("/").close()  # warm
        db.session.commit()
        for target, name, fn in listen:
            sa.event.listen(target, name, fn)
        try:
            assert client.get("/").status_code == 200
        finally:
            for target, name, fn in listen:
                sa.event.remove(target, name, fn)
    assert sum("FROM inspection_schedules" in s for s in statements) == 1
    run_queries = [s for s in statements if "FROM inspection_runs" in s]
    # the dues' runs, and the "Last week" card's runs of last week's periods (reports.jobs.week_digest)
    bounded = [s for s in map(lambda q: " ".join(q.split()), run_queries)
               if "period_start IN" in s or ("period_start >=" in s and "period_start <=" in s)]
    assert len(run_queries) <= 3 and bounded == [" ".join(q.split()) for q in run_queries]
    assert runs_built == []


def test_a_write_in_the_request_computes_the_dues_again(app, f):
    walk = _schedules(f)
    teacher = f.user("teacher")
    with app.test_request_context("/"), unit_of_work_memo(), time_machine.travel(MONDAY_0800, tick=False):
        before = {d.schedule.id: d for d in services.current_dues(f.school_a)}
        assert before[walk.id].run is None
        assert services.current_dues(f.school_a)[0] is before[min(before)]  # the request's memo
        run = services.start_run(teacher, f.school_a, walk)
        after = {d.schedule.id: d for d in services.current_dues(f.school_a)}
        assert after[walk.id].run.id == run.id and not after[walk.id].run.is_done


def test_outside_a_request_each_call_computes_afresh(f):
    walk = _schedules(f)
    first = services.current_dues(f.school_a, MONDAY_0800)
    second = services.current_dues(f.school_a, MONDAY_0800)
    assert first[0] is not second[0]
    assert {d.status for d in first if d.schedule.id == walk.id} == {Status.DUE}


def test_overdue_and_missed_periods_come_from_the_same_narrow_read(f):
    walk = _schedules(f)
    _old_runs(f, walk, 3)  # the last three days done; the four before missed
    missed = [d for d in services.overdue_checks(f.school_a, MONDAY_0800) if d.schedule.id == walk.id]
    assert sorted(d.occurrence.start.day for d in missed) == [9, 10, 11, 12]
    assert {d.status for d in missed} == {Status.MISSED}
