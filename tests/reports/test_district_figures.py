"""The district comparison's "checks on time" (issue 19): `compare()` computes each schedule's periods once
per shared (frequency, window, time zone, calendar) and reads schedules and runs as plain columns; its
figures must be those of the straightforward computation, one school and one schedule at a time (the code
path before issue 19, written out here), for schools with mixed time zones, countries, frequencies,
windows, start dates and school calendars, at several moments of the day and of the week."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from safetyops.extensions import db
from safetyops.inspections.models import Frequency, Run, RunStatus, Schedule
from safetyops.inspections.periods import GRACE_DAYS, occurrences_between, period_start
from safetyops.inspections.services import ensure_templates
from safetyops.reports import comparison
from safetyops.schools.calendar import calendar_for
from safetyops.schools.models import CalendarEntry, CalendarKind, DistrictMembership
from safetyops.time import local_to_utc

# Tuesday 17 November 2026 (as in test_district.py); the instants below move around it.
TODAY = dt.date(2026, 11, 17)
HOUR = dt.timedelta(hours=1)

#: (template, frequency, opens, due, starts_on as days from TODAY, active)
SCHEDULES = [
    ("fire_daily_walk", "daily", "08:00", "10:00", -400, True),
    ("fire_daily_walk", "daily", "07:30", "09:00", -3, True),  # starts inside the 7 days
    ("fire_daily_walk", "school_days", "08:00", "10:00", -400, True),
    ("territory_daily_guard", "school_days", "07:00", "08:30", -400, True),
    ("lab_waste_weekly", "weekly", "08:00", "16:00", -400, True),
    ("lab_waste_weekly", "weekly", "09:00", "12:00", -1, True),  # from yesterday
    ("extinguisher_monthly", "monthly", "08:00", "17:00", -400, True),
    ("documents_quarterly", "quarterly", "08:00", "17:00", -400, True),
    ("documents_quarterly", "yearly", "08:00", "17:00", -400, True),
    ("fire_daily_walk", "daily", "08:00", "10:00", 1, True),  # not started yet
    ("fire_daily_walk", "daily", "08:00", "10:00", -400, False),  # paused
]


def _reference(schools, today: dt.date, now: dt.datetime) -> dict[int, tuple[int, int | None]]:
    """(checks due, % on time) per school, computed the plain way: each school, each of its active
    schedules (ORM objects), its runs, `occurrences_between` with the school's own calendar."""
    first = today - dt.timedelta(days=comparison.CHECK_DAYS - 1)
    out = {}
    for school in schools:
        calendar = calendar_for(school)
        due = on_time = 0
        for s in db.session.scalars(sa.select(Schedule).where(Schedule.school_id == school.id,
                                                              Schedule.is_active.is_(True))):
            finished = {r.period_start: r.finished_dt for r in db.session.scalars(
                sa.select(Run).where(Run.school_id == school.id, Run.schedule_id == s.id,
                                     Run.status == RunStatus.DONE))}
            for o in occurrences_between(s, first, today, school.timezone,
                                         calendar if s.frequency == Frequency.SCHOOL_DAYS else None):
                if o.due_dt > now or o.due_day < first:
                    continue
                due += 1
                fin = finished.get(o.start)
                if fin is not None and (fin if fin.tzinfo else fin.replace(tzinfo=dt.UTC)) <= o.due_dt:
                    on_time += 1
        out[school.id] = (due, round(100 * on_time / due) if due else None)
    return out


@pytest.fixture
def mixed(f):
    """Two districts of one inspector (Kyrgyzstan and Kazakhstan), six schools in four time zones, one with
    a calendar (holidays, a working Saturday, terms), one without schedules; runs done on time, late, or
    not at all, and some left in progress; a school of a third district that must not count."""
    kg, kz = f.district(country="KG"), f.district(country="KZ")
    zones = [(kg, "Asia/Bishkek"), (kg, "Asia/Bishkek"), (kg, "UTC"), (kz, "Asia/Almaty"), (kz, "Asia/Oral"),
             (kz, "Asia/Almaty")]
    schools = [f.school(name=f"School {i}", district=d, timezone=tz) for i, (d, tz) in enumerate(zones)]
    outsider = f.school(name="Outsider", district=f.district())
    inspector = f.user("inspector", schools[0])
    inspector.district_memberships.append(DistrictMembership(district=kz))
    # School 1: autumn holidays over the window, a working Saturday, and its terms; school 4: a day off
    for school, kind, first, last in (
            (schools[1], CalendarKind.HOLIDAY, dt.date(2026, 11, 12), dt.date(2026, 11, 13)),
            (schools[1], CalendarKind.SCHOOL_DAY, dt.date(2026, 11, 14), dt.date(2026, 11, 14)),
            (schools[1], CalendarKind.TERM, dt.date(2026, 9, 1), dt.date(2026, 10, 31)),
            (schools[1], CalendarKind.TERM, dt.date(2026, 11, 9), dt.date(2026, 12, 28)),
            (schools[4], CalendarKind.DAY_OFF, dt.date(2026, 11, 16), dt.date(2026, 11, 16))):
        db.session.add(CalendarEntry(school_id=school.id, kind=kind, name="x", first_day=first, last_day=last))
    versions = ensure_templates()
    # schools 0, 1 and 2 have the same schedules and runs (differing by the calendar or the time zone only)
    for n, school in zip((0, 0, 0, 1, 2, 3), [*schools[:5], outsider], strict=True):  # schools[5]: none
        calendar = calendar_for(school)
        for k, (template, freq, opens, due, starts, active) in enumerate(SCHEDULES):
            if (n + k) % 5 == 4 and k:  # not every school has every schedule
                continue
            s = f.schedule(template, school=school, frequency=freq, opens_time=dt.time.fromisoformat(opens),
                           due_time=dt.time.fromisoformat(due), starts_on=TODAY + dt.timedelta(days=starts))
            s.is_active = active
            db.session.flush()
            day = TODAY - dt.timedelta(days=75)  # the quarter began on 1 October
            while day <= TODAY:
                start = period_start(freq, day, calendar if freq == "school_days" else None)
                if start == day:
                    how = (n * 7 + k * 3 + day.toordinal()) % 4
                    due_day = day + dt.timedelta(days=GRACE_DAYS[Frequency(freq)])
                    due_dt = local_to_utc(due_day, s.due_time, school.timezone)
                    finished = {0: None, 1: due_dt - HOUR, 2: due_dt, 3: due_dt + dt.timedelta(minutes=1)}[how]
                    if how or k % 3 == 0:  # an unfinished run now and then
                        db.session.add(Run(
                            school_id=school.id, schedule_id=s.id, period_start=day,
                            version_id=versions[template].id, zone_id=s.zone_id, asset_id=s.asset_id,
                            status=RunStatus.DONE if finished else RunStatus.IN_PROGRESS,
                            started_dt=(finished or due_dt) - HOUR, finished_dt=finished))
                day += dt.timedelta(days=1)
    db.session.flush()
    return schools, inspector


#: Instants around TODAY (UTC): before and after the morning due times in Bishkek (UTC+6) and Oral
#: (UTC+5), late at night (another local day in Bishkek), a Monday, a Saturday.
MOMENTS = [
    dt.datetime(2026, 11, 17, 2, 0, tzinfo=dt.UTC),
    dt.datetime(2026, 11, 17, 4, 0, tzinfo=dt.UTC),
    dt.datetime(2026, 11, 17, 9, 0, tzinfo=dt.UTC),
    dt.datetime(2026, 11, 17, 20, 0, tzinfo=dt.UTC),
    dt.datetime(2026, 11, 16, 11, 0, tzinfo=dt.UTC),
    dt.datetime(2026, 11, 14, 23, 30, tzinfo=dt.UTC),
]


@pytest.mark.parametrize("now", MOMENTS, ids=lambda m: m.strftime("%a-%H%M"))
def test_checks_on_time_equal_the_per_school_computation(mixed, now):
    schools, inspector = mixed
    today = now.astimezone(dt.timezone(dt.timedelta(hours=6))).date()  # the inspector's school: Bishkek
    rows = {r.id: r for r in comparison.compare(comparison.district_ids(inspector), today, now)}
    assert set(rows) == {s.id for s in schools}
    expected = _reference(schools, today, now)
    got = {sid: (r.checks_due, r.on_time_pct) for sid, r in rows.items()}
    assert got == expected
    # not a vacuous comparison: checks fell due, some on time, some not, one school with none
    assert expected[schools[5].id] == (0, None)
    shares = [pct for _due, pct in expected.values() if pct is not None]
    assert len(shares) == 5 and any(0 < pct < 100 for pct in shares)


def test_the_calendar_and_the_time_zone_change_the_figures(mixed):
    """Schools 0, 1 and 2 have the same schedules and runs and differ only by the calendar (1) or the time
    zone (2): their figures differ too (nothing shared by mistake between schools whose periods differ)."""
    schools, inspector = mixed
    now = MOMENTS[2]
    expected = _reference(schools, TODAY, now)
    assert expected[schools[0].id] != expected[schools[1].id]
    assert expected[schools[0].id] != expected[schools[2].id]
    rows = {r.id: r for r in comparison.compare(comparison.district_ids(inspector), TODAY, now)}
    assert {s.id: (rows[s.id].checks_due, rows[s.id].on_time_pct) for s in schools} == expected


def _reference_report_checks(schools, first: dt.date, last: dt.date, today: dt.date, now: dt.datetime) -> dict:
    """The safety report's check figures per school, the plain way (the code before the periods were
    shared): each active schedule's `occurrences_between` with its school's calendar, its runs by period."""
    to = min(last, today)
    out = {}
    for school in schools:
        calendar = calendar_for(school)
        counts = {"due": 0, "on_time": 0, "late": 0, "missed": 0}
        missed_by: dict[str, int] = {}
        for s in db.session.scalars(sa.select(Schedule).where(Schedule.school_id == school.id,
                                                              Schedule.is_active.is_(True))):
            runs = {r.period_start: r for r in db.session.scalars(
                sa.select(Run).where(Run.school_id == school.id, Run.schedule_id == s.id))}
            for o in occurrences_between(s, first, to, school.timezone,
                                         calendar if s.frequency == Frequency.SCHOOL_DAYS else None):
                if o.due_day < first or o.due_dt > now:
                    continue
                run = runs.get(o.start)
                fin = run.finished_dt if run else None
                fin = fin if fin is None or fin.tzinfo else fin.replace(tzinfo=dt.UTC)
                if run is not None and run.status == RunStatus.DONE and fin is not None and fin <= o.due_dt:
                    key = "on_time"
                elif run is not None and run.status == RunStatus.DONE:
                    key = "late"
                else:
                    key = "missed"
                    missed_by[s.template_key] = missed_by.get(s.template_key, 0) + 1
                counts["due"] += 1
                counts[key] += 1
        out[school.id] = (counts, missed_by)
    return out


@pytest.mark.parametrize("now", MOMENTS[1:4], ids=lambda m: m.strftime("%a-%H%M"))
def test_the_report_counts_checks_as_the_per_school_computation(mixed, now):
    """The district report's figures (`school_figures`) share the periods the same way as the comparison:
    every school's due, on time, late and missed checks, and the missed ones by checklist, over a month
    that the quarter's, month's and weeks' periods cross, are those of the plain computation."""
    from safetyops.reports import services

    schools, _inspector = mixed
    today = now.astimezone(dt.timezone(dt.timedelta(hours=6))).date()
    first = today - dt.timedelta(days=30)
    figures = services.school_figures(schools, first, today, today, now, {s.id: calendar_for(s) for s in schools})
    expected = _reference_report_checks(schools, first, today, today, now)
    for school in schools:
        counts, missed_by = expected[school.id]
        f = figures[school.id]
        got = {"due": f["checks_due"], "on_time": f["checks_on_time"], "late": f["checks_late"],
               "missed": f["checks_missed"]}
        assert (got, f["missed_by"]) == (counts, missed_by), school.name
    # not vacuous: on time, late and missed checks, and a school with none
    assert expected[schools[5].id][0]["due"] == 0
    assert all(sum(expected[s.id][0][k] for s in schools) > 0 for k in ("on_time", "late", "missed"))
