"""Canteen: sittings within capacity and school hours, approval, the teacher's meal time, the person in charge,
the sanitary check and the breakfast tally."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import sqlalchemy as sa
import time_machine
from flask import url_for
from openpyxl import load_workbook

from safetyops.canteen import services
from safetyops.canteen.models import BreakfastTally, CanteenSettings, SanitaryCheck, ScheduleStatus, Sitting
from safetyops.errors_service import ServiceError
from safetyops.extensions import db

MONDAY = dt.date(2026, 11, 16)
MONDAY_MORNING = dt.datetime(2026, 11, 16, 2, 0, tzinfo=dt.UTC)  # 08:00 in Bishkek


def _capacity(school, n, starts=dt.time(8, 0), ends=dt.time(16, 0)):
    db.session.add(CanteenSettings(school_id=school.id, capacity=n, day_starts=starts, day_ends=ends))
    db.session.flush()


def _t(s):
    return dt.time.fromisoformat(s)


def test_overlapping_sittings_may_not_exceed_the_capacity(f):
    actor = f.user("canteen")
    _capacity(f.school_a, 60)
    a, b, c = (f.school_class(f.school_a, name=n, students=25, grade=2) for n in ("2А", "2Б", "2В"))
    services.save_sitting(actor, f.school_a, None, class_id=a.id, weekdays=[0, 1], starts=_t("10:00"), ends=_t("10:20"))
    services.save_sitting(actor, f.school_a, None, class_id=b.id, weekdays=[0], starts=_t("10:10"), ends=_t("10:30"))
    with pytest.raises(ServiceError) as err:  # 75 students at 10:15 on Monday, 60 seats
        services.save_sitting(actor, f.school_a, None, class_id=c.id, weekdays=[0], starts=_t("10:15"),
                              ends=_t("10:35"))
    assert err.value.field == "starts" and "75" in str(err.value.message) and "60" in str(err.value.message)
    # Back to back is not an overlap: a class leaves as the next comes in.
    services.save_sitting(actor, f.school_a, None, class_id=c.id, weekdays=[0], starts=_t("10:20"), ends=_t("10:40"))
    draft = services.draft_schedule(f.school_a, create=False)
    assert len(draft.sittings) == 4 and draft.status == ScheduleStatus.DRAFT


def test_a_sitting_outside_school_hours_or_for_another_schools_class_is_refused(f):
    actor = f.user("director")
    _capacity(f.school_a, 100, dt.time(8, 0), dt.time(15, 0))
    mine, theirs = f.school_class(f.school_a), f.school_class(f.school_b)
    for kwargs, field in (
        (dict(class_id=mine.id, starts=_t("07:30"), ends=_t("07:50")), "starts"),
        (dict(class_id=mine.id, starts=_t("14:50"), ends=_t("15:10")), "starts"),
        (dict(class_id=mine.id, starts=_t("11:00"), ends=_t("10:40")), "ends"),
        (dict(class_id=theirs.id, starts=_t("11:00"), ends=_t("11:20")), "class_id"),
        (dict(class_id=mine.id, starts=_t("11:00"), ends=_t("11:20"), weekdays=[]), "weekdays"),
    ):
        with pytest.raises(ServiceError) as err:
            services.save_sitting(actor, f.school_a, None, **{"weekdays": [2], **kwargs})
        assert err.value.field == field, kwargs
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Sitting)) == 0


def test_the_form_shows_the_refusal_and_keeps_what_was_typed(client, f, as_role):
    as_role("canteen")
    _capacity(f.school_a, 30)
    a, b = f.school_class(f.school_a, name="3А", students=20), f.school_class(f.school_a, name="3Б", students=20)
    ok = client.submit("/canteen/sittings/new", {"class_id": a.id, "weekdays": ["0"], "starts": "10:15",
                                                  "ends": "10:35"})
    assert ok.status_code == 302
    resp = client.submit("/canteen/sittings/new", {"class_id": b.id, "weekdays": ["0", "3"], "starts": "10:25",
                                                    "ends": "10:45"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "the canteen has 30 seats" in html
    assert 'value="10:25"' in html and 'value="3" checked' in html
    resp = client.submit("/canteen/sittings/new", {"class_id": a.id, "weekdays": ["1"], "starts": "06:00",
                                                    "ends": "06:20"})
    assert "school hours" in resp.get_data(as_text=True)


def test_teachers_see_their_class_meal_time_only_once_the_director_approves(client, f, as_role):
    teacher = f.user("teacher")
    klass = f.school_class(f.school_a, name="1А", grade=1, students=24, homeroom=teacher)
    f.school_class(f.school_a, name="1Б", grade=1)
    _capacity(f.school_a, 80)
    services.save_sitting(f.user("canteen"), f.school_a, None, class_id=klass.id, weekdays=[0, 1, 2, 3, 4],
                          starts=_t("10:15"), ends=_t("10:35"))
    with time_machine.travel(MONDAY_MORNING, tick=False):
        as_role("director")
        home = client.get("/").get_data(as_text=True)
        assert "Canteen schedule awaiting approval" in home
        from tests.conftest import login

        login(client, teacher)
        assert "eats at" not in client.get("/").get_data(as_text=True)  # a draft is not in force
        as_role("director")
        assert client.submit("/canteen/schedule/approve", {}, page="/canteen/schedule?draft=1").status_code == 302
        login(client, teacher)
        home = client.get("/").get_data(as_text=True)
        assert "Class 1А eats at 10:15" in home
        assert "10:15" in client.get("/canteen").get_data(as_text=True)
    # A later draft does not change what teachers see until it is approved too.
    services.save_sitting(f.user("canteen"), f.school_a, None, class_id=klass.id, weekdays=[0],
                          starts=_t("11:00"), ends=_t("11:20"))
    assert [s.starts for k, s in services.my_meal_times(teacher, f.school_a, MONDAY)] == [_t("10:15")]
    services.approve(f.user("director"), f.school_a)
    assert [s.starts for k, s in services.my_meal_times(teacher, f.school_a, MONDAY)] == [_t("11:00")]
    statuses = db.session.scalars(sa.select(Sitting.schedule_id).distinct()).all()
    assert len(statuses) == 2  # the old version is kept (superseded), not overwritten


def test_an_empty_draft_cannot_be_approved_and_a_teacher_cannot_approve(client, f, as_role):
    with pytest.raises(ServiceError):
        services.approve(f.user("director"), f.school_a)
    as_role("teacher")
    assert client.post("/canteen/schedule/approve").status_code in (400, 403)


def test_the_person_in_charge_is_the_assignment_when_no_roster_post_says_otherwise(f):
    manager = f.user("canteen")
    services.assign_duty(f.user("director"), f.school_a, day=MONDAY, user_id=manager.id)
    assert services.in_charge(f.school_a, MONDAY) == [manager]
    with pytest.raises(ServiceError):
        services.assign_duty(f.user("director"), f.school_a, day=MONDAY, user_id=f.user("canteen", f.school_b).id)


def test_the_sanitary_check_needs_a_note_for_a_problem_and_completes(client, f, as_role):
    template, _digest = services.sanitary_template()
    items = [i.id for i in template.items]
    with time_machine.travel(MONDAY_MORNING, tick=False):
        as_role("canteen")
        assert "Canteen sanitary check" in client.get("/").get_data(as_text=True)
        data = {f"item-{i}": "ok" for i in items}
        data[f"item-{items[0]}"] = "fail"
        resp = client.submit("/canteen/sanitary", data)
        assert resp.status_code == 200 and "Say what is wrong" in resp.get_data(as_text=True)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SanitaryCheck)) == 0
        data[f"note-{items[0]}"] = "Fridge 2 at +9 °C"
        assert client.submit("/canteen/sanitary", data).status_code == 302
        check = services.sanitary_check(f.school_a, MONDAY)
        assert check.is_complete and len(check.ticks) == len(items)
        assert [t.note for t in check.ticks if not t.is_ok] == ["Fridge 2 at +9 °C"]
        assert "Canteen sanitary check" not in client.get("/").get_data(as_text=True)


def test_with_an_inspections_schedule_the_check_runs_in_the_inspections_engine(client, f, as_role):
    with time_machine.travel(MONDAY_MORNING, tick=False):
        as_role("canteen")
        schedule = f.schedule("canteen_sanitary_daily")
        html = client.get("/canteen").get_data(as_text=True)
        assert f'action="{url_for("inspections.start", schedule_id=schedule.id, _external=False)}"' in html
        from safetyops.canteen.views import home_cards

        user = f.user("canteen")
        titles = [c.title for c in home_cards(user, f.school_a, user.memberships[0].role, MONDAY)]
        assert "Canteen sanitary check" not in titles  # the engine's "my checks" card has it


def test_the_tally_refuses_more_served_than_the_class_size_and_saves_nothing(client, f, as_role):
    a = f.school_class(f.school_a, name="2А", grade=2, students=25)
    b = f.school_class(f.school_a, name="2Б", grade=2, students=20)
    f.school_class(f.school_a, name="7А", grade=7)  # no free breakfast
    with time_machine.travel(MONDAY_MORNING, tick=False):
        as_role("canteen")
        page = client.get("/canteen/tally").get_data(as_text=True)
        assert "2А" in page and "7А" not in page
        resp = client.submit("/canteen/tally", {f"served-{a.id}": "24", f"absent-{a.id}": "1",
                                                f"substitutions-{a.id}": "3", f"served-{b.id}": "26"})
        html = resp.get_data(as_text=True)
        assert resp.status_code == 200 and "26 served, but class 2Б has 20 students" in html
        assert 'value="26"' in html and 'value="24"' in html  # nothing typed is lost
        assert db.session.scalar(sa.select(sa.func.count()).select_from(BreakfastTally)) == 0
        resp = client.submit("/canteen/tally", {f"served-{a.id}": "24", f"absent-{a.id}": "1",
                                                f"substitutions-{a.id}": "3", f"served-{b.id}": "18",
                                                f"absent-{b.id}": "2"})
        assert resp.status_code == 302
        assert {t.class_id: t.served for t in services.tallies_on(f.school_a, MONDAY).values()} == {a.id: 24,
                                                                                                     b.id: 18}
    with pytest.raises(ServiceError):
        services.save_tally(None, f.school_a, class_id=a.id, day=MONDAY, served=20, absent=6, substitutions=0)
    with pytest.raises(ServiceError):
        services.save_tally(None, f.school_a, class_id=a.id, day=MONDAY, served=5, absent=0, substitutions=6)


def test_the_monthly_summary_and_the_accounts_export(client, f, as_role):
    actor = f.user("canteen")
    a = f.school_class(f.school_a, name="1А", grade=1, students=25)
    for d in range(16, 21):
        services.save_tally(actor, f.school_a, class_id=a.id, day=dt.date(2026, 11, d), served=20, absent=5,
                            substitutions=2)
    services.save_tally(actor, f.school_a, class_id=a.id, day=dt.date(2026, 10, 30), served=25, absent=0,
                        substitutions=0)
    rows, total = services.month_summary(f.school_a, 2026, 11)
    assert (total.days, total.served, total.absent, total.substitutions) == (5, 100, 25, 10)
    as_role("director")
    assert "100" in client.get("/canteen/tally/month?month=2026-11").get_data(as_text=True)
    resp = client.get("/canteen/tally/month.xlsx?month=2026-11")
    wb = load_workbook(io.BytesIO(resp.get_data()))
    values = [[c.value for c in row] for row in wb.worksheets[0].iter_rows()]
    assert ["1А", 25, 5, 100, 25, 10] in values
    assert len(list(wb.worksheets[1].iter_rows())) == 6  # header + five days
    as_role("teacher")
    assert client.get("/canteen/tally/month.xlsx").status_code == 403


def test_capacity_cannot_drop_below_what_the_schedule_seats(f):
    actor = f.user("director")
    _capacity(f.school_a, 60)
    a = f.school_class(f.school_a, students=30)
    b = f.school_class(f.school_a, students=30)
    f.sitting(klass=a, starts="10:00", ends="10:20")
    f.sitting(klass=b, starts="10:10", ends="10:30")
    with pytest.raises(ServiceError) as err:
        services.save_settings(actor, f.school_a, capacity=50, day_starts=_t("08:00"), day_ends=_t("16:00"))
    assert err.value.field == "capacity"
    with pytest.raises(ServiceError):
        services.save_settings(actor, f.school_a, capacity=60, day_starts=_t("10:05"), day_ends=_t("16:00"))


def test_the_canteen_follows_the_school_calendar(client, f, as_role):
    """Issue 14: on a day off the school gives itself (a sanitary day) no meal time is shown for it, nor the
    sanitary check or the breakfast tally: the teacher sees the next day's meal time instead."""
    from safetyops.schools import calendar
    from tests.conftest import login

    teacher = f.user("teacher")
    klass = f.school_class(f.school_a, name="1А", grade=1, students=24, homeroom=teacher)
    _capacity(f.school_a, 80)
    services.save_sitting(f.user("canteen"), f.school_a, None, class_id=klass.id, weekdays=[0, 1, 2, 3, 4],
                          starts=_t("10:15"), ends=_t("10:35"))
    services.approve(f.user("director"), f.school_a)
    calendar.add_entry(None, f.school_a, kind="day_off", name="Санитардык күн", first_day=MONDAY)
    db.session.commit()
    assert services.next_meal_times(teacher, f.school_a, MONDAY)[0] == MONDAY + dt.timedelta(days=1)
    with time_machine.travel(MONDAY_MORNING, tick=False):
        login(client, teacher)
        home = client.get("/").get_data(as_text=True)
        assert "Class 1А eats at 10:15" in home and "on Tuesday" in home
        page = client.get("/canteen").get_data(as_text=True)
        assert "The canteen does not serve this day: Санитардык күн." in page and "mealtime" not in page
        as_role("canteen")
        home = client.get("/").get_data(as_text=True)
        assert "Canteen sanitary check" not in home and "Breakfast tally" not in home
    with time_machine.travel(MONDAY_MORNING + dt.timedelta(days=1), tick=False):
        as_role("canteen")
        home = client.get("/").get_data(as_text=True)
        assert "Canteen sanitary check" in home and "Breakfast tally" in home
