"""The core rules of drills: start once, roll-call updates, counts checked, all clear, after-action, training."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
import time_machine
from sqlalchemy.exc import IntegrityError

from safetyops.audit.models import AuditEvent
from safetyops.drills import civil_defence, planning, services, training
from safetyops.drills.models import ClassReport, Course, Drill, DrillKind
from safetyops.errors_service import ServiceError
from safetyops.extensions import db

T0 = dt.datetime(2026, 10, 14, 4, 0, tzinfo=dt.UTC)  # 10:00 in Bishkek


def _report(actor, school, drill, klass, seconds, **kw):
    values = {"on_register": klass.students, "present": klass.students, "evacuated": klass.students, **kw}
    return services.report_class(actor, school, drill, klass, now=T0 + dt.timedelta(seconds=seconds), **values)


def test_start_then_second_start_is_refused(f):
    director = f.user("director")
    drill = services.start_drill(director, f.school_a, kind="earthquake", now=T0)
    assert drill.is_live and drill.target_seconds == 240
    with pytest.raises(ServiceError, match="already running"):
        services.start_drill(director, f.school_a, kind="fire", now=T0)
    # another school may drill at the same time
    services.start_drill(f.user("director", f.school_b), f.school_b, kind="fire", now=T0)


def test_database_refuses_two_live_drills(f):
    f.drill()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        f.drill()


def test_second_report_updates_the_first_and_keeps_its_time(f):
    teacher = f.user("teacher")
    klass = f.school_class(students=25, homeroom=teacher)
    drill = services.start_drill(f.user("director"), f.school_a, kind="fire", now=T0)
    first, created = _report(teacher, f.school_a, drill, klass, 95, present=24, evacuated=23, missing_names="Асан")
    assert created
    again, created = _report(teacher, f.school_a, drill, klass, 130, present=24, evacuated=24)
    assert not created and again.id == first.id
    rows = db.session.scalars(sa.select(ClassReport).where(ClassReport.drill_id == drill.id)).all()
    assert len(rows) == 1 and rows[0].evacuated == 24 and rows[0].missing_names == ""
    assert rows[0].first_dt == T0 + dt.timedelta(seconds=95)
    state = services.board(drill, T0 + dt.timedelta(seconds=140))
    assert state["totals"]["evacuated"] == 24 and state["totals"]["present"] == 24
    # Every class has reported: the clock stops at the last first report (as the after-action and the PDF).
    assert len(state["reported"]) == 1 and state["elapsed"] == 95 and state["duration"] == 140
    assert not state["clock_running"]


@pytest.mark.parametrize("values,field", [
    ({"on_register": 25, "present": 26, "evacuated": 20}, "present"),
    ({"on_register": 25, "present": 20, "evacuated": 21}, "evacuated"),
    ({"on_register": 25, "present": 20, "evacuated": 20, "injured": 21}, "injured"),
    ({"on_register": 25, "present": 20, "evacuated": 18}, "missing_names"),
    ({"on_register": -1, "present": 0, "evacuated": 0}, "on_register"),
])
def test_bad_counts_are_refused_with_the_field(f, values, field):
    klass = f.school_class()
    drill = f.drill()
    with pytest.raises(ServiceError) as err:
        services.report_class(f.user("director"), f.school_a, drill, klass, **values)
    assert err.value.field == field
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ClassReport)) == 0


def test_database_enforces_present_not_above_register(f):
    klass = f.school_class()
    drill = f.drill()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(ClassReport(school_id=f.school_a.id, drill_id=drill.id, class_id=klass.id, on_register=5,
                                   present=6, evacuated=6))
        db.session.flush()


def test_report_for_another_schools_drill_or_ended_drill_is_refused(f):
    klass = f.school_class()
    other = f.drill(school=f.school_b)
    with pytest.raises(ServiceError):
        services.report_class(f.user("director"), f.school_a, other, klass, on_register=1, present=1, evacuated=1)
    ended = f.drill(ended=True)
    with pytest.raises(ServiceError, match="ended"):
        services.report_class(f.user("director"), f.school_a, ended, klass, on_register=1, present=1, evacuated=1)


def test_all_clear_before_any_report_needs_confirmation(f):
    director = f.user("director")
    drill = services.start_drill(director, f.school_a, kind="fire", now=T0)
    with pytest.raises(services.NeedsConfirmation):
        services.all_clear(director, f.school_a, drill, now=T0 + dt.timedelta(minutes=1))
    assert drill.is_live
    services.all_clear(director, f.school_a, drill, confirmed=True, now=T0 + dt.timedelta(minutes=1))
    assert not drill.is_live
    with pytest.raises(ServiceError, match="already"):
        services.all_clear(director, f.school_a, drill, confirmed=True)
    # a new drill can start once the last one is over
    services.start_drill(director, f.school_a, kind="fire", now=T0 + dt.timedelta(minutes=2))


def test_after_action_times_late_classes_and_unreported(f):
    director = f.user("director")
    with time_machine.travel(T0 - dt.timedelta(days=30), tick=False):
        a, b, c = (f.school_class(name=n, students=20) for n in ("5А", "5Б", "5В"))
    drill = services.start_drill(director, f.school_a, kind="fire", now=T0)  # target 180 s
    _report(director, f.school_a, drill, a, 120)
    _report(director, f.school_a, drill, b, 210)
    services.all_clear(director, f.school_a, drill, now=T0 + dt.timedelta(seconds=300))
    s = services.summary(drill)
    assert s["evacuation"] == 210 and s["duration"] == 300 and s["target"] == 180
    assert [r.school_class.name for r, _s in s["late"]] == ["5Б"]
    assert [k.name for k in s["unreported"]] == ["5В"]
    assert not s["on_time"]
    assert services.drill_seconds(drill) == 210


def test_target_per_school_and_kind(f):
    planning.set_targets(f.user("director"), f.school_a, {"fire": 150})
    assert planning.targets(f.school_a)[DrillKind.FIRE] == 150
    assert planning.targets(f.school_b)[DrillKind.FIRE] == 180
    drill = services.start_drill(f.user("director"), f.school_a, kind="fire", now=T0)
    assert drill.target_seconds == 150
    with pytest.raises(ServiceError):
        planning.set_targets(f.user("director"), f.school_a, {"fire": 0})


def test_plan_line_is_fulfilled_once(f):
    director = f.user("director")
    plan = planning.save_plan(director, f.school_a, None, kind="earthquake", target_date=dt.date(2026, 10, 15))
    with time_machine.travel(T0, tick=False):
        assert [p.id for p in planning.due_plans(f.school_a, dt.date(2026, 10, 14))] == [plan.id]
        drill = services.start_drill(director, f.school_a, kind="fire", plan_id=plan.id, now=T0)
        assert drill.kind is DrillKind.EARTHQUAKE and drill.plan_id == plan.id
        services.all_clear(director, f.school_a, drill, confirmed=True, now=T0)
        assert planning.due_plans(f.school_a, dt.date(2026, 10, 14)) == []
        with pytest.raises(ServiceError, match="already been held"):
            services.start_drill(director, f.school_a, kind="fire", plan_id=plan.id, now=T0)


def test_real_emergency_is_marked_and_audited(f):
    drill = services.start_drill(f.user("director"), f.school_a, kind="fire", is_real=True, now=T0)
    assert drill.is_real and drill.plan_id is None and not drill.is_announced
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "emergency.start"))


def test_training_overview_percent_and_expiring(f):
    director = f.user("director")
    a, b = f.user("teacher"), f.user("teacher")
    today = dt.date(2026, 10, 14)
    training.save_training(director, f.school_a, None, user_id=a.id, course="fire_safety",
                           taken_on=dt.date(2025, 11, 1), expires_on=dt.date(2026, 11, 1), certificate_no="A-1")
    training.save_training(director, f.school_a, None, user_id=b.id, course="fire_safety",
                           taken_on=dt.date(2023, 10, 1), expires_on=dt.date(2026, 10, 1))
    over = training.training_overview(f.school_a, today)
    assert over["staff"] == 3
    assert over["per_course"][Course.FIRE_SAFETY]["valid"] == 1
    assert over["per_course"][Course.FIRE_SAFETY]["percent"] == 33
    assert [r.user_id for r in over["expiring"]] == [a.id]
    assert [r.user_id for r in over["expired"]] == [b.id]
    # a newer certificate replaces the old one
    training.save_training(director, f.school_a, None, user_id=b.id, course="fire_safety",
                           taken_on=dt.date(2026, 10, 10), expires_on=dt.date(2029, 10, 10))
    assert training.training_overview(f.school_a, today)["per_course"][Course.FIRE_SAFETY]["valid"] == 2


def test_training_bad_input(f):
    director, a = f.user("director"), f.user("teacher")
    with pytest.raises(ServiceError) as err:
        training.save_training(director, f.school_a, None, user_id=a.id, course="first_aid",
                               taken_on=dt.date(2026, 1, 1), expires_on=dt.date(2025, 1, 1))
    assert err.value.field == "expires_on"
    with pytest.raises(ServiceError) as err:
        training.save_training(director, f.school_a, None, user_id=a.id, course="electrical",
                               taken_on=dt.date(2026, 1, 1), expires_on=None)
    assert err.value.field == "electrical_group"
    stranger = f.user("teacher", f.school_b)
    with pytest.raises(ServiceError) as err:
        training.save_training(director, f.school_a, None, user_id=stranger.id, course="first_aid",
                               taken_on=dt.date(2026, 1, 1), expires_on=None)
    assert err.value.field == "user_id"


def test_class_names_unique_per_school(f):
    director = f.user("director")
    planning.save_class(director, f.school_a, None, name="5А", grade=5, students=25, homeroom_id=None,
                        assembly_point_id=None)
    with pytest.raises(ServiceError) as err:
        planning.save_class(director, f.school_a, None, name=" 5А ", grade=5, students=25, homeroom_id=None,
                            assembly_point_id=None)
    assert err.value.field == "name"
    planning.save_class(f.user("director", f.school_b), f.school_b, None, name="5А", grade=5, students=20,
                        homeroom_id=None, assembly_point_id=None)


def test_civil_defence_member_reuses_appointments(f):
    from safetyops.schools.models import Appointment, Area

    director, member = f.user("director"), f.user("teacher")
    cd = civil_defence.save_cd_member(director, f.school_a, None, user_id=member.id, function="evacuation",
                                      duties="Leads 1st floor", order_number="7-к", order_date=dt.date(2026, 9, 1),
                                      starts_on=dt.date(2026, 9, 1))
    appt = db.session.get(Appointment, cd.appointment_id)
    assert appt.area is Area.CIVIL_DEFENCE and appt.user_id == member.id
    rows = civil_defence.cd_members(f.school_a, dt.date(2026, 10, 1))
    assert [(a.user_id, m.function.value) for a, m in rows] == [(member.id, "evacuation")]


def test_drill_in_drills_table_has_school(f):
    d = f.drill()
    assert db.session.get(Drill, d.id).school_id == f.school_a.id
