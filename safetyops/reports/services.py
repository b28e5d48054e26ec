"""Reports: the district's schools side by side (issue 14).

One row per school, every column computed for all the schools at once (aggregate queries grouped by
school, or one read of all the schools' schedules and runs): the statement count does not grow with
the number of schools (tests/test_statement_counts.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..accidents.models import INCIDENT_LABELS, IncidentKind, Injury, SchoolIncident
from ..auth.models import User
from ..documents.models import DocStatus, Document
from ..drills.models import (
    DRILL_KIND_LABELS,
    ClassReport,
    Drill,
    PlannedDrill,
    TrainingRecord,
    clock,
    evacuation_time,
)
from ..ecology.models import Collection, GreeningItem, LabDisposal, Removal
from ..extensions import db
from ..gate.models import Checkpoint, CheckpointScan, GateEntry, GateSettings
from ..gate.services import DEFAULT_SETTINGS, night_slots
from ..incidents.models import RoadIncident
from ..inspections.models import (
    OPEN_STATUSES,
    SEVERITY_LABELS,
    SEVERITY_RANK,
    CorrectiveAction,
    Frequency,
    Run,
    RunStatus,
    Schedule,
    Severity,
    pick_text,
)
from ..inspections.periods import occurrences_between, period_end
from ..inspections.services import _deficiency_texts, current_versions
from ..roadsafety.models import EVENT_LABELS, EventKind, RoadEvent, SquadMember
from ..schools.calendar import Entry, SchoolCalendar, calendar_for, school_year_start
from ..schools.models import CalendarEntry, CalendarKind, District, Membership, School
from ..time import now_utc, zone
from ..wellbeing.models import CaseStatus
from ..wellbeing.models import Report as AnonymousReport

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
    # per (frequency, window, time zone, calendar) that schools share (_DuePeriods)
    first = today - dt.timedelta(days=CHECK_DAYS - 1)
    schedules = _plain(
        sa.select(Schedule.id, Schedule.school_id, sa.type_coerce(Schedule.frequency, sa.String).label("frequency"),
                  Schedule.opens_time, Schedule.due_time, Schedule.starts_on)
        .where(Schedule.school_id.in_(in_district), Schedule.is_active.is_(True)))
    calendars = _calendars(in_district, {s.id: s.country for s in schools}) \
        if any(s.frequency == Frequency.SCHOOL_DAYS for s in schedules) else {}
    periods = _DuePeriods(first, today, now, {s.id: s.timezone for s in schools}, calendars)
    counted = [(sid, school_id, starts_on, periods.of(school_id, frequency, opens, due))
               for sid, school_id, frequency, opens, due, starts_on in schedules]
    since = min((p[0][0] for *_s, p in counted if p), default=first)
    runs = _plain(
        sa.select(Run.schedule_id, Run.period_start, sa.type_coerce(Run.finished_dt, sa.DateTime()))
        .where(Run.school_id.in_(in_district), Run.status == RunStatus.DONE, Run.period_start >= since,
               Run.period_start <= today, Run.finished_dt.is_not(None)))
    finished: dict[tuple[int, dt.date], dt.datetime] = {(sid, start): fin for sid, start, fin in runs}
    if runs and runs[0][2].tzinfo is None:  # SQLite: UTC, naive
        finished = {key: fin.replace(tzinfo=dt.UTC) for key, fin in finished.items()}
    on_time: dict[int, int] = {}
    for sid, school_id, starts_on, due_periods in counted:
        n = n_on_time = 0
        for start, end, due_dt in due_periods:
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


def _plain(statement) -> Sequence[sa.Row]:
    """The rows of a SELECT of plain columns, through the session's connection: thousands of rows (a district's
    schedules and a week of its runs) without the ORM's per-row processing, which no column here needs."""
    return db.session.connection().execute(statement).all()


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


#: A period counted for "on time": its first day, the day after its last, its due instant (UTC).
_Period = tuple[dt.date, dt.date, dt.datetime]


@dataclass(frozen=True)
class _Template:
    """What `occurrences_between` reads of a schedule, without its start date (`starts_on`: the earliest
    day, so every period of the window is made; each schedule then drops those that end before it began,
    which is what `occurrences_between` leaves out for it)."""

    frequency: Frequency
    opens_time: dt.time
    due_time: dt.time
    id: int = 0
    starts_on: dt.date = dt.date.min


class _DuePeriods:
    """The periods counted for "on time" ([start, end) and due instant, oldest first): those whose due
    day is in the window [first, today] and whose due time has passed at `now`.  Computed once per
    (frequency, opens, due, time zone, school calendar), as most schools of a district share their
    checklists' frequencies and windows, their time zone and (with no calendar of their own) the country's
    school days; a schedule keeps those that end after its first day (`occurrences_between`'s rule)."""

    def __init__(self, first: dt.date, today: dt.date, now: dt.datetime, tz_of: dict[int, str],
                 calendars: dict[int, SchoolCalendar]):
        self.first, self.today, self.now = first, today, now
        self.tz_of, self.calendars = tz_of, calendars
        #: school id -> a number for its (time zone, calendar): schools with the same one share their periods.
        self._kind: dict[int, int] = {}
        kinds: dict[tuple, int] = {}
        for school_id, tz in tz_of.items():
            calendar = calendars.get(school_id)
            key = (tz, None if calendar is None else
                   (calendar.country, tuple((e.kind, e.first_day, e.last_day) for e in calendar.entries)))
            self._kind[school_id] = kinds.setdefault(key, len(kinds))
        self._cache: dict[tuple, list[_Period]] = {}

    def of(self, school_id: int, frequency: str, opens: dt.time, due: dt.time) -> list[_Period]:
        key = (self._kind[school_id], frequency, opens, due)
        found = self._cache.get(key)
        if found is None:
            f = Frequency(frequency)
            calendar = self.calendars.get(school_id) if f is Frequency.SCHOOL_DAYS else None
            found = [(o.start, period_end(f, o.start), o.due_dt)
                     for o in occurrences_between(_Template(f, opens, due), self.first, self.today,
                                                  self.tz_of[school_id], calendar)
                     if o.due_dt <= self.now and o.due_day >= self.first]
            self._cache[key] = found
        return found

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




# --------------------------------------------------------------------------- the term / year report


#: Terms of the school year, by (month, day) of their first and last day.  Kyrgyz and Kazakh schools
#: work in four quarters; the exact dates move each year, so these are the defaults until a school
#: calendar gives them (docs/reports.md).
TERMS = {
    "t1": ((9, 1), (10, 31)),
    "t2": ((11, 1), (12, 31)),
    "t3": ((1, 1), (3, 31)),
    "t4": ((4, 1), (5, 31)),
}
PERIOD_LABELS = {
    "t1": _l("1st term"),
    "t2": _l("2nd term"),
    "t3": _l("3rd term"),
    "t4": _l("4th term"),
    "year": _l("School year"),
}


def month_keys(today: dt.date) -> list[str]:
    """The months of the current school year up to `today`'s, as period keys ("m2026-11")."""
    year = school_year_start(today)
    keys: list[str] = []
    month = year
    while month <= today and len(keys) < 12:
        keys.append(f"m{month:%Y-%m}")
        month = dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return keys


def _month(period: str, today: dt.date) -> dt.date | None:
    """The first day of a month key of the current school year ("m2026-11"), else None."""
    if not (period.startswith("m") and len(period) == 8):
        return None
    try:
        first = dt.date(int(period[1:5]), int(period[6:8]), 1)
    except ValueError:
        return None
    year = school_year_start(today)
    return first if year <= first <= dt.date(year.year + 1, 8, 1) else None


def period_label(period: str):
    """The period's name: "2nd term", "School year", or the month ("November 2026")."""
    if period in PERIOD_LABELS:
        return PERIOD_LABELS[period]
    return format_date(dt.date(int(period[1:5]), int(period[6:8]), 1), "LLLL yyyy").capitalize()


def period_dates(period: str, today: dt.date, terms=None) -> tuple[str, dt.date, dt.date]:
    """(key, first day, last day) of a period of the current school year: a term, the year, or a month
    ("m2026-11").  `terms`: the school calendar's terms of this year [(first, last)], which replace the
    default dates of t1..t4 in their order.  Unknown keys give the term of `today` (the year, in the
    summer)."""
    year = school_year_start(today)
    month = _month(period, today)
    if month is not None:
        nxt = dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1)
        return period, month, nxt - dt.timedelta(days=1)
    dates = {}
    for n, (key, ((m1, d1), (m2, d2))) in enumerate(TERMS.items()):
        y = year.year if m1 >= 9 else year.year + 1
        dates[key] = terms[n] if terms and n < len(terms) else (dt.date(y, m1, d1), dt.date(y, m2, d2))
    if period not in PERIOD_LABELS:
        period = next((k for k, (first, last) in dates.items() if first <= today <= last), "year")
    if period == "year":
        return period, year, dt.date(year.year + 1, 8, 31)
    return period, *dates[period]


@dataclass
class Section:
    key: str
    title: str
    #: (label, value) lines.
    lines: list = field(default_factory=list)
    #: An optional table: (header, rows).
    table: tuple | None = None


@dataclass
class SafetyReport:
    school: object
    period: str
    first: dt.date
    last: dt.date
    #: The last day counted (the period's last day, or today while it runs).
    counted_to: dt.date
    sections: list[Section]
    figures: dict
    problems: str = ""


def _utc(day: dt.date, tz) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(dt.UTC)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    return value if value is None or value.tzinfo else value.replace(tzinfo=dt.UTC)


def safety_report(school, period: str, today: dt.date, now: dt.datetime | None = None,
                  lang: str = "ru", dates: tuple | None = None) -> SafetyReport:
    """The school's safety figures for a term, a month or the school year, section by section.  The
    terms are the school calendar's when it has them; `dates` (key, first, last) fixes the period (the
    district's report gives every school the same)."""
    now = now or now_utc()
    calendar = calendar_for(school)
    if dates is None:
        terms = [(t.first_day, t.last_day) for t in calendar.terms(school_year_start(today))]
        period, first, last = period_dates(period, today, terms)
    else:
        period, first, last = dates
    f = school_figures([school], first, last, today, now, {school.id: calendar})[school.id]
    return SafetyReport(school, period, first, last, min(last, today), [], f)


class _Windows:
    """Each school's period as UTC instants (from its first local midnight to the one after the last
    day counted): `during(column, school_column)` is one criterion for all the schools, with one pair of
    bounds per time zone (offset), not per school."""

    def __init__(self, schools: list, first: dt.date, to: dt.date):
        self.tz = {s.id: zone(s.timezone) for s in schools}
        self.bounds = {sid: (_utc(first, tz), _utc(to + dt.timedelta(days=1), tz)) for sid, tz in self.tz.items()}
        self.groups: dict[tuple, list[int]] = {}
        for sid, pair in self.bounds.items():
            self.groups.setdefault(pair, []).append(sid)

    def during(self, column, school_column):
        return sa.or_(*(sa.and_(school_column.in_(ids), column >= start, column < end)
                        for (start, end), ids in self.groups.items()))

    def holds(self, sid: int, when: dt.datetime | None) -> bool:
        start, end = self.bounds[sid]
        return when is not None and start <= _aware(when) < end


def _grouped(statement) -> dict:
    """{school_id: value} of a statement selecting (school_id, value) grouped by school."""
    return {sid: value for sid, value in db.session.execute(statement)}


def school_figures(schools: list, first: dt.date, last: dt.date, today: dt.date, now: dt.datetime,
                   calendars: dict) -> dict[int, dict]:
    """The figures of the safety report of each of `schools` for [first, last], counted to `today`:
    {school id: figures}.  Every figure is read for all the schools at once (grouped by school), so the
    number of statements does not depend on the number of schools (a district's report, issue 14).
    `calendars`: {school id: SchoolCalendar} (for checks that follow school days)."""
    ids = [s.id for s in schools]
    tz_name = {s.id: s.timezone for s in schools}
    to = min(last, today)
    win = _Windows(schools, first, to)
    figs: dict[int, dict] = {sid: {} for sid in ids}

    # inspections: every period of every active schedule due inside [first, to]
    schedules = list(db.session.scalars(sa.select(Schedule).where(Schedule.school_id.in_(ids),
                                                                  Schedule.is_active.is_(True))
                                        .order_by(Schedule.id)))
    runs = {(sid, start): (status, _aware(fin)) for sid, start, status, fin in db.session.execute(
        sa.select(Run.schedule_id, Run.period_start, Run.status, Run.finished_dt)
        .where(Run.school_id.in_(ids), Run.period_start >= first - dt.timedelta(days=92),
               Run.period_start <= to))}
    counts = {sid: {"due": 0, "on_time": 0, "late": 0, "missed": 0} for sid in ids}
    missed_by: dict[int, dict[str, int]] = {sid: {} for sid in ids}
    weeks = {sid: {first + dt.timedelta(days=n) - dt.timedelta(days=(first + dt.timedelta(days=n)).weekday()):
                   {"due": 0, "on_time": 0, "late": 0, "missed": 0, "found": 0, "fixed": 0}
                   for n in range((to - first).days + 1)} for sid in ids}
    for s in schedules:
        sid = s.school_id
        for o in occurrences_between(s, first, to, tz_name[sid],
                                     calendars.get(sid) if s.frequency == Frequency.SCHOOL_DAYS else None):
            if o.due_day < first or o.due_dt > now:
                continue
            week = weeks[sid][o.due_day - dt.timedelta(days=o.due_day.weekday())]
            status, fin = runs.get((s.id, o.start), (None, None))
            if status == RunStatus.DONE and fin is not None and fin <= o.due_dt:
                key = "on_time"
            elif status == RunStatus.DONE:
                key = "late"
            else:
                key = "missed"
                missed_by[sid][s.template_key] = missed_by[sid].get(s.template_key, 0) + 1
            for into in (counts[sid], week):
                into["due"] += 1
                into[key] += 1
    for sid in ids:
        c = counts[sid]
        figs[sid].update(checks_due=c["due"], checks_on_time=c["on_time"], checks_late=c["late"],
                         checks_missed=c["missed"], missed_by=missed_by[sid], found={})

    # deficiencies: found in the period, fixed in the period, open now (with age)
    for sid, sev, n in db.session.execute(
            sa.select(CorrectiveAction.school_id, CorrectiveAction.severity, sa.func.count())
            .where(win.during(CorrectiveAction.created_dt, CorrectiveAction.school_id))
            .group_by(CorrectiveAction.school_id, CorrectiveAction.severity)):
        figs[sid]["found"][str(sev.value if hasattr(sev, "value") else sev)] = n
    for sid, created, fixed in db.session.execute(
            sa.select(CorrectiveAction.school_id, CorrectiveAction.created_dt, CorrectiveAction.fixed_dt)
            .where(sa.or_(win.during(CorrectiveAction.created_dt, CorrectiveAction.school_id),
                          win.during(CorrectiveAction.fixed_dt, CorrectiveAction.school_id)))):
        for when, key in ((created, "found"), (fixed, "fixed")):
            if win.holds(sid, when):
                day = _aware(when).astimezone(win.tz[sid]).date()
                weeks[sid][day - dt.timedelta(days=day.weekday())][key] += 1
    fixed_n = _grouped(
        sa.select(CorrectiveAction.school_id, sa.func.count())
        .where(win.during(CorrectiveAction.fixed_dt, CorrectiveAction.school_id))
        .group_by(CorrectiveAction.school_id))
    open_rows: dict[int, list] = {sid: [] for sid in ids}
    for r in db.session.execute(
            sa.select(CorrectiveAction.school_id, CorrectiveAction.id, CorrectiveAction.title,
                      CorrectiveAction.severity, CorrectiveAction.created_dt, CorrectiveAction.answer_id)
            .where(CorrectiveAction.school_id.in_(ids), CorrectiveAction.status.in_(OPEN_STATUSES))):
        open_rows[r.school_id].append(r)
    for sid in ids:
        f = figs[sid]
        f["weeks"] = sorted(weeks[sid].items())
        f["fixed"] = fixed_n.get(sid, 0)
        rows = sorted(open_rows[sid], key=lambda r: (SEVERITY_RANK[r.severity], r.created_dt))
        f["open"] = len(rows)
        f["open_critical"] = sum(1 for r in rows if r.severity == Severity.CRITICAL)
        f["open_list"] = [(r.id, r.title, str(r.severity.value if hasattr(r.severity, "value") else r.severity),
                           max(0, (now - _aware(r.created_dt)).days), r.answer_id) for r in rows]

    # drills: planned in the period, held (not real emergencies, not cancelled) with their times
    planned = _grouped(
        sa.select(PlannedDrill.school_id, sa.func.count())
        .where(PlannedDrill.school_id.in_(ids), PlannedDrill.target_date >= first, PlannedDrill.target_date <= to)
        .group_by(PlannedDrill.school_id))
    drills = list(db.session.scalars(
        sa.select(Drill).where(Drill.ended_dt.is_not(None), Drill.cancelled_dt.is_(None),
                               win.during(Drill.started_dt, Drill.school_id))
        .order_by(Drill.started_dt, Drill.id)))
    firsts: dict[int, list] = {}
    if drills:
        for drill_id, first_dt in db.session.execute(
                sa.select(ClassReport.drill_id, ClassReport.first_dt)
                .where(ClassReport.school_id.in_(ids), ClassReport.drill_id.in_([d.id for d in drills]))):
            firsts.setdefault(drill_id, []).append(_aware(first_dt))
    for sid in ids:
        held = [d for d in drills if d.school_id == sid]
        figs[sid]["drills_planned"] = planned.get(sid, 0)
        figs[sid]["drills"] = [(d, evacuation_time(d.started_dt, firsts.get(d.id, []))) for d in held]
        figs[sid]["drills_held"] = sum(1 for d in held if not d.is_real)
        figs[sid]["emergencies"] = sum(1 for d in held if d.is_real)

    # training: enabled staff, and those with a course in force on the last day counted
    staff = _grouped(
        sa.select(Membership.school_id, sa.func.count(sa.distinct(Membership.user_id)))
        .join(User, User.id == Membership.user_id)
        .where(Membership.school_id.in_(ids), User.is_enabled.is_(True)).group_by(Membership.school_id))
    trained = _grouped(
        sa.select(TrainingRecord.school_id, sa.func.count(sa.distinct(TrainingRecord.user_id)))
        .join(Membership, sa.and_(Membership.user_id == TrainingRecord.user_id,
                                  Membership.school_id == TrainingRecord.school_id))
        .join(User, User.id == TrainingRecord.user_id)
        .where(TrainingRecord.school_id.in_(ids), User.is_enabled.is_(True),
               sa.or_(TrainingRecord.expires_on.is_(None), TrainingRecord.expires_on >= to))
        .group_by(TrainingRecord.school_id))

    # gate: visitors, watchlist hits, refused
    visitors = ("visitor", "parent", "contractor", "delivery", "vehicle")
    gate = {r[0]: r[1:] for r in db.session.execute(
        sa.select(GateEntry.school_id,
                  sa.func.count().filter(GateEntry.kind.in_(visitors)),
                  sa.func.count().filter(GateEntry.watchlist_id.is_not(None)),
                  sa.func.count().filter(GateEntry.is_refused.is_(True)))
        .where(win.during(GateEntry.in_dt, GateEntry.school_id)).group_by(GateEntry.school_id))}
    rounds = _night_rounds(schools, first, to, now)

    # road incidents
    incidents = _grouped(
        sa.select(RoadIncident.school_id, sa.func.count())
        .where(win.during(RoadIncident.occurred_dt, RoadIncident.school_id)).group_by(RoadIncident.school_id))

    # canteen sanitary checks (the canteen's own checklist)
    canteen_keys: dict[int, set[str]] = {sid: set() for sid in ids}
    for s in schedules:
        if s.template_key.startswith("canteen_"):
            canteen_keys[s.school_id].add(s.template_key)
    canteen = {(sid, key): n for sid, key, n in db.session.execute(
        sa.select(Run.school_id, Schedule.template_key, sa.func.count()).select_from(Run)
        .join(Schedule, Schedule.id == Run.schedule_id)
        .where(Run.status == RunStatus.DONE, win.during(Run.finished_dt, Run.school_id),
               Schedule.template_key.in_(sorted(set().union(*canteen_keys.values())) or ["-"]))
        .group_by(Run.school_id, Schedule.template_key))}

    # documents whose review date falls by the period's last day
    documents = _grouped(
        sa.select(Document.school_id, sa.func.count())
        .where(Document.school_id.in_(ids), Document.status == DocStatus.IN_FORCE,
               Document.review_on.is_not(None), Document.review_on <= last)
        .group_by(Document.school_id))
    regulation = _regulation_figures(ids, first, to, win)
    for sid in ids:
        f = figs[sid]
        f["staff"], f["trained"] = staff.get(sid, 0), trained.get(sid, 0)
        f.update(zip(("visitors", "watchlist_hits", "refused"), gate.get(sid, (0, 0, 0)), strict=True))
        f["rounds"], f["rounds_missed"] = rounds[sid]
        f["incidents"] = incidents.get(sid, 0)
        f["canteen_checks"] = sum(canteen.get((sid, key), 0) for key in canteen_keys[sid])
        f["canteen_missed"] = sum(n for k, n in f["missed_by"].items() if k.startswith("canteen_"))
        f["documents_to_review"] = documents.get(sid, 0)
        f.update(regulation[sid])
    return figs


def _regulation_figures(ids: list[int], first: dt.date, to: dt.date, win: _Windows) -> dict[int, dict]:
    """Road-safety work, incidents and injuries, ecology and anonymous reports of each school: counts
    only (no names, no health details, no word of an anonymous report)."""
    figs: dict[int, dict] = {sid: {"road_events": {}, "school_incidents": {}} for sid in ids}
    # road-safety work: the squad on the last day counted, events held in the period by kind
    squad = _grouped(
        sa.select(SquadMember.school_id, sa.func.count())
        .where(SquadMember.school_id.in_(ids), SquadMember.joined_on <= to,
               sa.or_(SquadMember.left_on.is_(None), SquadMember.left_on > to))
        .group_by(SquadMember.school_id))
    for sid, kind, n in db.session.execute(
            sa.select(RoadEvent.school_id, RoadEvent.kind, sa.func.count())
            .where(RoadEvent.school_id.in_(ids), RoadEvent.held_on >= first, RoadEvent.held_on <= to)
            .group_by(RoadEvent.school_id, RoadEvent.kind)):
        figs[sid]["road_events"][EventKind(kind).value] = n
    # incidents at school and the people injured in them
    for sid, incident_kind, n in db.session.execute(
            sa.select(SchoolIncident.school_id, SchoolIncident.kind, sa.func.count())
            .where(win.during(SchoolIncident.occurred_dt, SchoolIncident.school_id))
            .group_by(SchoolIncident.school_id, SchoolIncident.kind)):
        figs[sid]["school_incidents"][IncidentKind(incident_kind).value] = n
    injured = _grouped(
        sa.select(Injury.school_id, sa.func.count()).select_from(Injury)
        .join(SchoolIncident, SchoolIncident.id == Injury.incident_id)
        .where(win.during(SchoolIncident.occurred_dt, Injury.school_id)).group_by(Injury.school_id))
    ambulance = _grouped(
        sa.select(SchoolIncident.school_id, sa.func.count())
        .where(SchoolIncident.has_ambulance.is_(True), win.during(SchoolIncident.occurred_dt, SchoolIncident.school_id))
        .group_by(SchoolIncident.school_id))
    # ecology
    removals = {r[0]: r[1:] for r in db.session.execute(
        sa.select(Removal.school_id, sa.func.count(), sa.func.coalesce(sa.func.sum(Removal.volume_m3), 0))
        .where(Removal.school_id.in_(ids), Removal.removed_on >= first, Removal.removed_on <= to)
        .group_by(Removal.school_id))}
    collected = _grouped(
        sa.select(Collection.school_id, sa.func.coalesce(sa.func.sum(Collection.quantity_kg), 0))
        .where(Collection.school_id.in_(ids), Collection.handed_on >= first, Collection.handed_on <= to)
        .group_by(Collection.school_id))
    lab = _grouped(
        sa.select(LabDisposal.school_id, sa.func.count())
        .where(LabDisposal.school_id.in_(ids), LabDisposal.disposed_on >= first, LabDisposal.disposed_on <= to)
        .group_by(LabDisposal.school_id))
    greening = {r[0]: r[1:] for r in db.session.execute(
        sa.select(GreeningItem.school_id, sa.func.count(), sa.func.count().filter(GreeningItem.done_on.is_not(None)))
        .where(GreeningItem.school_id.in_(ids), GreeningItem.planned_on >= first, GreeningItem.planned_on <= to)
        .group_by(GreeningItem.school_id))}
    # anonymous reports: how many came in the period, and how many of them are still open (never the text)
    reports = {r[0]: r[1:] for r in db.session.execute(
        sa.select(AnonymousReport.school_id, sa.func.count(),
                  sa.func.count().filter(AnonymousReport.status != CaseStatus.CLOSED))
        .where(AnonymousReport.school_id.in_(ids), AnonymousReport.received_on >= first,
               AnonymousReport.received_on <= to)
        .group_by(AnonymousReport.school_id))}
    for sid in ids:
        f = figs[sid]
        f["squad_members"] = squad.get(sid, 0)
        f["injured"], f["ambulance_calls"] = injured.get(sid, 0), ambulance.get(sid, 0)
        f["removals"], f["removed_m3"] = removals.get(sid, (0, Decimal(0)))  # a sum of a Numeric, as the query gives
        f["collected_kg"] = collected.get(sid, Decimal(0))
        f["lab_disposals"] = lab.get(sid, 0)
        f["greening_planned"], f["greening_done"] = greening.get(sid, (0, 0))
        f["anonymous_reports"], f["anonymous_open"] = reports.get(sid, (0, 0))
    return figs


def _night_rounds(schools: list, first: dt.date, to: dt.date, now: dt.datetime) -> dict[int, tuple[int, int]]:
    """{school id: (rounds whose grace has passed, rounds with a checkpoint not scanned)} of the nights
    starting from `first` to `to`: the gate's own rules (`night_slots`), with the checkpoints, the
    settings and the scans read once for all the schools."""
    out = {s.id: (0, 0) for s in schools}
    checkpoints: dict[int, list[Checkpoint]] = {}
    for cp in db.session.scalars(
            sa.select(Checkpoint).where(Checkpoint.school_id.in_(list(out)), Checkpoint.is_active.is_(True))
            .order_by(Checkpoint.position, Checkpoint.id)):
        checkpoints.setdefault(cp.school_id, []).append(cp)
    if not checkpoints:
        return out
    stored = {row.school_id: row for row in db.session.scalars(
        sa.select(GateSettings).where(GateSettings.school_id.in_(list(checkpoints))))}
    slots = {}
    for school in schools:
        if school.id not in checkpoints:
            continue
        settings = stored.get(school.id) or GateSettings(school_id=school.id, **DEFAULT_SETTINGS)
        mine = [slot for n in range((to - first).days + 1)
                for slot in night_slots(school, first + dt.timedelta(days=n), settings) if slot.deadline <= now]
        if mine:
            slots[school.id] = mine
    if not slots:
        return out
    scans: dict[int, list[dt.datetime]] = {}
    for sid, checkpoint_id, when in db.session.execute(
            sa.select(CheckpointScan.school_id, CheckpointScan.checkpoint_id, CheckpointScan.scanned_dt)
            .where(CheckpointScan.school_id.in_(list(slots)),
                   CheckpointScan.scanned_dt >= min(s[0].start for s in slots.values()),
                   CheckpointScan.scanned_dt < max(s[-1].window_end for s in slots.values()))):
        when = _aware(when)
        if slots[sid][0].start <= when < slots[sid][-1].window_end:  # the school's own nights
            scans.setdefault(checkpoint_id, []).append(when)
    for sid, mine in slots.items():
        missed = sum(1 for slot in mine
                     if any(not any(slot.start <= t < slot.window_end for t in scans.get(cp.id, ()))
                            for cp in checkpoints[sid]))
        out[sid] = (len(mine), missed)
    return out


def percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "—"


def build_sections(report: SafetyReport, lang: str) -> list[Section]:
    """The report's sections in the current locale (call inside `force_locale`)."""
    f = report.figures
    versions = current_versions()
    sev = {s.value: str(SEVERITY_LABELS[s]) for s in Severity}
    found_total = sum(f["found"].values())
    sections = [
        Section("inspections", _("Inspections"), [
            (_("Checks that fell due"), f["checks_due"]),
            (_("Done on time"), f"{f['checks_on_time']} ({percent(f['checks_on_time'], f['checks_due'])})"),
            (_("Done late"), f["checks_late"]),
            (_("Missed"), f["checks_missed"]),
        ], ((_("Checklist"), _("Missed")),
            [(versions[k].title(lang) if k in versions else k, n)
             for k, n in sorted(f["missed_by"].items(), key=lambda kv: -kv[1])]) if f["missed_by"] else None),
    ]
    texts = _deficiency_texts({r[0] for r in f["open_list"] if r[4] is not None})
    sections.append(Section("deficiencies", _("Deficiencies"), [
        (_("Found in the period"), found_total),
        *((f"    {sev[k]}", f["found"].get(k, 0)) for k in ("critical", "major", "minor")),
        (_("Fixed in the period"), f["fixed"]),
        (_("Open now"), f"{f['open']} ({_('critical')}: {f['open_critical']})"),
    ], ((_("No."), _("Deficiency"), _("Severity"), _("Open, days")),
        [(i, pick_text(texts.get(i), lang) or title, sev.get(s, s), age)
         for i, title, s, age, _a in f["open_list"][:30]]) if f["open_list"] else None))
    drill_rows = []
    for d, seconds in f["drills"]:
        took, target = clock(seconds), clock(d.target_seconds)  # as the drill's board and PDF write them
        kind = str(DRILL_KIND_LABELS.get(d.kind, d.kind))
        drill_rows.append((format_date(d.started_dt.date(), "short"),
                           kind + (f" ({_('real emergency')})" if d.is_real else ""),
                           took, target, "—" if seconds is None else (_("yes") if seconds <= d.target_seconds
                                                                      else _("no"))))
    sections.append(Section("drills", _("Drills and evacuation"), [
        (_("Drills planned"), f["drills_planned"]),
        (_("Drills held"), f["drills_held"]),
        (_("Real emergencies"), f["emergencies"]),
    ], ((_("Date"), _("Kind"), _("Evacuation time"), _("Target"), _("In time")), drill_rows) if drill_rows else None))
    sections.append(Section("training", _("Staff training and instruction"), [
        (_("Staff"), f["staff"]),
        (_("With a safety course in force"), f"{f['trained']} ({percent(f['trained'], f['staff'])})"),
    ]))
    sections.append(Section("gate", _("Access control"), [
        (_("Visitors, vehicles and deliveries"), f["visitors"]),
        (_("Watchlist matches"), f["watchlist_hits"]),
        (_("Entries refused"), f["refused"]),
        (_("Night rounds"), f["rounds"]),
        (_("Night rounds with a checkpoint missed"), f["rounds_missed"]),
    ]))
    sections.append(Section("roads", _("Road safety"), [
        (_("Road incidents with students"), f["incidents"]),
        (_("Young traffic inspectors in the squad"), f["squad_members"]),
        *((str(EVENT_LABELS[k]), f["road_events"].get(k.value, 0)) for k in EventKind),
    ]))
    sections.append(Section("canteen", _("Canteen"), [
        (_("Sanitary checks done"), f["canteen_checks"]),
        (_("Sanitary checks missed"), f["canteen_missed"]),
    ]))
    sections.append(Section("documents", _("Documents"), [
        (_("Documents to review by the end of the period"), f["documents_to_review"]),
    ]))
    sections.append(Section("accidents", _("Incidents and injuries at school"), [
        (_("Incidents"), sum(f["school_incidents"].values())),
        *((f"    {INCIDENT_LABELS[k]}", f["school_incidents"].get(k.value, 0)) for k in IncidentKind),
        (_("People injured"), f["injured"]),
        (_("Ambulance (103) called"), f["ambulance_calls"]),
    ]))
    sections.append(Section("ecology", _("Ecological safety"), [
        (_("Waste removals"), f"{f['removals']} ({_('%(m3)s m³', m3=_number(f['removed_m3']))})"),
        (_("Handed over for separate collection, kg"), _number(f["collected_kg"])),
        (_("Chemistry-lab residues disposed of"), f["lab_disposals"]),
        (_("Greening plan: done / planned"), f"{f['greening_done']} / {f['greening_planned']}"),
    ]))
    sections.append(Section("wellbeing", _("Psychological safety"), [
        (_("Anonymous reports received"), f["anonymous_reports"]),
        (_("Of them still open"), f["anonymous_open"]),
    ]))
    return sections


def _number(value) -> str:
    """12.50 -> "12.5", 3.0 -> "3" (volumes and weights)."""
    text = f"{float(value or 0):.2f}".rstrip("0").rstrip(".")
    return text or "0"


def prefill_problems(report: SafetyReport, lang: str) -> str:
    """What the data shows, as the first draft of "problems, shortcomings and ways to solve them"."""
    f = report.figures
    lines = []
    if f["checks_missed"]:
        worst = max(f["missed_by"].items(), key=lambda kv: kv[1])
        v = current_versions().get(worst[0])
        lines.append(_("%(missed)s of %(due)s checks were missed (most: %(checklist)s). Remind those on duty "
                       "and check the rosters.", missed=f["checks_missed"], due=f["checks_due"],
                       checklist=v.title(lang) if v else worst[0]))
    if f["open_critical"]:
        oldest = max((age for _i, _t, s, age, _a in f["open_list"] if s == "critical"), default=0)
        lines.append(_("%(num)s critical deficiencies are open, the oldest for %(days)s days: fix them first and "
                       "name who is responsible.", num=f["open_critical"], days=oldest))
    if f["drills_held"] < f["drills_planned"]:
        lines.append(_("%(held)s of %(planned)s planned drills were held: hold the missing ones.",
                       held=f["drills_held"], planned=f["drills_planned"]))
    late = [(d, s) for d, s in f["drills"] if s is not None and s > d.target_seconds]
    if late:
        lines.append(_("Evacuation took longer than the target in %(num)s drills: practise the routes with the "
                       "classes concerned.", num=len(late)))
    if f["staff"] and f["trained"] < f["staff"]:
        lines.append(_("%(num)s staff members have no safety course in force: plan their training.",
                       num=f["staff"] - f["trained"]))
    if f["watchlist_hits"]:
        lines.append(_("The watchlist matched %(num)s times at the gate: review them with the guards.",
                       num=f["watchlist_hits"]))
    if f["rounds_missed"]:
        lines.append(_("%(missed)s of %(total)s night rounds missed a checkpoint: check the guards' rounds.",
                       missed=f["rounds_missed"], total=f["rounds"]))
    if f["incidents"]:
        lines.append(_("%(num)s road incidents with students: hold targeted briefings and review the school "
                       "route.", num=f["incidents"]))
    if f["documents_to_review"]:
        lines.append(_("%(num)s documents are due for review.", num=f["documents_to_review"]))
    if f["injured"]:
        lines.append(_("%(num)s people were injured at school: review where it happened and the measures taken.",
                       num=f["injured"]))
    if f["anonymous_open"]:
        lines.append(_("%(num)s anonymous reports of the period are still open: the psychologist and the deputy "
                       "for upbringing deal with them.", num=f["anonymous_open"]))
    if not lines:
        lines.append(_("No problems shown by the data for this period."))
    return "\n".join(f"{n}. {line}" for n, line in enumerate(lines, start=1))
