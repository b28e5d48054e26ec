"""Inspections: the dues (each active schedule's period, its status and run, and whom the check falls to),
my checks, the director's overdue view and the counts.

The rest of the area's services live in sibling modules and are re-exported here (the area's views, jobs
and demo, other areas and the tests use them as `services.<name>`): `versions` (the template sync),
`schedules` (assets and schedules), `runs` (runs and ticks), `actions` (corrective actions) and `common`
(`Refused`, `school_tz`).

Services take the actor and the school; they never read `request` or `current_user`.
Bad input raises `ServiceError` (with `.status` for JSON answers where it matters)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..auth.models import User
from ..database import unit_memo
from ..extensions import db
from ..rosters.models import Post, Shift
from ..schools.calendar import calendar_for
from ..schools.models import Membership
from ..time import now_utc

# Re-exported: the area's views, jobs, demo, cards and exports call these as `services.<name>`, and so do
# other areas (drills: open_action; canteen: run_progress; reports and documents: current_versions,
# deficiency_texts), the tests and the bench.
from .actions import (  # noqa: F401
    DUE_DAYS,
    TRANSITIONS,
    action_title,
    alert_critical,
    can_verify,
    can_work_on,
    comment,
    default_assignee,
    deficiency_texts,
    open_action,
    open_actions_query,
    reassign,
    responsible_people,
    set_action_status,
    sorted_actions,
)
from .common import Refused, school_tz  # noqa: F401 - re-exported (see above)
from .models import (
    OPEN_STATUSES,
    SEVERITY_RANK,
    Asset,
    AssigneeKind,
    ChecklistVersion,
    CorrectiveAction,
    Frequency,
    Run,
    RunStatus,
    Schedule,
    Severity,
)
from .periods import Occurrence, Status, current_occurrence, occurrences_between
from .permissions import MANAGER_ROLES  # noqa: F401 - re-exported: the action page's "may assign"
from .runs import add_answer_photo, finish_run, missing_photos, run_progress, start_run, tick  # noqa: F401
from .schedules import (  # noqa: F401 - re-exported (see above)
    asset_by_token,
    assignee_label,
    assignees,
    on_duty_staff,
    save_asset,
    save_schedule,
    schedule_from_template,
    users_with_role,
)
from .versions import (  # noqa: F401 - re-exported (see above)
    SyncReport,
    current_versions,
    ensure_templates,
    latest_version,
    sync_templates,
    validate_path,
)

#: How the overdue view found the responsible people (`Due.people_how`).
RESPONSIBLE_HOW = {
    "person": _l("Named in the schedule"),
    "on_duty": _l("On duty by the roster"),
    "appointee": _l("Appointed responsible"),
    "role": _l("By role"),
    "": _l("Responsible"),
}


def responsible_for_dues(school, dues: list[Due], versions: dict | None = None) -> None:
    """Set `people` and `people_how` on each due: the named person; the person on published duty
    in the zone that day; else the person appointed for the checklist's area that day; else everyone
    with the schedule's role.  A fixed number of queries whatever the number of dues."""
    from ..schools.models import Appointment

    if not dues:
        return
    versions = versions if versions is not None else current_versions()
    days = sorted({d.occurrence.due_day for d in dues})
    duty: dict[tuple[dt.date, int | None], list[int]] = {}
    if any(d.schedule.assignee_kind == AssigneeKind.ON_DUTY for d in dues):
        rows = db.session.execute(
            sa.select(Shift.day, Post.zone_id, Shift.user_id).join(Post, Post.id == Shift.post_id)
            .where(Shift.school_id == school.id, Shift.day.in_(days), Shift.is_published.is_(True))
            .order_by(Post.position, Post.name, Shift.id))
        for day, zone_id, user_id in rows:
            for key in ((day, None), (day, zone_id)):
                if user_id not in duty.setdefault(key, []):
                    duty[key].append(user_id)

    def area_of(d: Due):
        v = versions.get(d.schedule.template_key)
        return v.content["area"] if v is not None else None

    areas = {a for d in dues if (a := area_of(d))}
    appointed: list[tuple[str, dt.date, dt.date | None, int]] = []
    if areas:
        appointed = [(str(a.value if hasattr(a, "value") else a), s, e, u) for a, s, e, u in db.session.execute(
            sa.select(Appointment.area, Appointment.starts_on, Appointment.ends_on, Appointment.user_id)
            .where(Appointment.school_id == school.id, Appointment.area.in_(sorted(areas)),
                   Appointment.starts_on <= days[-1],
                   sa.or_(Appointment.ends_on.is_(None), Appointment.ends_on >= days[0]))
            .order_by(Appointment.starts_on, Appointment.id))]
    roles = sorted({d.schedule.assignee_role for d in dues})
    by_role: dict[str, list[int]] = {}
    for role, user_id in db.session.execute(
            sa.select(Membership.role, Membership.user_id).join(User, User.id == Membership.user_id)
            .where(Membership.school_id == school.id, Membership.role.in_(roles), User.is_enabled.is_(True))
            .order_by(User.full_name, User.id)):
        by_role.setdefault(str(role.value if hasattr(role, "value") else role), []).append(user_id)
    chosen: dict[int, tuple[list[int], str]] = {}
    for d in dues:
        s, day = d.schedule, d.occurrence.due_day
        if s.assignee_kind == AssigneeKind.PERSON:
            chosen[id(d)] = ([s.assignee_user_id] if s.assignee_user_id else [], "person")
            continue
        if s.assignee_kind == AssigneeKind.ON_DUTY:
            zone = s.place_zone
            found = duty.get((day, zone.id if zone else None), [])
            if found:
                chosen[id(d)] = (found, "on_duty")
                continue
        area = area_of(d)
        found = [u for a, start, end, u in appointed if a == area and start <= day and (end is None or end >= day)]
        if found:
            chosen[id(d)] = (list(dict.fromkeys(found)), "appointee")
            continue
        chosen[id(d)] = (by_role.get(str(s.assignee_role), []), "role")
    ids = sorted({u for found, _how in chosen.values() for u in found})
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))} if ids else {}
    for d in dues:
        found, how = chosen[id(d)]
        d.people = [users[u] for u in found if u in users]
        d.people_how = how


def falls_to(schedule: Schedule, school, user, role, day: dt.date, duty: dict | None = None) -> bool:
    """Does the check fall to this person on `day`?  `duty`: `_duty_ids(school, day)`, read once for
    many schedules (else the roster is read for this schedule alone)."""
    if schedule.assignee_kind == AssigneeKind.PERSON:
        return schedule.assignee_user_id == user.id
    if schedule.assignee_kind == AssigneeKind.ON_DUTY:
        zone = schedule.place_zone
        if duty is None:
            found = {u.id for u in on_duty_staff(school, day, zone.id if zone else None) or []}
        else:
            found = duty.get(zone.id if zone else None, set())
        if found:
            return user.id in found
    return role == schedule.assignee_role


def _duty_ids(school, day: dt.date) -> dict[int | None, set[int]]:
    """Who is on published duty on `day`, by post zone (None: every post), in one query."""
    rows = db.session.execute(
        sa.select(Post.zone_id, Shift.user_id).join(Post, Post.id == Shift.post_id)
        .where(Shift.school_id == school.id, Shift.day == day, Shift.is_published.is_(True)))
    found: dict[int | None, set[int]] = {None: set()}
    for zone_id, user_id in rows:
        found[None].add(user_id)
        if zone_id is not None:
            found.setdefault(zone_id, set()).add(user_id)
    return found


@dataclass(frozen=True)
class RunRef:
    """What a due needs of its run: the id (a link) and whether it is finished."""

    id: int
    status: RunStatus

    @property
    def is_done(self) -> bool:
        return self.status == RunStatus.DONE


@dataclass
class Due:
    """A schedule's occurrence with its computed status and its run (a `RunRef`), if any."""

    schedule: Schedule
    occurrence: Occurrence
    status: Status
    run: RunRef | None = None
    #: In the overdue view: how many periods of this schedule were missed in the window.
    missed: int = 0
    #: In the overdue view: who the check fell to (`responsible_for_dues`), and how ("on_duty",
    #: "appointee", "person" or "role").
    people: list = field(default_factory=list)
    people_how: str = ""


def _run_refs(school, needed: set[tuple[int, dt.date]]) -> dict[tuple[int, dt.date], RunRef]:
    """The runs of exactly these (schedule, period start) pairs: four columns, no ORM objects."""
    if not needed:
        return {}
    ids = sorted({sid for sid, _start in needed})
    starts = sorted({start for _sid, start in needed})
    rows = db.session.execute(
        sa.select(Run.id, Run.schedule_id, Run.period_start, Run.status)
        .where(Run.school_id == school.id, Run.schedule_id.in_(ids), Run.period_start.in_(starts)))
    return {(sid, start): RunRef(rid, RunStatus(status)) for rid, sid, start, status in rows
            if (sid, start) in needed}


def active_schedules(school) -> list[Schedule]:
    return list(db.session.scalars(sa.select(Schedule).where(Schedule.school_id == school.id,
                                                             Schedule.is_active.is_(True))
                                   .options(sa.orm.selectinload(Schedule.zone),
                                            sa.orm.selectinload(Schedule.asset).selectinload(Asset.zone),
                                            sa.orm.selectinload(Schedule.assignee_user))
                                   .order_by(Schedule.id)))


class Dues:
    """The dues of one school at one moment: the current period of every active schedule, and the
    overdue/missed periods of the last days, each computed on first use with one narrow query of the
    runs it needs.  One per request (`dues_of`)."""

    def __init__(self, school, now: dt.datetime, schedules=None):
        self.school, self.now = school, now
        self.today = now.astimezone(school_tz(school)).date()
        self._schedules = schedules
        self._current: list[Due] | None = None
        self._overdue: dict[int, list[Due]] = {}
        self._calendar = None

    @property
    def calendar(self):
        """The school's calendar (checks that follow school days skip its holidays), read on first use."""
        if self._calendar is None:
            self._calendar = calendar_for(self.school)
        return self._calendar

    @property
    def schedules(self) -> list[Schedule]:
        if self._schedules is None:
            self._schedules = active_schedules(self.school)
        return self._schedules

    def _calendar_if(self, schedule):
        """The calendar, read only when a schedule follows school days (no query for the others)."""
        return self.calendar if schedule.frequency == Frequency.SCHOOL_DAYS else None

    def _with_runs(self, pairs) -> list[Due]:
        runs = _run_refs(self.school, {(s.id, o.start) for s, o in pairs})
        result = []
        for s, o in pairs:
            run = runs.get((s.id, o.start))
            result.append(Due(s, o, o.status(self.now, run is not None and run.is_done), run))
        return result

    @property
    def current(self) -> list[Due]:
        if self._current is None:
            tz_name = self.school.timezone
            self._current = self._with_runs(
                [(s, o) for s in self.schedules
                 if (o := current_occurrence(s, self.today, tz_name, self._calendar_if(s))) is not None])
        return self._current

    def overdue(self, lookback_days: int) -> list[Due]:
        if lookback_days not in self._overdue:
            first = self.today - dt.timedelta(days=lookback_days)
            tz_name = self.school.timezone
            pairs = [(s, o) for s in self.schedules
                     for o in occurrences_between(s, first, self.today, tz_name, self._calendar_if(s))]
            self._overdue[lookback_days] = [d for d in self._with_runs(pairs)
                                            if d.status in (Status.OVERDUE, Status.MISSED)]
        return self._overdue[lookback_days]


def _request_now(now: dt.datetime | None) -> dt.datetime:
    """`now`, or one clock for the whole request (so its parts agree and share `dues_of`)."""
    if now is not None:
        return now
    memo = unit_memo()
    return memo.setdefault("inspections.now", now_utc()) if memo is not None else now_utc()


def dues_of(school, now: dt.datetime | None = None) -> Dues:
    """The dues of `school` at `now`, once per request (in the unit of work's memo, forgotten
    whenever the session writes or rolls back); outside a request, new on each call."""
    now = _request_now(now)
    memo = unit_memo()
    if memo is None or db.session.new or db.session.dirty or db.session.deleted:
        return Dues(school, now)
    dues = memo.setdefault("inspections.dues", {})
    key = (school.id, now)
    if key not in dues:
        dues[key] = Dues(school, now)
    return dues[key]


def _forget_dues(session, *args) -> None:
    memo = session.info.get("unit_memo")
    if memo is not None:
        memo.pop("inspections.dues", None)


sa.event.listen(sa.orm.Session, "after_flush", _forget_dues)
sa.event.listen(sa.orm.Session, "after_soft_rollback", _forget_dues)


def current_dues(school, now: dt.datetime | None = None, schedules=None) -> list[Due]:
    """Each active schedule's occurrence for today's period (school-local)."""
    if schedules is not None:
        return Dues(school, _request_now(now), schedules).current
    return list(dues_of(school, now).current)


def my_checks(user, school, role, now: dt.datetime | None = None) -> list[Due]:
    """Checks that fall to this person in the current period, most urgent first."""
    now = _request_now(now)
    today = now.astimezone(school_tz(school)).date()
    dues = current_dues(school, now)
    duty = _duty_ids(school, today) if any(d.schedule.assignee_kind == AssigneeKind.ON_DUTY for d in dues) else {}
    dues = [d for d in dues if falls_to(d.schedule, school, user, role, today, duty)]
    order = {Status.OVERDUE: 0, Status.DUE: 1, Status.UPCOMING: 2, Status.DONE: 3, Status.MISSED: 4}
    return sorted(dues, key=lambda d: (order[d.status], d.occurrence.due_dt, d.schedule.id))


def overdue_checks(school, now: dt.datetime | None = None, lookback_days: int = 7) -> list[Due]:
    """Overdue and missed occurrences whose period overlaps the last `lookback_days` days."""
    return [replace(d) for d in dues_of(school, now).overdue(lookback_days)]


@dataclass
class OverdueView:
    checks: list[Due]
    actions: list[CorrectiveAction]
    overdue_action_ids: set[int]


def overdue_view(school, *, now: dt.datetime | None = None, zone_id=None, area=None, assignee_id=None,
                 role=None) -> OverdueView:
    now = _request_now(now)
    today = now.astimezone(school_tz(school)).date()
    checks = overdue_checks(school, now)
    versions = current_versions()
    if zone_id:
        checks = [d for d in checks if (z := d.schedule.place_zone) is not None and z.id == zone_id]
    if area:
        checks = [d for d in checks if (v := versions.get(d.schedule.template_key)) and v.content["area"] == area]
    if assignee_id:
        checks = [d for d in checks if any(u.id == assignee_id for u in assignees(d.schedule, school, today))]
    checks = _one_per_schedule(checks)
    responsible_for_dues(school, checks, versions)
    checks.sort(key=lambda d: (SEVERITY_RANK.get(_worst_severity(versions.get(d.schedule.template_key)), 2),
                               -d.missed, d.occurrence.due_dt))
    actions = sorted_actions(db.session.scalars(
        open_actions_query(school, zone_id=zone_id, area=area, assignee_id=assignee_id)
        .options(sa.orm.selectinload(CorrectiveAction.zone), sa.orm.selectinload(CorrectiveAction.assignee))))
    return OverdueView(checks, actions, {a.id for a in actions if a.due_on < today})


def _one_per_schedule(checks: list[Due]) -> list[Due]:
    """The latest overdue/missed period of each schedule, with the count of missed ones."""
    latest: dict[int, Due] = {}
    missed: dict[int, int] = {}
    for d in checks:
        sid = d.schedule.id
        missed[sid] = missed.get(sid, 0) + (d.status == Status.MISSED)
        if sid not in latest or d.occurrence.start > latest[sid].occurrence.start:
            latest[sid] = d
    for sid, d in latest.items():
        d.missed = missed[sid]
    return list(latest.values())


def _worst_severity(version: ChecklistVersion | None) -> Severity:
    if version is None:
        return Severity.MINOR
    return Severity(min((i["severity"] for i in version.items), key=lambda s: SEVERITY_RANK[Severity(s)]))


def counts(school, now: dt.datetime | None = None) -> dict[str, int]:
    now = _request_now(now)
    today = now.astimezone(school_tz(school)).date()
    checks = overdue_checks(school, now)
    row = db.session.execute(
        sa.select(sa.func.count(),
                  sa.func.count().filter(CorrectiveAction.severity == Severity.CRITICAL),
                  sa.func.count().filter(CorrectiveAction.due_on < today))
        .where(CorrectiveAction.school_id == school.id, CorrectiveAction.status.in_(OPEN_STATUSES))).one()
    return {"overdue_checks": sum(1 for d in checks if d.status == Status.OVERDUE),
            "missed_checks": sum(1 for d in checks if d.status == Status.MISSED),
            "open_actions": row[0], "critical_actions": row[1], "overdue_actions": row[2]}
