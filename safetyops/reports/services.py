"""Reports: a school's safety report for a term, the school year or a month (its figures, its sections in
the person's language, the problems pre-filled), which the district report sums over the district's
schools.  The district's schools side by side are in `comparison`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from ..accidents.models import IncidentKind, Injury, SchoolIncident
from ..auth.models import User
from ..documents.models import DocStatus, Document
from ..drills.models import (
    ClassReport,
    Drill,
    PlannedDrill,
    TrainingRecord,
    evacuation_time,
)
from ..ecology.models import Collection, GreeningItem, LabDisposal, Removal
from ..extensions import db
from ..gate.models import Checkpoint, CheckpointScan, GateEntry, GateSettings
from ..gate.services import DEFAULT_SETTINGS, night_slots
from ..incidents.models import RoadIncident
from ..inspections.models import (
    OPEN_STATUSES,
    SEVERITY_RANK,
    CorrectiveAction,
    Run,
    RunStatus,
    Schedule,
    Severity,
)
from ..roadsafety.models import EventKind, RoadEvent, SquadMember
from ..schools.calendar import calendar_for, school_year_start
from ..schools.models import Membership
from ..time import now_utc, zone
from ..wellbeing.models import CaseStatus
from ..wellbeing.models import Report as AnonymousReport
from .periods import DuePeriods, plain_rows

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


def aware_utc(value: dt.datetime | None) -> dt.datetime | None:
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
        return when is not None and start <= aware_utc(when) < end


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

    # inspections: every period of every active schedule due inside [first, to]; schedules and done runs
    # read as plain columns (a district's term is thousands of runs), periods shared (`DuePeriods`)
    schedules = plain_rows(
        sa.select(Schedule.id, Schedule.school_id, sa.type_coerce(Schedule.frequency, sa.String),
                  Schedule.opens_time, Schedule.due_time, Schedule.starts_on, Schedule.template_key)
        .where(Schedule.school_id.in_(ids), Schedule.is_active.is_(True))
        .order_by(Schedule.id))
    #: (schedule, period start) -> when a done run finished (None: done, with no time)
    done: dict[tuple[int, dt.date], dt.datetime | None] = {
        (sid, start): aware_utc(fin) for sid, start, fin in plain_rows(
            sa.select(Run.schedule_id, Run.period_start, sa.type_coerce(Run.finished_dt, sa.DateTime()))
            .where(Run.school_id.in_(ids), Run.status == RunStatus.DONE,
                   Run.period_start >= first - dt.timedelta(days=92), Run.period_start <= to))}
    counts = {sid: {"due": 0, "on_time": 0, "late": 0, "missed": 0} for sid in ids}
    missed_by: dict[int, dict[str, int]] = {sid: {} for sid in ids}
    days = (first + dt.timedelta(days=n) for n in range((to - first).days + 1))
    mondays = sorted({day - dt.timedelta(days=day.weekday()) for day in days})
    weeks = {sid: {monday: {"due": 0, "on_time": 0, "late": 0, "missed": 0, "found": 0, "fixed": 0}
                   for monday in mondays} for sid in ids}
    periods = DuePeriods(first, to, now, tz_name, calendars)
    for schedule_id, sid, frequency, opens, due, starts_on, template_key in schedules:
        school_weeks, school_counts = weeks[sid], counts[sid]
        for start, end, due_dt, due_day in periods.of(sid, frequency, opens, due):
            if end <= starts_on:  # before the schedule began
                continue
            week = school_weeks[due_day - dt.timedelta(days=due_day.weekday())]
            if (schedule_id, start) in done:
                fin = done[schedule_id, start]
                key = "on_time" if fin is not None and fin <= due_dt else "late"
            else:
                key = "missed"
                missed_by[sid][template_key] = missed_by[sid].get(template_key, 0) + 1
            for into in (school_counts, week):
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
                day = aware_utc(when).astimezone(win.tz[sid]).date()
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
                           max(0, (now - aware_utc(r.created_dt)).days), r.answer_id) for r in rows]

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
            firsts.setdefault(drill_id, []).append(aware_utc(first_dt))
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
        when = aware_utc(when)
        if slots[sid][0].start <= when < slots[sid][-1].window_end:  # the school's own nights
            scans.setdefault(checkpoint_id, []).append(when)
    for sid, mine in slots.items():
        missed = sum(1 for slot in mine
                     if any(not any(slot.start <= t < slot.window_end for t in scans.get(cp.id, ()))
                            for cp in checkpoints[sid]))
        out[sid] = (len(mine), missed)
    return out
