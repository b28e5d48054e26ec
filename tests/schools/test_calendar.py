"""The school calendar (issue 14): national holidays of Kyrgyzstan and Kazakhstan from the `holidays`
library, the school's terms, holidays and days off; checks on school days, the roster generator and
reminders skip the days that are not school days."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
import time_machine

from safetyops.extensions import db
from safetyops.schools import calendar as cal
from safetyops.schools.models import CalendarEntry, CalendarKind


@pytest.fixture(autouse=True)
def _english(app_ctx):
    from flask_babel import force_locale

    with force_locale("en"):
        yield


def _add(school, kind, first, last=None, name="x"):
    return cal.add_entry(None, school, kind=kind, name=name, first_day=first, last_day=last)


def test_national_holidays_by_country(f):
    kg = cal.calendar_for(f.school_a)
    assert kg.country == "KG"
    for day in (dt.date(2027, 1, 1), dt.date(2027, 1, 7), dt.date(2027, 3, 8), dt.date(2027, 3, 21)):
        assert not kg.is_school_day(day), day
        assert kg.why_not(day) == kg.national(day)
    assert kg.is_school_day(dt.date(2027, 1, 11))  # a Monday after the New Year holidays
    assert not kg.is_school_day(dt.date(2027, 1, 16))  # Saturday
    assert kg.is_school_day(dt.date(2027, 1, 16), 0b0111111)  # a six-day school
    kz_school = f.school(district=f.district(country="KZ"))
    kz = cal.calendar_for(kz_school)
    assert not kz.is_school_day(dt.date(2026, 12, 16))  # Independence Day of Kazakhstan
    assert kg.is_school_day(dt.date(2026, 12, 16))
    names = dict(cal.national_holidays("KG", 2027, "ky"))
    assert names[dt.date(2027, 1, 1)] == "Жаңы жыл"
    assert dict(cal.national_holidays("KZ", 2027, "kk"))[dt.date(2027, 1, 1)]


def test_school_entries_terms_and_overrides(f):
    school = f.school_a
    _add(school, "holiday", dt.date(2026, 12, 28), dt.date(2027, 1, 10), "Winter holidays")
    _add(school, "day_off", dt.date(2026, 11, 27), name="Sanitary day")
    _add(school, "school_day", dt.date(2027, 3, 8), name="Worked")
    _add(school, "short_day", dt.date(2026, 12, 25), name="Concert")
    c = cal.calendar_for(school)
    assert not c.is_school_day(dt.date(2026, 12, 28)) and not c.is_school_day(dt.date(2027, 1, 8))
    assert c.why_not(dt.date(2027, 1, 8)) == "Winter holidays"
    assert not c.is_school_day(dt.date(2026, 11, 27))
    assert c.is_school_day(dt.date(2027, 3, 8))  # worked on a national holiday
    assert c.is_school_day(dt.date(2026, 12, 25)) and c.is_short_day(dt.date(2026, 12, 25))
    # No terms written: the summer is not excluded (a school that writes none loses nothing).
    assert c.is_school_day(dt.date(2026, 7, 1))
    assert cal.add_usual_terms(None, school, dt.date(2026, 9, 1)) == 4
    c = cal.calendar_for(school)
    assert [(t.first_day, t.last_day) for t in c.terms(dt.date(2026, 9, 1))][0] == (
        dt.date(2026, 9, 1),
        dt.date(2026, 10, 31),
    )
    assert not c.is_school_day(dt.date(2027, 7, 1)) and c.why_not(dt.date(2027, 7, 1)) == "Between terms"
    assert c.is_school_day(dt.date(2026, 7, 1))  # the year before has no terms written
    assert cal.calendars_for([school.id, f.school_b.id])[school.id].terms(dt.date(2026, 9, 1))
    assert not cal.calendars_for([f.school_b.id])[f.school_b.id].entries


def test_entry_rules(f):
    from safetyops.errors_service import ServiceError

    with pytest.raises(ServiceError) as err:
        _add(f.school_a, "holiday", dt.date(2026, 12, 31), dt.date(2026, 12, 1))
    assert err.value.field == "last_day"
    with pytest.raises(ServiceError):
        _add(f.school_a, "nonsense", dt.date(2026, 12, 1))
    _add(f.school_a, "term", dt.date(2026, 9, 1), dt.date(2026, 10, 31), "1")
    with pytest.raises(ServiceError) as err:
        _add(f.school_a, "term", dt.date(2026, 10, 1), dt.date(2026, 12, 31), "2")
    assert "overlap" in str(err.value)
    with pytest.raises(ServiceError):
        cal.add_usual_terms(None, f.school_a, dt.date(2026, 9, 1))


def test_checks_on_school_days_skip_holidays(f):
    from safetyops.inspections import services
    from safetyops.inspections.periods import occurrences_between

    schedule = f.schedule("fire_daily_walk", starts_on=dt.date(2026, 9, 1))
    assert schedule.frequency == "school_days"
    _add(f.school_a, "holiday", dt.date(2026, 12, 28), dt.date(2027, 1, 10), "Winter holidays")
    c = cal.calendar_for(f.school_a)
    days = [
        o.start
        for o in occurrences_between(schedule, dt.date(2026, 12, 21), dt.date(2027, 1, 15), f.school_a.timezone, c)
    ]
    assert days == [dt.date(2026, 12, d) for d in (21, 22, 23, 24, 25)] + [
        dt.date(2027, 1, d) for d in (11, 12, 13, 14, 15)
    ]
    # On a day of the holidays there is no check, so nothing is due, overdue or reminded.
    noon = dt.datetime(2027, 1, 5, 6, 0, tzinfo=dt.UTC)
    assert [d for d in services.current_dues(f.school_a, noon) if d.schedule.id == schedule.id] == []
    assert services.overdue_checks(f.school_a, dt.datetime(2027, 1, 9, 6, 0, tzinfo=dt.UTC)) == []


def test_no_reminders_on_a_holiday(f):
    from safetyops.inspections import jobs
    from safetyops.notifications.models import OutboundMessage

    f.user("teacher", phone="+996555000201")
    f.schedule("fire_daily_walk", starts_on=dt.date(2026, 11, 1))
    _add(f.school_a, "day_off", dt.date(2026, 11, 27), name="Sanitary day")
    friday_8am = dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC)
    assert jobs.check_reminders(friday_8am) == 0
    assert jobs.check_reminders(friday_8am + dt.timedelta(hours=4)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboundMessage)) == 0
    assert jobs.check_reminders(friday_8am - dt.timedelta(days=1)) == 1  # Thursday: a school day


def test_rest_days(f):
    _add(f.school_a, "holiday", dt.date(2026, 12, 29), dt.date(2027, 1, 11), "Winter holidays")
    _add(f.school_a, "day_off", dt.date(2026, 11, 27), name="Sanitary day")
    _add(f.school_a, "school_day", dt.date(2026, 11, 28), name="A working Saturday")
    cal.add_usual_terms(None, f.school_a, dt.date(2026, 9, 1))
    c = cal.calendar_for(f.school_a)
    rest = [dt.date(2026, 11, 27), dt.date(2026, 11, 29), dt.date(2026, 12, 30), dt.date(2027, 1, 7),
            dt.date(2027, 3, 8)]  # a day off, a Sunday, the winter break, Christmas, Women's Day
    assert all(c.is_rest_day(d) for d in rest)
    working = [dt.date(2026, 11, 26), dt.date(2026, 11, 28), dt.date(2027, 1, 12), dt.date(2027, 8, 20)]
    assert not any(c.is_rest_day(d) for d in working)  # ...the working Saturday, and August between terms
    assert not c.is_school_day(dt.date(2027, 8, 20))


def test_administrative_reminders_wait_for_a_working_day(f):
    """A document to review, a repeat instruction or a certificate expiring is reminded on the next working
    day, once: not on a Saturday, nor in the winter break; the safety alerts never wait (not tested here)."""
    from safetyops.documents import jobs as doc_jobs
    from safetyops.drills import jobs as drill_jobs
    from safetyops.drills.models import TrainingRecord
    from safetyops.notifications.models import OutboundMessage
    from tests.documents.helpers import make_document

    f.user("director", phone="+996555000301")
    teacher = f.user("teacher", phone="+996555000302")
    make_document(f.school_a, review_on=dt.date(2027, 1, 20))  # reminded from 21 December
    db.session.add(TrainingRecord(school_id=f.school_a.id, user_id=teacher.id, course="civil_defence",
                                  taken_on=dt.date(2022, 1, 20), expires_on=dt.date(2027, 1, 20),
                                  certificate_no="ГО-7"))
    _add(f.school_a, "holiday", dt.date(2026, 12, 29), dt.date(2027, 1, 11), "Winter holidays")
    db.session.flush()

    def at(day):  # 09:00 in Bishkek
        return dt.datetime(day.year, day.month, day.day, 3, 0, tzinfo=dt.UTC)

    sent = lambda: db.session.scalar(sa.select(sa.func.count()).select_from(OutboundMessage))  # noqa: E731
    for day in (dt.date(2026, 12, 26), dt.date(2026, 12, 27), dt.date(2027, 1, 4)):  # Sat, Sun, the break
        assert doc_jobs.reminders_sweep(at(day)) == 0
        assert drill_jobs.training_expiry(at(day)) == 0
    assert sent() == 0
    monday = dt.date(2027, 1, 12)  # the first day after the break
    assert doc_jobs.reminders_sweep(at(monday)) == 1 and drill_jobs.training_expiry(at(monday)) == 1
    assert doc_jobs.reminders_sweep(at(monday + dt.timedelta(days=1))) == 0  # once
    assert sent() == 2


def test_twelve_week_roster_skips_new_year_and_the_winter_break(f):
    from safetyops.rosters import services
    from safetyops.rosters.models import RosterSettings

    db.session.add(
        RosterSettings(
            school_id=f.school_a.id,
            school_weekday_mask=0b0011111,
            max_per_week=5,
            rest_hours_after_night=24,
            is_swap_approval_required=True,
            checkin_grace_minutes=10,
        )
    )
    director = f.user("director")
    for _ in range(6):
        f.user("teacher")
    f.user("guard")
    corridor = f.post(name="Corridor", days="school_days")
    gate = f.post(name="Gate", kind="gate_day", roles="guard", start="07:00", end="19:00")
    _add(f.school_a, "holiday", dt.date(2026, 12, 30), dt.date(2027, 1, 10), "Winter holidays")
    first = dt.date(2026, 12, 7)
    with time_machine.travel(dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC), tick=False):
        services.generate(director, f.school_a, first, first + dt.timedelta(weeks=12, days=-1))
    shifts = services.shifts_between(f.school_a, first, first + dt.timedelta(weeks=12), published_only=False)
    corridor_days = {s.day for s in shifts if s.post_id == corridor.id}
    c = cal.calendar_for(f.school_a)
    assert dt.date(2027, 1, 1) not in corridor_days and dt.date(2027, 1, 7) not in corridor_days
    assert not [d for d in corridor_days if dt.date(2026, 12, 30) <= d <= dt.date(2027, 1, 10)]
    assert all(c.is_school_day(d) for d in corridor_days)
    assert dt.date(2026, 12, 29) in corridor_days and dt.date(2027, 1, 11) in corridor_days
    assert dt.date(2027, 3, 8) not in corridor_days  # International Women's Day
    # The gate is staffed every day, holidays included.
    assert dt.date(2027, 1, 1) in {s.day for s in shifts if s.post_id == gate.id}


@pytest.mark.parametrize("today, breaks", [(dt.date(2026, 12, 2), 2), (dt.date(2027, 1, 11), 1)])
def test_demo_calendar_keeps_the_day_it_is_made_a_school_day(f, today, breaks):
    from types import SimpleNamespace

    from safetyops.schools.demo import calendar as demo_calendar

    demo = SimpleNamespace(school=f.school_a, today=today)
    demo_calendar(demo)
    demo_calendar(demo)  # once
    entries = db.session.scalars(sa.select(CalendarEntry).where(CalendarEntry.school_id == f.school_a.id)).all()
    kinds = sorted(e.kind for e in entries)
    assert kinds.count(CalendarKind.TERM) == 4 and kinds.count(CalendarKind.SHORT_DAY) == 1
    assert kinds.count(CalendarKind.HOLIDAY) == breaks
    c = cal.calendar_for(f.school_a)
    assert not c.is_school_day(dt.date(2027, 3, 25))  # the spring break
    assert c.is_school_day(dt.date(2027, 1, 11)) is (today == dt.date(2027, 1, 11))  # the last day of the winter break


def test_eve_reminder_skips_a_day_off_entered_after_publishing(f):
    from safetyops.notifications.models import OutboundMessage
    from safetyops.rosters import jobs

    teacher = f.user("teacher", phone="+996555000202")
    monday = dt.date(2026, 11, 23)
    f.shift(f.post(name="Corridor", days="school_days"), teacher, monday)
    _add(f.school_a, "day_off", monday, name="Sanitary day")
    sunday_18h = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
    assert jobs.eve_reminders(sunday_18h) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboundMessage)) == 0


# --- the page ---------------------------------------------------------------------------------------


def test_calendar_page_director_adds_and_deletes(client, as_role, f):
    as_role("director")
    page = client.get("/calendar?year=2026")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "School calendar" in html or "calendar" in html.lower()
    bad = client.submit(
        "/calendar?year=2026",
        {"kind": "holiday", "name": "Winter holidays", "first_day": "2027-01-10", "last_day": "2026-12-30"},
        page="/calendar?year=2026",
    )
    assert bad.status_code == 422
    assert "Winter holidays" in bad.get_data(as_text=True)  # what was typed is kept
    ok = client.submit(
        "/calendar?year=2026",
        {"kind": "holiday", "name": "Winter holidays", "first_day": "2026-12-30", "last_day": "2027-01-10"},
        page="/calendar?year=2026",
    )
    assert ok.status_code == 302
    entry = db.session.scalar(sa.select(CalendarEntry).where(CalendarEntry.school_id == f.school_a.id))
    assert entry.kind == CalendarKind.HOLIDAY and entry.last_day == dt.date(2027, 1, 10)
    assert "Winter holidays" in client.get("/calendar?year=2026").get_data(as_text=True)
    assert client.submit("/calendar/usual-terms?year=2026", page="/calendar?year=2026").status_code == 302
    assert len(cal.calendar_for(f.school_a).terms(dt.date(2026, 9, 1))) == 4
    other = CalendarEntry(
        school_id=f.school_b.id,
        kind=CalendarKind.DAY_OFF,
        name="B",
        first_day=dt.date(2026, 12, 1),
        last_day=dt.date(2026, 12, 1),
    )
    db.session.add(other)
    db.session.flush()
    assert client.submit(f"/calendar/{other.id}/delete", page="/calendar").status_code == 404
    assert client.submit(f"/calendar/{entry.id}/delete", page="/calendar").status_code == 302
    assert db.session.get(CalendarEntry, entry.id) is None


def test_calendar_page_teacher_reads_only(client, as_role, f):
    as_role("teacher")
    html = client.get("/calendar").get_data(as_text=True)
    assert "National holidays" in html and "Add to the calendar" not in html
    assert (
        client.submit("/calendar", {"kind": "day_off", "first_day": "2026-12-01"}, page="/calendar").status_code == 403
    )


def test_a_request_reads_the_calendar_once_and_again_after_a_write(f):
    """The home page's cards (dues, rosters, canteen) share one read of the calendar in a unit of work; a
    write in it makes the next read fresh."""
    from safetyops.database import unit_of_work_memo

    seen = []
    def listener(conn, cursor, statement, *args):
        if "FROM school_calendar" in statement:
            seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        with unit_of_work_memo():
            first = cal.calendar_for(f.school_a)
            assert cal.calendar_for(f.school_a) is first and len(seen) == 1
            _add(f.school_a, "day_off", dt.date(2026, 12, 4), name="Sanitary day")
            db.session.flush()
            assert not cal.calendar_for(f.school_a).is_school_day(dt.date(2026, 12, 4))
        assert cal.calendar_for(f.school_a) is not cal.calendar_for(f.school_a)  # outside: read each time
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
