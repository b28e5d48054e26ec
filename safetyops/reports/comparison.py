"""Reports: the district's schools side by side (issue 14): the inspector's home, the comparison table
and its CSV/XLSX.

One row per school, every column computed for all the schools at once (aggregate queries grouped by
school, or one read of all the schools' schedules and runs): the statement count does not grow with
the number of schools (tests/test_statement_counts.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..auth.models import User
from ..documents.models import DocStatus, Document
from ..drills.models import (
    Drill,
    PlannedDrill,
    TrainingRecord,
)
from ..extensions import db
from ..incidents.models import RoadIncident
from ..inspections.models import (
    OPEN_STATUSES,
    CorrectiveAction,
    Frequency,
    Run,
    RunStatus,
    Schedule,
    Severity,
)
from ..schools.calendar import Entry, SchoolCalendar, school_year_start
from ..schools.models import CalendarEntry, CalendarKind, District, Membership, School
from ..time import now_utc
from .periods import DuePeriods, plain_rows

#: Days of checks counted for "on time".
CHECK_DAYS = 7


@dataclass
class SchoolRow:
    id: int
    name: str
    #: Of the checks due in the last CHECK_DAYS days: the share done by their due time (None: none due).
    on_time_pct: int | None = None
    checks_due: int = 0
    critical_open: int = 0
    #: Days since the oldest open deficiency was reported (None: none open).
    oldest_open_days: int | None = None
    drills_held: int = 0
    drills_planned: int = 0
    #: Staff with a safety course in force, as a share of the school's staff (None: no staff).
    training_pct: int | None = None
    incidents: int = 0
    documents_to_review: int = 0

    @property
    def needs_attention(self) -> bool:
        """A figure the table shows in red: checks on time under ON_TIME_TARGET %, open critical deficiencies,
        fewer drills held than planned, documents to review."""
        return bool((self.on_time_pct is not None and self.on_time_pct < ON_TIME_TARGET) or self.critical_open
                    or self.drills_held < self.drills_planned or self.documents_to_review)


#: Below this share of checks done on time, the table shows it in red.
ON_TIME_TARGET = 80
#: The inspector's home shows every school of a district this size or smaller side by side; a bigger district
#: (a city's, a region's) shows the schools needing attention there and every school one link away.
HOME_ALL_SCHOOLS = 30

#: sort key -> (column heading, value to sort by; None last whatever the direction).
COLUMNS = {
    "name": _l("School"),
    "on_time": _l("Checks on time, 7 days"),
    "critical": _l("Open critical deficiencies"),
    "oldest": _l("Oldest open deficiency, days"),
    "drills": _l("Drills held / planned"),
    "training": _l("Staff trained"),
    "incidents": _l("Road incidents"),
    "documents": _l("Documents to review"),
}
_SORT_VALUE = {
    "name": lambda r: r.name.lower(),
    "on_time": lambda r: r.on_time_pct,
    "critical": lambda r: r.critical_open,
    "oldest": lambda r: r.oldest_open_days,
    "drills": lambda r: (r.drills_held / r.drills_planned) if r.drills_planned else None,
    "training": lambda r: r.training_pct,
    "incidents": lambda r: r.incidents,
    "documents": lambda r: r.documents_to_review,
}
#: The first sort: the schools that need a visit first.
DEFAULT_SORT = "-critical"




def district_ids(user) -> list[int]:
    return [dm.district_id for dm in user.district_memberships]


def compare(ids: list[int], today: dt.date, now: dt.datetime | None = None) -> list[SchoolRow]:
    """One row per school of the districts `ids`, in a fixed number of statements."""
    now = now or now_utc()
    schools = list(db.session.execute(sa.select(School.id, School.name, School.timezone, District.country)
                                      .join(District, District.id == School.district_id)
                                      .where(School.district_id.in_(ids)).order_by(School.name, School.id)))
    rows = {s.id: SchoolRow(s.id, s.name) for s in schools}
    if not rows:
        return []
    in_district = sa.select(School.id).where(School.district_id.in_(ids)).scalar_subquery()
    year = school_year_start(today)
    year_dt = dt.datetime.combine(year, dt.time(), tzinfo=dt.UTC) - dt.timedelta(days=1)

    # deficiencies: open critical, oldest open
    for sid, critical, oldest in db.session.execute(
            sa.select(CorrectiveAction.school_id,
                      sa.func.count().filter(CorrectiveAction.severity == Severity.CRITICAL),
                      sa.func.min(CorrectiveAction.created_dt))
            .where(CorrectiveAction.school_id.in_(in_district), CorrectiveAction.status.in_(OPEN_STATUSES))
            .group_by(CorrectiveAction.school_id)):
        rows[sid].critical_open = critical
        if oldest is not None:
            oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=dt.UTC)
            rows[sid].oldest_open_days = max(0, (now - oldest).days)

    # drills held this school year (not real emergencies, finished) and plan lines due so far
    for sid, n in db.session.execute(
            sa.select(Drill.school_id, sa.func.count())
            .where(Drill.school_id.in_(in_district), Drill.is_real.is_(False), Drill.ended_dt.is_not(None),
                   Drill.cancelled_dt.is_(None), Drill.started_dt >= year_dt)
            .group_by(Drill.school_id)):
        rows[sid].drills_held = n
    for sid, n in db.session.execute(
            sa.select(PlannedDrill.school_id, sa.func.count())
            .where(PlannedDrill.school_id.in_(in_district), PlannedDrill.target_date >= year,
                   PlannedDrill.target_date <= today)
            .group_by(PlannedDrill.school_id)):
        rows[sid].drills_planned = n

    # training: staff with a course in force / enabled staff
    staff = dict(db.session.execute(
        sa.select(Membership.school_id, sa.func.count(sa.distinct(Membership.user_id)))
        .join(User, User.id == Membership.user_id)
        .where(Membership.school_id.in_(in_district), User.is_enabled.is_(True))
        .group_by(Membership.school_id)).all())
    trained = dict(db.session.execute(
        sa.select(TrainingRecord.school_id, sa.func.count(sa.distinct(TrainingRecord.user_id)))
        .join(Membership, sa.and_(Membership.user_id == TrainingRecord.user_id,
                                  Membership.school_id == TrainingRecord.school_id))
        .join(User, User.id == TrainingRecord.user_id)
        .where(TrainingRecord.school_id.in_(in_district), User.is_enabled.is_(True),
               sa.or_(TrainingRecord.expires_on.is_(None), TrainingRecord.expires_on >= today))
        .group_by(TrainingRecord.school_id)).all())
    for sid, n in staff.items():
        if n:
            rows[sid].training_pct = round(100 * trained.get(sid, 0) / n)

    # road incidents this school year
    for sid, n in db.session.execute(
            sa.select(RoadIncident.school_id, sa.func.count())
            .where(RoadIncident.school_id.in_(in_district), RoadIncident.occurred_dt >= year_dt)
            .group_by(RoadIncident.school_id)):
        rows[sid].incidents = n

    # documents in force whose review date has come
    for sid, n in db.session.execute(
            sa.select(Document.school_id, sa.func.count())
            .where(Document.school_id.in_(in_district), Document.status == DocStatus.IN_FORCE,
                   Document.review_on.is_not(None), Document.review_on <= today)
            .group_by(Document.school_id)):
        rows[sid].documents_to_review = n

    # checks on time: every active schedule and the runs of the periods counted, read once for all schools as
    # plain columns (no ORM objects, no time zone conversion of each run's time); the periods are computed once
    # per (frequency, window, time zone, calendar) that schools share (`periods.DuePeriods`)
    first = today - dt.timedelta(days=CHECK_DAYS - 1)
    schedules = plain_rows(
        sa.select(Schedule.id, Schedule.school_id, sa.type_coerce(Schedule.frequency, sa.String).label("frequency"),
                  Schedule.opens_time, Schedule.due_time, Schedule.starts_on)
        .where(Schedule.school_id.in_(in_district), Schedule.is_active.is_(True)))
    calendars = _calendars(in_district, {s.id: s.country for s in schools}) \
        if any(s.frequency == Frequency.SCHOOL_DAYS for s in schedules) else {}
    periods = DuePeriods(first, today, now, {s.id: s.timezone for s in schools}, calendars)
    counted = [(sid, school_id, starts_on, periods.of(school_id, frequency, opens, due))
               for sid, school_id, frequency, opens, due, starts_on in schedules]
    since = min((p[0][0] for *_s, p in counted if p), default=first)
    runs = plain_rows(
        sa.select(Run.schedule_id, Run.period_start, sa.type_coerce(Run.finished_dt, sa.DateTime()))
        .where(Run.school_id.in_(in_district), Run.status == RunStatus.DONE, Run.period_start >= since,
               Run.period_start <= today, Run.finished_dt.is_not(None)))
    finished: dict[tuple[int, dt.date], dt.datetime] = {(sid, start): fin for sid, start, fin in runs}
    if runs and runs[0][2].tzinfo is None:  # SQLite: UTC, naive
        finished = {key: fin.replace(tzinfo=dt.UTC) for key, fin in finished.items()}
    on_time: dict[int, int] = {}
    for sid, school_id, starts_on, due_periods in counted:
        n = n_on_time = 0
        for start, end, due_dt, _due_day in due_periods:
            if end > starts_on:  # else: before the schedule began
                n += 1
                fin = finished.get((sid, start))
                if fin is not None and fin <= due_dt:
                    n_on_time += 1
        if n:
            rows[school_id].checks_due += n
            on_time[school_id] = on_time.get(school_id, 0) + n_on_time
    for school_id, n in on_time.items():
        rows[school_id].on_time_pct = round(100 * n / rows[school_id].checks_due)
    return list(rows.values())


def _calendars(in_district, country_of: dict[int, str]) -> dict[int, SchoolCalendar]:
    """The school calendars of the district's schools, as `calendars_for` reads them, in one statement that
    names the district (not a parameter per school): the countries come with the schools."""
    entries: dict[int, list[Entry]] = {}
    for r in db.session.execute(
            sa.select(CalendarEntry.school_id, CalendarEntry.id, CalendarEntry.kind, CalendarEntry.name,
                      CalendarEntry.first_day, CalendarEntry.last_day)
            .where(CalendarEntry.school_id.in_(in_district))
            .order_by(CalendarEntry.first_day, CalendarEntry.id)):
        entries.setdefault(r.school_id, []).append(
            Entry(r.id, CalendarKind(r.kind), r.name, r.first_day, r.last_day))
    return {sid: SchoolCalendar(country, entries.get(sid, [])) for sid, country in country_of.items()}


def sort_rows(rows: list[SchoolRow], sort: str | None) -> tuple[list[SchoolRow], str]:
    """Sort by `sort` ("critical", "-critical"…): unknown keys give the default; empty values last."""
    sort = sort if sort and sort.lstrip("-") in _SORT_VALUE else DEFAULT_SORT
    key, reverse = sort.lstrip("-"), sort.startswith("-")
    value = _SORT_VALUE[key]
    present = sorted([r for r in rows if value(r) is not None], key=lambda r: (value(r), r.name), reverse=reverse)
    return present + [r for r in rows if value(r) is None], sort


def table(rows: list[SchoolRow]) -> tuple[list[str], list[list]]:
    header = [str(COLUMNS[k]) for k in COLUMNS]
    body = [[r.name, "" if r.on_time_pct is None else f"{r.on_time_pct}%", r.critical_open,
             "" if r.oldest_open_days is None else r.oldest_open_days, f"{r.drills_held} / {r.drills_planned}",
             "" if r.training_pct is None else f"{r.training_pct}%", r.incidents, r.documents_to_review]
            for r in rows]
    return header, body
