"""Reports: the district's schools side by side (issue 14).

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
from ..drills.models import Drill, PlannedDrill, TrainingRecord
from ..extensions import db
from ..incidents.models import RoadIncident
from ..inspections.models import OPEN_STATUSES, CorrectiveAction, Run, RunStatus, Schedule, Severity
from ..inspections.periods import occurrences_between
from ..schools.models import Membership, School
from ..time import now_utc

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


def school_year_start(day: dt.date) -> dt.date:
    return dt.date(day.year if day.month >= 9 else day.year - 1, 9, 1)


def district_ids(user) -> list[int]:
    return [dm.district_id for dm in user.district_memberships]


def compare(ids: list[int], today: dt.date, now: dt.datetime | None = None) -> list[SchoolRow]:
    """One row per school of the districts `ids`, in a fixed number of statements."""
    now = now or now_utc()
    schools = list(db.session.execute(sa.select(School.id, School.name, School.timezone)
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

    # checks on time: every active schedule and every run of the last days, read once for all schools
    first = today - dt.timedelta(days=CHECK_DAYS - 1)
    schedules = list(db.session.scalars(sa.select(Schedule).where(Schedule.school_id.in_(in_district),
                                                                  Schedule.is_active.is_(True))))
    finished = {(sid, start): fin for sid, start, fin in db.session.execute(
        sa.select(Run.schedule_id, Run.period_start, Run.finished_dt)
        .where(Run.school_id.in_(in_district), Run.status == RunStatus.DONE,
               Run.period_start >= first - dt.timedelta(days=92)))}
    tz_of = {s.id: s.timezone for s in schools}
    due, on_time = {}, {}
    for s in schedules:
        for o in occurrences_between(s, first, today, tz_of[s.school_id]):
            if o.due_dt > now or o.due_day < first:
                continue
            due[s.school_id] = due.get(s.school_id, 0) + 1
            fin = finished.get((s.id, o.start))
            if fin is not None:
                fin = fin if fin.tzinfo else fin.replace(tzinfo=dt.UTC)
                if fin <= o.due_dt:
                    on_time[s.school_id] = on_time.get(s.school_id, 0) + 1
    for sid, n in due.items():
        rows[sid].checks_due = n
        rows[sid].on_time_pct = round(100 * on_time.get(sid, 0) / n)
    return list(rows.values())


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


