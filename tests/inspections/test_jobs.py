"""Reminder sweeps queue real outbox rows, once, and catch up after downtime."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa

from safetyops.extensions import db
from safetyops.inspections import jobs, services
from safetyops.schools.models import Area

pytest.importorskip("safetyops.notifications.outbox")
from safetyops.notifications.models import OutboundMessage  # noqa: E402

MONDAY = dt.date(2026, 11, 16)


def at(hour, minute=0, day=MONDAY):  # school-local (UTC+6) → UTC
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.timezone(dt.timedelta(hours=6))) \
        .astimezone(dt.UTC)


def _kinds():
    rows = db.session.execute(sa.select(OutboundMessage.kind, OutboundMessage.user_id)
                              .order_by(OutboundMessage.id)).all()
    return [(k, u) for k, u in rows]


@pytest.fixture
def people(f):
    teacher = f.user("teacher", phone="+996555000101")
    officer = f.user("safety_officer", phone="+996555000102")
    director = f.user("director", phone="+996555000103")
    f.appointment(user=officer, area=Area.FIRE_SAFETY)
    f.schedule("fire_daily_walk", starts_on=dt.date(2026, 11, 1))  # 07:30-09:00
    return teacher, officer, director


def test_window_opens_then_overdue_then_escalation_each_once(f, people):
    teacher, officer, director = people
    assert jobs.check_reminders(at(7, 0)) == 0
    assert jobs.check_reminders(at(7, 35)) == 1
    assert jobs.check_reminders(at(7, 40)) == 0  # same key: nothing twice
    assert jobs.check_reminders(at(9, 5)) == 1
    assert jobs.check_reminders(at(11, 10)) == 1  # 2 h late: responsible person
    assert jobs.check_reminders(at(13, 10)) == 1  # 4 h late: director
    assert jobs.check_reminders(at(13, 20)) == 0
    assert _kinds() == [("insp.opens", teacher.id), ("insp.overdue", teacher.id),
                        ("insp.escalate", officer.id), ("insp.escalate", director.id)]


def test_catch_up_after_downtime_sends_what_is_due_now(f, people):
    teacher, officer, director = people
    # the scheduler was down all morning: at 13:30 the overdue reminder and both escalations go out
    assert jobs.check_reminders(at(13, 30)) == 3
    assert {k for k, _u in _kinds()} == {"insp.overdue", "insp.escalate"}


def test_done_check_sends_nothing(f, people):
    teacher = people[0]
    sched = services.active_schedules(f.school_a)[0]
    run = services.start_run(teacher, f.school_a, sched, now=at(7, 40))
    for item in run.version.items:
        services.tick(teacher, f.school_a, run, item_id=item["id"], result="pass", client_uuid=str(uuid.uuid4()))
    db.session.refresh(run)
    services.finish_run(teacher, f.school_a, run, now=at(7, 50))
    assert jobs.check_reminders(at(13, 30)) == 0


def test_action_due_and_overdue_reminders_then_responsible(f, people):
    teacher, officer, _director = people
    a = services.open_action(None, f.school_a, title="x", severity="critical", area="fire_safety",
                             now=at(8, 0))  # due tomorrow, assigned to the officer
    a.assignee_id = teacher.id
    db.session.query(OutboundMessage).delete()
    assert jobs.action_reminders(at(8, 0)) == 0
    assert jobs.action_reminders(at(8, 0, MONDAY + dt.timedelta(days=1))) == 1
    assert jobs.action_reminders(at(8, 0, MONDAY + dt.timedelta(days=2))) == 1
    assert jobs.action_reminders(at(8, 0, MONDAY + dt.timedelta(days=3))) == 1  # 2 days late
    assert jobs.action_reminders(at(8, 0, MONDAY + dt.timedelta(days=4))) == 0
    assert _kinds() == [("insp.action_due", teacher.id), ("insp.action_overdue", teacher.id),
                        ("insp.action_overdue", officer.id)]


def test_critical_failure_queues_a_real_urgent_sms(f, people):
    teacher, officer, director = people
    sched = services.active_schedules(f.school_a)[0]
    run = services.start_run(teacher, f.school_a, sched, now=at(7, 40))
    critical = next(i for i in run.version.items if i["severity"] == "critical")
    services.tick(teacher, f.school_a, run, item_id=critical["id"], result="fail", note="locked",
                  client_uuid=str(uuid.uuid4()), now=at(7, 45))
    rows = list(db.session.scalars(sa.select(OutboundMessage).where(OutboundMessage.kind == "insp.critical")))
    assert {r.user_id for r in rows} == {officer.id, director.id}
    assert all(r.is_urgent and len(r.body) <= 70 for r in rows)


def test_sweeps_are_registered_with_the_scheduler():
    from safetyops.scheduler.catalogue import load_sweeps

    names = set(load_sweeps())
    assert {"inspections.checks", "inspections.actions"} <= names
