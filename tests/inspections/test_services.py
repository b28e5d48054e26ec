"""Core rules: template sync and versions, status from the clock, ticks, actions."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine

from safetyops.errors_service import ServiceError
from safetyops.extensions import db
from safetyops.inspections import services
from safetyops.inspections.checklist_files import SHIPPED_DIR
from safetyops.inspections.models import (
    ActionStatus,
    ChecklistVersion,
    CorrectiveAction,
    Result,
    Run,
)
from safetyops.inspections.periods import Status
from safetyops.schools.models import Area

# 2026-11-16 is a Monday.  Asia/Bishkek is UTC+6.
MONDAY_0800 = dt.datetime(2026, 11, 16, 2, 0, tzinfo=dt.UTC)  # 08:00 local
MONDAY_0700 = dt.datetime(2026, 11, 16, 1, 0, tzinfo=dt.UTC)
MONDAY_1000 = dt.datetime(2026, 11, 16, 4, 0, tzinfo=dt.UTC)
TUESDAY_0100 = dt.datetime(2026, 11, 16, 19, 0, tzinfo=dt.UTC)  # 01:00 Tuesday local


def _u():
    return str(uuid.uuid4())


# --------------------------------------------------------------------------- open_action


def test_open_action_defaults_assignee_to_responsible_person_and_due_by_severity(f):
    officer = f.user("safety_officer")
    f.appointment(user=officer, area=Area.FIRE_SAFETY)
    zone = f.zone()
    with time_machine.travel(MONDAY_0800, tick=False):
        a = services.open_action(f.user("teacher"), f.school_a, title="Exit blocked", severity="critical",
                                 area="fire_safety", zone_id=zone.id, description="boxes")
        b = services.open_action(None, f.school_a, title="Sign off", severity="minor", area="fire_safety")
    assert a.assignee_id == officer.id and a.status == ActionStatus.OPEN
    assert a.due_on == dt.date(2026, 11, 17) and b.due_on == dt.date(2026, 12, 16)
    assert a.source == "hazard" and a.zone_id == zone.id


def test_open_action_without_a_responsible_person_is_unassigned(f):
    a = services.open_action(None, f.school_a, title="Bins full", severity="major", area="ecology")
    assert a.assignee_id is None


@pytest.mark.parametrize("kw,field", [
    ({"title": "", "severity": "major", "area": "fire_safety"}, "title"),
    ({"title": "x", "severity": "huge", "area": "fire_safety"}, "severity"),
    ({"title": "x", "severity": "major", "area": "nowhere"}, "area"),
])
def test_open_action_bad_input(f, kw, field):
    with pytest.raises(ServiceError) as err:
        services.open_action(None, f.school_a, **kw)
    assert err.value.field == field


def test_open_action_zone_of_another_school_is_refused(f):
    with pytest.raises(ServiceError):
        services.open_action(None, f.school_a, title="x", severity="minor", area="fire_safety",
                             zone_id=f.zone(f.school_b).id)


def test_hazard_report_resent_with_the_same_id_is_stored_once(f):
    key = _u()
    a = services.open_action(None, f.school_a, title="x", severity="minor", area="fire_safety", client_uuid=key)
    b = services.open_action(None, f.school_a, title="x", severity="minor", area="fire_safety", client_uuid=key)
    assert a.id == b.id


# --------------------------------------------------------------------------- sync


def _write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


def test_sync_is_versioned_and_a_broken_file_keeps_the_last_good_version(f, tmp_path):
    src = (SHIPPED_DIR / "fire_alarm_monthly.yaml").read_text(encoding="utf-8")
    _write(tmp_path, "fire_alarm_monthly.yaml", src)
    report = services.sync_templates(tmp_path)
    assert report.added == ["fire_alarm_monthly"] and not report.errors
    first = services.latest_version("fire_alarm_monthly")
    assert services.sync_templates(tmp_path).unchanged == ["fire_alarm_monthly"]

    # a changed wording makes a new version; the old row is untouched
    changed = src.replace("version: 1", "version: 2", 1)
    _write(tmp_path, "fire_alarm_monthly.yaml", changed)
    assert services.sync_templates(tmp_path).added == ["fire_alarm_monthly"]
    second = services.latest_version("fire_alarm_monthly")
    assert second.id != first.id and second.file_version == 2
    assert db.session.get(ChecklistVersion, first.id).file_version == 1

    # a broken file: named in the report, the last good version stays current
    _write(tmp_path, "fire_alarm_monthly.yaml", changed.replace("severity: critical", "severity: awful", 1))
    report = services.sync_templates(tmp_path)
    assert report.errors and "severity" in str(report.errors[0]) and report.added == []
    assert services.latest_version("fire_alarm_monthly").id == second.id


def test_finished_run_keeps_its_wording_after_a_new_version(f, tmp_path):
    services.sync_templates()
    sched = f.schedule("fire_daily_walk", starts_on=dt.date(2026, 11, 1))
    teacher = f.user("teacher")
    with time_machine.travel(MONDAY_0800, tick=False):
        run = services.start_run(teacher, f.school_a, sched)
    old_text = run.version.items[0]["text"]["en"]
    src = (SHIPPED_DIR / "fire_daily_walk.yaml").read_text(encoding="utf-8")
    _write(tmp_path, "fire_daily_walk.yaml", src.replace(old_text, "Exits are clear", 1))
    services.sync_templates(tmp_path)
    assert services.latest_version("fire_daily_walk").items[0]["text"]["en"] == "Exits are clear"
    assert db.session.get(Run, run.id).version.items[0]["text"]["en"] == old_text


# --------------------------------------------------------------------------- status from the clock


def _status(school, sched, now):
    return next(d for d in services.current_dues(school, now) if d.schedule.id == sched.id).status


def test_daily_walk_moves_upcoming_due_overdue_missed_and_done(f):
    sched = f.schedule("fire_daily_walk", starts_on=dt.date(2026, 11, 1))  # window 07:30-09:00
    s = f.school_a
    assert _status(s, sched, MONDAY_0700) == Status.UPCOMING
    assert _status(s, sched, MONDAY_0800) == Status.DUE
    assert _status(s, sched, MONDAY_1000) == Status.OVERDUE
    missed = services.overdue_checks(s, TUESDAY_0100)
    assert [(d.occurrence.start, d.status) for d in missed if d.schedule.id == sched.id][-1] == \
        (dt.date(2026, 11, 16), Status.MISSED)
    with time_machine.travel(MONDAY_1000, tick=False):
        run = services.start_run(f.user("teacher"), s, sched)
        for item in run.version.items:
            services.tick(f.user("teacher"), s, run, item_id=item["id"], result="pass", client_uuid=_u())
        db.session.refresh(run)
        services.finish_run(f.user("teacher"), s, run)
    assert _status(s, sched, MONDAY_1000) == Status.DONE
    assert all(d.schedule.id != sched.id or d.occurrence.start != dt.date(2026, 11, 16)
               for d in services.overdue_checks(s, TUESDAY_0100))


def test_school_days_schedule_has_no_check_at_the_weekend(f):
    sched = f.schedule("fire_daily_walk", starts_on=dt.date(2026, 11, 1))
    saturday = dt.datetime(2026, 11, 21, 3, 0, tzinfo=dt.UTC)
    assert all(d.schedule.id != sched.id for d in services.current_dues(f.school_a, saturday))
    with pytest.raises(ServiceError):
        services.start_run(f.user("teacher"), f.school_a, sched, now=saturday)


def test_monthly_check_is_due_until_the_15th_then_overdue(f):
    sched = f.schedule("extinguisher_monthly", starts_on=dt.date(2026, 10, 1))
    s = f.school_a
    assert _status(s, sched, dt.datetime(2026, 11, 10, 6, tzinfo=dt.UTC)) == Status.DUE
    assert _status(s, sched, dt.datetime(2026, 11, 20, 6, tzinfo=dt.UTC)) == Status.OVERDUE
    october = [d for d in services.overdue_checks(s, dt.datetime(2026, 11, 3, 6, tzinfo=dt.UTC))
               if d.schedule.id == sched.id]
    assert [(d.occurrence.start, d.status) for d in october] == [(dt.date(2026, 10, 1), Status.MISSED)]


def test_my_checks_follow_the_role_or_the_named_person(f):
    teacher, guard = f.user("teacher"), f.user("guard")
    walk = f.schedule("fire_daily_walk", starts_on=dt.date(2026, 11, 1))
    named = f.schedule("territory_daily_guard", starts_on=dt.date(2026, 11, 1), assignee_kind="person",
                       assignee_user_id=teacher.id)
    mine = {d.schedule.id for d in services.my_checks(teacher, f.school_a, "teacher", MONDAY_0800)}
    assert mine == {walk.id, named.id}
    assert {d.schedule.id for d in services.my_checks(guard, f.school_a, "guard", MONDAY_0800)} == set()


# --------------------------------------------------------------------------- ticks


@pytest.fixture
def run(f):
    sched = f.schedule("fire_daily_walk", starts_on=dt.date(2026, 11, 1))
    with time_machine.travel(MONDAY_0800, tick=False):
        return services.start_run(f.user("teacher"), f.school_a, sched)


def test_a_tick_sent_twice_is_stored_once(f, run):
    key = _u()
    item = run.version.items[2]["id"]  # a major item
    a = services.tick(None or f.user("teacher"), f.school_a, run, item_id=item, result="fail", note="dark",
                      client_uuid=key)
    b = services.tick(f.user("teacher"), f.school_a, run, item_id=item, result="fail", note="dark",
                      client_uuid=key)
    assert a.id == b.id
    assert db.session.scalar(sa.select(sa.func.count(CorrectiveAction.id))
                             .where(CorrectiveAction.run_id == run.id)) == 1


def test_a_changed_answer_replaces_the_old_one_and_a_corrected_mistap_withdraws_the_action(f, run):
    item = run.version.items[2]["id"]
    services.tick(f.user("teacher"), f.school_a, run, item_id=item, result="fail", note="dark", client_uuid=_u())
    services.tick(f.user("teacher"), f.school_a, run, item_id=item, result="pass", client_uuid=_u())
    db.session.refresh(run)
    assert [(a.item_id, a.result) for a in run.answers] == [(item, Result.PASS)]
    assert db.session.scalar(sa.select(sa.func.count(CorrectiveAction.id))
                             .where(CorrectiveAction.run_id == run.id)) == 0


def test_bad_ticks_are_refused_clearly(f, run):
    t = f.user("teacher")
    with pytest.raises(services.Refused) as err:
        services.tick(t, f.school_a, run, item_id="no_such_item", result="pass", client_uuid=_u())
    assert err.value.status == 404
    with pytest.raises(services.Refused) as err:
        services.tick(t, f.school_a, run, item_id=run.version.items[0]["id"], result="maybe", client_uuid=_u())
    assert err.value.field == "result"
    with pytest.raises(services.Refused) as err:
        services.tick(t, f.school_a, run, item_id=run.version.items[0]["id"], result="fail", client_uuid=_u())
    assert err.value.field == "note"
    with pytest.raises(services.Refused) as err:
        services.tick(t, f.school_a, run, item_id=run.version.items[0]["id"], result="pass", client_uuid="nope")
    assert err.value.status == 400


def test_finish_needs_every_item_and_required_photos_then_refuses_ticks(f, run):
    t = f.user("teacher")
    items = run.version.items
    with pytest.raises(services.Refused):
        services.finish_run(t, f.school_a, run)
    for item in items[1:]:
        services.tick(t, f.school_a, run, item_id=item["id"], result="pass", client_uuid=_u())
    services.tick(t, f.school_a, run, item_id=items[0]["id"], result="fail", note="boxes", client_uuid=_u())
    db.session.refresh(run)
    assert items[0]["photo_on_fail"]
    assert [i["id"] for i in services.missing_photos(run)] == [items[0]["id"]]
    with pytest.raises(services.Refused):
        services.finish_run(t, f.school_a, run)
    services.tick(t, f.school_a, run, item_id=items[0]["id"], result="na", client_uuid=_u())
    db.session.refresh(run)
    services.finish_run(t, f.school_a, run)
    with pytest.raises(services.Refused) as err:
        services.tick(t, f.school_a, run, item_id=items[1]["id"], result="fail", note="x", client_uuid=_u())
    assert err.value.status == 409


def test_resuming_returns_the_same_run_and_qr_marks_it_verified(f, run):
    sched = run.schedule
    with time_machine.travel(MONDAY_1000, tick=False):
        again = services.start_run(f.user("teacher"), f.school_a, sched, qr=True)
    assert again.id == run.id and again.is_qr_verified


def test_failed_critical_item_opens_a_critical_action_assigned_to_the_responsible(f, run):
    officer = f.user("safety_officer")
    f.appointment(user=officer, area=Area.FIRE_SAFETY)
    critical = next(i for i in run.version.items if i["severity"] == "critical")
    with time_machine.travel(MONDAY_0800, tick=False):
        services.tick(f.user("teacher"), f.school_a, run, item_id=critical["id"], result="fail", note="locked",
                      client_uuid=_u())
    action = db.session.scalar(sa.select(CorrectiveAction).where(CorrectiveAction.run_id == run.id))
    assert action.severity == "critical" and action.assignee_id == officer.id
    assert action.source == "failed_item" and action.zone_id == run.zone_id
    view = services.overdue_view(f.school_a, now=MONDAY_0800)
    assert view.actions[0].id == action.id
    assert services.counts(f.school_a, MONDAY_0800)["critical_actions"] == 1


# --------------------------------------------------------------------------- action workflow


def test_action_workflow_assignee_fixes_responsible_verifies(f):
    officer, teacher, other = f.user("safety_officer"), f.user("teacher"), f.user("teacher")
    f.appointment(user=officer, area=Area.FIRE_SAFETY)
    a = services.open_action(teacher, f.school_a, title="x", severity="major", area="fire_safety")
    a.assignee_id = teacher.id
    with pytest.raises(ServiceError):
        services.set_action_status(other, "teacher", f.school_a, a, "in_progress")
    services.set_action_status(teacher, "teacher", f.school_a, a, "in_progress")
    with pytest.raises(ServiceError):  # fixed needs proof
        services.set_action_status(teacher, "teacher", f.school_a, a, "fixed")
    services.set_action_status(teacher, "teacher", f.school_a, a, "fixed", note="moved the boxes")
    with pytest.raises(ServiceError):  # the assignee cannot verify their own fix
        services.set_action_status(teacher, "teacher", f.school_a, a, "verified")
    services.set_action_status(officer, "safety_officer", f.school_a, a, "verified")
    assert a.status == ActionStatus.VERIFIED and a.verified_by_id == officer.id
    assert [c.new_status for c in a.comments] == ["in_progress", "fixed", "verified"]
    with pytest.raises(ServiceError):
        services.set_action_status(officer, "director", f.school_a, a, "open")
