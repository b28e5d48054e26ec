"""Inspections: template sync, schedules, runs and ticks, corrective actions, the overdue view.

Services take the actor and the school; they never read `request` or `current_user`.
Bad input raises `ServiceError` (with `.status` for JSON answers where it matters)."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from ..audit.services import record
from ..auth.models import User
from ..auth.roles import Role
from ..database import unit_memo
from ..errors_service import ServiceError
from ..extensions import db
from ..rosters.models import Post, Shift
from ..rosters.services import on_duty
from ..schools.calendar import calendar_for
from ..schools.models import Area, Membership, Zone
from ..scoping import cross_school, owned
from ..time import now_utc, school_today
from . import alerts
from .checklist_files import Error, content_hash, load_dir, load_file
from .models import (
    OPEN_STATUSES,
    SEVERITY_RANK,
    ActionComment,
    ActionSource,
    ActionStatus,
    Answer,
    Asset,
    AssigneeKind,
    ChecklistVersion,
    CorrectiveAction,
    Frequency,
    Result,
    Run,
    RunStatus,
    Schedule,
    Severity,
    pick_text,
)
from .periods import Occurrence, Status, current_occurrence, occurrences_between
from .permissions import ALERT_ROLES, MANAGER_ROLES

#: Days to fix a deficiency, by severity.
DUE_DAYS = {Severity.CRITICAL: 1, Severity.MAJOR: 7, Severity.MINOR: 30}


class Refused(ServiceError):
    """A ServiceError with an HTTP status for JSON answers (404 unknown item, 409 finished run…)."""

    def __init__(self, message, field=None, status: int = 422):
        super().__init__(message, field)
        self.status = status


# --------------------------------------------------------------------------- templates


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[Error] = field(default_factory=list)


def validate_path(path: str | Path | None = None) -> tuple[int, list[Error]]:
    """Validate a file or a folder (default: the shipped one)."""
    if path is not None and Path(path).is_file():
        template, errors = load_file(path)
        return (1 if template else 0), errors
    templates, errors = load_dir(path)
    return len(templates), errors


_LOADED: dict = {}


def _load_dir_cached(path):
    """load_dir, remembered while no file of the folder changed (the sync runs often in tests)."""
    from .checklist_files import SHIPPED_DIR, SUFFIXES

    folder = Path(path) if path is not None else SHIPPED_DIR
    try:
        stamp = tuple(sorted((p.name, hashlib.sha256(p.read_bytes()).hexdigest()) for p in folder.iterdir()
                             if p.suffix in SUFFIXES and p.is_file()))
    except OSError:
        return load_dir(path)
    key = (str(folder.resolve()), stamp)
    if key not in _LOADED:
        _LOADED.clear()
        _LOADED[key] = load_dir(folder)
    return _LOADED[key]


def sync_templates(path: str | Path | None = None) -> SyncReport:
    """Store each valid template whose content is new as a new immutable version.
    A file with errors is skipped: the last good version stays current."""
    templates, errors = _load_dir_cached(path)
    report = SyncReport(errors=errors)
    now = now_utc()
    for key, template in sorted(templates.items()):
        digest = content_hash(template)
        existing = db.session.scalar(sa.select(ChecklistVersion).where(
            ChecklistVersion.template_key == key, ChecklistVersion.content_hash == digest))
        latest = latest_version(key)
        if existing is not None and latest is not None and latest.id == existing.id:
            report.unchanged.append(key)
            continue
        if existing is not None:  # the file went back to an earlier content: that version is current again
            existing.synced_dt = now
        else:
            db.session.add(ChecklistVersion(template_key=key, file_version=template.version, content_hash=digest,
                                            content=template.to_dict(), synced_dt=now))
        report.added.append(key)
    db.session.flush()
    return report


def latest_version(key: str) -> ChecklistVersion | None:
    return db.session.scalar(sa.select(ChecklistVersion).where(ChecklistVersion.template_key == key)
                             .order_by(ChecklistVersion.synced_dt.desc(), ChecklistVersion.id.desc()).limit(1))


def current_versions() -> dict[str, ChecklistVersion]:
    rows = db.session.scalars(sa.select(ChecklistVersion).order_by(ChecklistVersion.synced_dt,
                                                                   ChecklistVersion.id))
    return {v.template_key: v for v in rows}


def ensure_templates() -> dict[str, ChecklistVersion]:
    """The current versions; syncs the shipped folder once if the database has none."""
    versions = current_versions()
    if not versions:
        sync_templates()
        versions = current_versions()
    return versions


# --------------------------------------------------------------------------- assets


def save_asset(actor, school, asset: Asset | None, **fields) -> Asset:
    code = fields["code"].strip()
    clash = db.session.scalar(sa.select(Asset.id).where(Asset.school_id == school.id, Asset.code == code,
                                                        Asset.id != (asset.id if asset else -1)))
    if clash is not None:
        raise ServiceError(_l("An asset with this code already exists."), "code")
    zone_id = fields.get("zone_id") or None
    if zone_id and _zone(school, zone_id) is None:
        raise ServiceError(_l("Choose a zone of this school."), "zone_id")
    creating = asset is None
    if creating:
        asset = Asset(school_id=school.id)
        db.session.add(asset)
    asset.code = code
    asset.zone_id = zone_id
    for key in ("asset_type", "description", "capacity", "serial", "commissioned_on", "last_service_on",
                "next_service_on", "is_active"):
        if key in fields:
            value = fields[key]
            setattr(asset, key, value.strip() if isinstance(value, str) else value)
    db.session.flush()
    record(actor, school, "asset.create" if creating else "asset.update", asset)
    return asset


def _zone(school, zone_id) -> Zone | None:
    return db.session.scalar(sa.select(Zone).where(Zone.school_id == school.id, Zone.id == zone_id))


def asset_by_token(school, token: str) -> Asset | None:
    return db.session.scalar(sa.select(Asset).where(Asset.school_id == school.id, Asset.token == token))


# --------------------------------------------------------------------------- schedules


def save_schedule(actor, school, schedule: Schedule | None, **fields) -> Schedule:
    versions = ensure_templates()
    key = fields["template_key"]
    version = versions.get(key)
    if version is None:
        raise ServiceError(_l("Unknown checklist."), "template_key")
    applies = version.content["applies_to"]
    zone_id, asset_id = fields.get("zone_id") or None, fields.get("asset_id") or None
    if "asset_types" in applies:
        asset = db.session.scalar(sa.select(Asset).where(Asset.school_id == school.id, Asset.id == asset_id)) \
            if asset_id else None
        if asset is None:
            raise ServiceError(_l("This checklist is for equipment: choose an asset."), "asset_id")
        if asset.asset_type not in applies["asset_types"]:
            raise ServiceError(_l("This checklist does not apply to this kind of equipment."), "asset_id")
        zone_id = None
    else:
        zone = _zone(school, zone_id) if zone_id else None
        if zone is None:
            raise ServiceError(_l("This checklist is for a zone: choose a zone."), "zone_id")
        if zone.kind not in applies["zone_kinds"]:
            raise ServiceError(_l("This checklist does not apply to this kind of zone."), "zone_id")
        asset_id = None
    opens, due = fields["opens_time"], fields["due_time"]
    if due <= opens:
        raise ServiceError(_l("The due time must be later than the opening time."), "due_time")
    kind = AssigneeKind(fields["assignee_kind"])
    person_id = fields.get("assignee_user_id") or None
    if kind is AssigneeKind.PERSON:
        member = db.session.scalar(sa.select(Membership.id).where(Membership.school_id == school.id,
                                                                  Membership.user_id == person_id)) \
            if person_id else None
        if member is None:
            raise ServiceError(_l("Choose a person who works at this school."), "assignee_user_id")
    else:
        person_id = None
    creating = schedule is None
    if creating:
        schedule = Schedule(school_id=school.id)
        db.session.add(schedule)
    schedule.template_key = key
    schedule.zone_id, schedule.asset_id = zone_id, asset_id
    schedule.frequency = fields["frequency"]
    schedule.opens_time, schedule.due_time = opens, due
    schedule.assignee_kind = kind
    schedule.assignee_role = fields.get("assignee_role") or version.content["default_assignee_role"]
    schedule.assignee_user_id = person_id
    schedule.starts_on = fields.get("starts_on") or school_today(school)
    schedule.is_active = bool(fields.get("is_active", True))
    db.session.flush()
    record(actor, school, "schedule.create" if creating else "schedule.update", schedule)
    return schedule


def schedule_from_template(actor, school, key: str, *, zone=None, asset=None, **overrides) -> Schedule:
    """A schedule with the template's own frequency, window and default role."""
    version = ensure_templates()[key]
    c = version.content
    return save_schedule(actor, school, None, **{
        "template_key": key, "zone_id": zone.id if zone else None, "asset_id": asset.id if asset else None,
        "frequency": c["frequency"],
        "opens_time": dt.time.fromisoformat(c["window"]["opens"]),
        "due_time": dt.time.fromisoformat(c["window"]["due"]),
        "assignee_kind": AssigneeKind.ROLE, "assignee_role": c["default_assignee_role"], **overrides})


def _users_with_role(school, role: str) -> list[User]:
    return list(db.session.scalars(
        sa.select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.school_id == school.id, Membership.role == role, User.is_enabled.is_(True))
        .order_by(User.id)))


def _on_duty(school, day: dt.date, zone_id: int | None) -> list[User]:
    """Who the rosters have on published duty on `day` (at the zone's posts when `zone_id` is given)."""
    return on_duty(school, day, zone_id=zone_id)


def assignees(schedule: Schedule, school, day: dt.date) -> list[User]:
    """Who the check falls to on `day`."""
    if schedule.assignee_kind == AssigneeKind.PERSON:
        return [schedule.assignee_user] if schedule.assignee_user is not None else []
    if schedule.assignee_kind == AssigneeKind.ON_DUTY:
        zone = schedule.place_zone
        found = _on_duty(school, day, zone.id if zone else None)
        if found:
            return found
    return _users_with_role(school, schedule.assignee_role)


#: How the overdue view found the responsible people (`Due.people_how`).
RESPONSIBLE_HOW = {
    "person": _l("Named in the schedule"),
    "on_duty": _l("On duty by the roster"),
    "appointee": _l("Appointed responsible"),
    "role": _l("By role"),
    "": _l("Responsible"),
}


def assignee_label(schedule: Schedule) -> str:
    """Whom the schedule names, in words: the person, or the role (and the roster first)."""
    from ..auth.roles import ROLE_LABELS

    try:
        role = ROLE_LABELS[Role(schedule.assignee_role)]
    except ValueError:
        role = schedule.assignee_role
    if schedule.assignee_kind == AssigneeKind.PERSON:
        return schedule.assignee_user.full_name if schedule.assignee_user is not None else "—"
    if schedule.assignee_kind == AssigneeKind.ON_DUTY:
        return str(_l("On duty in the zone by the roster; else: %(role)s", role=role))
    return str(role)


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
            found = {u.id for u in _on_duty(school, day, zone.id if zone else None) or []}
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
        self.today = now.astimezone(_tz(school)).date()
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


def _tz(school):
    from ..time import zone

    return zone(school.timezone)


def my_checks(user, school, role, now: dt.datetime | None = None) -> list[Due]:
    """Checks that fall to this person in the current period, most urgent first."""
    now = _request_now(now)
    today = now.astimezone(_tz(school)).date()
    dues = current_dues(school, now)
    duty = _duty_ids(school, today) if any(d.schedule.assignee_kind == AssigneeKind.ON_DUTY for d in dues) else {}
    dues = [d for d in dues if falls_to(d.schedule, school, user, role, today, duty)]
    order = {Status.OVERDUE: 0, Status.DUE: 1, Status.UPCOMING: 2, Status.DONE: 3, Status.MISSED: 4}
    return sorted(dues, key=lambda d: (order[d.status], d.occurrence.due_dt, d.schedule.id))


def overdue_checks(school, now: dt.datetime | None = None, lookback_days: int = 7) -> list[Due]:
    """Overdue and missed occurrences whose period overlaps the last `lookback_days` days."""
    return [replace(d) for d in dues_of(school, now).overdue(lookback_days)]


# --------------------------------------------------------------------------- runs


def start_run(actor, school, schedule: Schedule, *, now: dt.datetime | None = None, qr: bool = False) -> Run:
    """Open (or resume) the run of the schedule's current period."""
    now = now or now_utc()
    if not schedule.is_active:
        raise ServiceError(_l("This check is paused."))
    today = now.astimezone(_tz(school)).date()
    occ = current_occurrence(schedule, today, school.timezone,
                             calendar_for(school) if schedule.frequency == Frequency.SCHOOL_DAYS else None)
    if occ is None:
        raise ServiceError(_l("This check is not due today."))
    run = db.session.scalar(sa.select(Run).where(Run.school_id == school.id, Run.schedule_id == schedule.id,
                                                 Run.period_start == occ.start))
    if run is None:
        version = ensure_templates().get(schedule.template_key)
        if version is None:
            raise ServiceError(_l("Unknown checklist."))
        run = Run(school_id=school.id, schedule_id=schedule.id, period_start=occ.start, version_id=version.id,
                  zone_id=schedule.zone_id or (schedule.asset.zone_id if schedule.asset else None),
                  asset_id=schedule.asset_id, started_by_id=actor.id, started_dt=now, is_qr_verified=qr)
        try:
            with db.session.begin_nested():
                db.session.add(run)
        except IntegrityError:  # another phone started it at the same moment
            run = db.session.scalar(sa.select(Run).where(Run.schedule_id == schedule.id,
                                                         Run.period_start == occ.start))
        else:
            record(actor, school, "run.start", run, detail="qr" if qr else "")
    if qr and not run.is_qr_verified and not run.is_done:
        run.is_qr_verified = True
        record(actor, school, "run.qr_verified", run)
    return run


def tick(actor, school, run: Run, *, item_id: str, result: str, note: str = "", client_uuid: str | None = None,
         photo=None, now: dt.datetime | None = None) -> Answer:
    """Store the answer to one item.  The same client_uuid again changes nothing."""
    now = now or now_utc()
    client_uuid = _clean_uuid(client_uuid)
    seen = db.session.scalar(sa.select(Answer).where(Answer.school_id == school.id, Answer.client_uuid == client_uuid))
    if seen is not None:
        if seen.run_id != run.id:
            raise Refused(_l("This answer belongs to another check."), status=409)
        return seen
    if run.is_done:
        raise Refused(_l("This check is finished; answers can no longer change."), status=409)
    item = run.version.item(item_id)
    if item is None:
        raise Refused(_l("Unknown item."), "item_id", status=404)
    try:
        result = Result(result)
    except ValueError:
        raise Refused(_l("Choose Pass, Fail or N/A."), "result") from None
    note = (note or "").strip()[:500]
    if result is Result.FAIL and not note:
        raise Refused(_l("Say what is wrong."), "note")
    answer = db.session.scalar(sa.select(Answer).where(Answer.school_id == school.id, Answer.run_id == run.id,
                                                       Answer.item_id == item_id))
    if answer is None:
        answer = Answer(school_id=school.id, run_id=run.id, item_id=item_id)
        db.session.add(answer)
    answer.result = result
    answer.note = note if result is Result.FAIL else ""
    answer.client_uuid = client_uuid
    answer.answered_by_id = actor.id
    answer.answered_dt = now
    if photo is not None:
        answer.photo_id = photo.id
    if result is not Result.FAIL:
        answer.photo_id = None
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:  # the same tick arrived twice at once
        db.session.expire_all()
        same = db.session.scalar(sa.select(Answer).where(Answer.client_uuid == client_uuid))
        if same is not None:
            return same
        raise Refused(_l("Someone changed this answer at the same moment; try again."), status=409) from None
    _sync_action(actor, school, run, answer, item, now)
    return answer


def _clean_uuid(value: str | None) -> str:
    if not value:
        return str(uuid.uuid4())
    try:
        return str(uuid.UUID(str(value).strip()))
    except ValueError:
        raise Refused(_l("Bad answer id."), status=400) from None


def _sync_action(actor, school, run: Run, answer: Answer, item: dict, now) -> None:
    """A failed item owns one corrective action; a mis-tap corrected at once removes it."""
    action = db.session.scalar(sa.select(CorrectiveAction).where(CorrectiveAction.school_id == school.id,
                                                                 CorrectiveAction.answer_id == answer.id))
    lang = school.default_locale
    if answer.result is Result.FAIL:
        if action is None:
            wording = item.get("deficiency") or item["text"]
            open_action(actor, school, title=wording.get(lang) or wording["ru"],
                        severity=item["severity"], area=item.get("area") or run.version.content["area"],
                        zone_id=run.zone_id,
                        description=answer.note, source=ActionSource.FAILED_ITEM, asset_id=run.asset_id,
                        run=run, answer=answer, photo_id=answer.photo_id, now=now)
        else:
            action.description = answer.note
            if answer.photo_id:
                action.photo_id = answer.photo_id
    elif action is not None and action.status == ActionStatus.OPEN and not action.comments:
        db.session.delete(action)
        record(actor, school, "action.withdraw", run, detail=f"item={answer.item_id}")


def run_progress(run: Run) -> tuple[int, int]:
    return len(run.answers), len(run.version.items)


def missing_photos(run: Run) -> list[dict]:
    by_id = {a.item_id: a for a in run.answers}
    return [i for i in run.version.items
            if i["photo_on_fail"] and (a := by_id.get(i["id"])) is not None and a.result == Result.FAIL
            and a.photo_id is None]


def add_answer_photo(actor, school, run: Run, item_id: str, photo) -> Answer:
    if run.is_done:
        raise Refused(_l("This check is finished; answers can no longer change."), status=409)
    answer = db.session.scalar(sa.select(Answer).where(Answer.run_id == run.id, Answer.item_id == item_id))
    if answer is None or answer.result != Result.FAIL:
        raise Refused(_l("Unknown item."), "item_id", status=404)
    answer.photo_id = photo.id
    action = db.session.scalar(sa.select(CorrectiveAction).where(CorrectiveAction.answer_id == answer.id))
    if action is not None:
        action.photo_id = photo.id
    return answer


def finish_run(actor, school, run: Run, *, now: dt.datetime | None = None) -> Run:
    if run.is_done:
        raise Refused(_l("This check is already finished."), status=409)
    answered = {a.item_id for a in run.answers}
    left = [i for i in run.version.items if i["id"] not in answered]
    if left:
        raise Refused(_l("Answer every item first (%(n)s left).", n=len(left)), status=409)
    if missing_photos(run):
        raise Refused(_l("Add a photo for each failed item that needs one."), status=409)
    run.status = RunStatus.DONE
    run.finished_dt = now or now_utc()
    run.finished_by_id = actor.id
    record(actor, school, "run.finish", run)
    return run


# --------------------------------------------------------------------------- corrective actions


def responsible_people(school, area: str, day: dt.date) -> list[User]:
    from ..schools.services import responsible_for

    try:
        area = Area(area)
    except ValueError:
        return []
    return responsible_for(school, area, day)


def default_assignee(school, area: str, day: dt.date) -> User | None:
    people = responsible_people(school, area, day)
    return people[0] if people else None


def open_action(actor, school, *, title: str, severity: str, area: str, zone_id: int | None = None,
                description: str = "", source: str = "hazard", asset_id: int | None = None, run: Run | None = None,
                answer: Answer | None = None, photo_id: int | None = None, client_uuid: str | None = None,
                now: dt.datetime | None = None) -> CorrectiveAction:
    """Open a corrective action: assignee = the responsible person for the area, due date by
    severity; a critical one alerts the safety officer and the director (urgent SMS)."""
    now = now or now_utc()
    title = (title or "").strip()
    if not title:
        raise ServiceError(_l("Say what is wrong."), "title")
    try:
        severity = Severity(severity)
    except ValueError:
        raise ServiceError(_l("Choose how serious it is."), "severity") from None
    try:
        area = Area(area)
    except ValueError:
        raise ServiceError(_l("Choose an area."), "area") from None
    if zone_id and _zone(school, zone_id) is None:
        raise ServiceError(_l("Choose a zone of this school."), "zone_id")
    if client_uuid:
        client_uuid = _clean_uuid(client_uuid)
        seen = db.session.scalar(sa.select(CorrectiveAction).where(CorrectiveAction.school_id == school.id,
                                                                   CorrectiveAction.client_uuid == client_uuid))
        if seen is not None:
            if seen.school_id != school.id:
                raise ServiceError(_l("This report belongs to another school."))
            return seen
    today = now.astimezone(_tz(school)).date()
    assignee = default_assignee(school, area, today)
    action = CorrectiveAction(
        school_id=school.id, title=title[:200], description=(description or "").strip(), severity=severity,
        area=area, zone_id=zone_id or None, asset_id=asset_id, run_id=run.id if run else None,
        answer_id=answer.id if answer else None, source=ActionSource(source), status=ActionStatus.OPEN,
        assignee_id=assignee.id if assignee else None, created_by_id=getattr(actor, "id", None), created_dt=now,
        due_on=today + dt.timedelta(days=DUE_DAYS[severity]), photo_id=photo_id, client_uuid=client_uuid)
    db.session.add(action)
    db.session.flush()
    record(actor, school, "action.open", action, detail=f"severity={severity.value} source={source}")
    if severity is Severity.CRITICAL:
        alert_critical(school, action)
    return action


def alert_critical(school, action: CorrectiveAction) -> list:
    people = [u for role in ALERT_ROLES for u in _users_with_role(school, role)]
    zone = owned(Zone, action.zone_id, school) if action.zone_id else None
    place = alerts.short_place(zone.name if zone else action.title)
    return alerts.send(school, people, "insp.critical", f"action{action.id}", {"place": place}, urgent=True)


def can_verify(user, role, school, action: CorrectiveAction, day: dt.date) -> bool:
    if role in (Role.DIRECTOR, Role.ADMIN):
        return True
    from ..schools.services import responsible_for

    return any(u.id == user.id for u in responsible_for(school, action.area, day))


def can_work_on(user, role, action: CorrectiveAction) -> bool:
    return action.assignee_id == user.id or role in MANAGER_ROLES


#: status -> statuses it may move to.
TRANSITIONS = {
    ActionStatus.OPEN: {ActionStatus.IN_PROGRESS, ActionStatus.FIXED},
    ActionStatus.IN_PROGRESS: {ActionStatus.FIXED},
    ActionStatus.FIXED: {ActionStatus.VERIFIED, ActionStatus.IN_PROGRESS},
    ActionStatus.VERIFIED: set(),
}


def set_action_status(actor, role, school, action: CorrectiveAction, new_status: str, *, note: str = "",
                      photo=None, now: dt.datetime | None = None) -> CorrectiveAction:
    now = now or now_utc()
    try:
        new_status = ActionStatus(new_status)
    except ValueError:
        raise ServiceError(_l("Unknown status."), "status") from None
    if new_status not in TRANSITIONS[action.status]:
        raise ServiceError(_l("This step is not possible now."), "status")
    today = now.astimezone(_tz(school)).date()
    if new_status is ActionStatus.VERIFIED or (action.status == ActionStatus.FIXED
                                              and new_status is ActionStatus.IN_PROGRESS):
        if not can_verify(actor, role, school, action, today):
            raise ServiceError(_l("Only the responsible person or the director can verify."), "status")
    elif not can_work_on(actor, role, action):
        raise ServiceError(_l("Only the assignee or a manager can change this."), "status")
    note = (note or "").strip()[:1000]
    if new_status is ActionStatus.FIXED:
        if photo is None and not note:
            raise ServiceError(_l("Add a photo or a note that shows the fix."), "note")
        action.fixed_dt = now
        if photo is not None:
            action.fixed_photo_id = photo.id
    if new_status is ActionStatus.VERIFIED:
        action.verified_dt, action.verified_by_id = now, actor.id
    if new_status is ActionStatus.IN_PROGRESS and action.status == ActionStatus.FIXED:
        action.fixed_dt = None
    action.status = new_status
    db.session.add(ActionComment(school_id=school.id, action_id=action.id, user_id=actor.id, text=note,
                                 new_status=new_status.value, created_dt=now))
    record(actor, school, f"action.{new_status.value}", action)
    return action


def comment(actor, school, action: CorrectiveAction, text: str) -> ActionComment:
    text = (text or "").strip()
    if not text:
        raise ServiceError(_l("Write a comment."), "text")
    c = ActionComment(school_id=school.id, action_id=action.id, user_id=actor.id, text=text[:1000])
    db.session.add(c)
    record(actor, school, "action.comment", action)
    return c


def reassign(actor, school, action: CorrectiveAction, user_id: int | None) -> None:
    if user_id:
        member = db.session.scalar(sa.select(Membership.id).where(Membership.school_id == school.id,
                                                                  Membership.user_id == user_id))
        if member is None:
            raise ServiceError(_l("Choose a person who works at this school."), "assignee_id")
    action.assignee_id = user_id or None
    record(actor, school, "action.assign", action, detail=f"to={user_id}")


def open_actions_query(school, *, zone_id=None, area=None, assignee_id=None):
    q = sa.select(CorrectiveAction).where(CorrectiveAction.school_id == school.id,
                                          CorrectiveAction.status.in_(OPEN_STATUSES))
    if zone_id:
        q = q.where(CorrectiveAction.zone_id == zone_id)
    if area:
        q = q.where(CorrectiveAction.area == area)
    if assignee_id:
        q = q.where(CorrectiveAction.assignee_id == assignee_id)
    return q


@cross_school("ids of actions already read through a scoped query")
def _deficiency_texts(action_ids) -> dict[int, dict | None]:
    """The deficiency wording (four languages) of each failed-item action, in three queries: the
    item of the run's checklist version, else of the current version of that checklist."""
    if not action_ids:
        return {}
    rows = db.session.execute(
        sa.select(CorrectiveAction.id, Run.version_id, Answer.item_id)
        .join(Answer, Answer.id == CorrectiveAction.answer_id).join(Run, Run.id == Answer.run_id)
        .where(CorrectiveAction.id.in_(sorted(action_ids)))).all()
    found: dict[int, dict | None] = dict.fromkeys(action_ids)
    if not rows:
        return found
    versions = {v.id: v for v in db.session.scalars(
        sa.select(ChecklistVersion).where(ChecklistVersion.id.in_(sorted({r.version_id for r in rows}))))}
    current = None
    for action_id, version_id, item_id in rows:
        version = versions.get(version_id)
        item = version.item(item_id) if version is not None else None
        if (item is None or not item.get("deficiency")) and version is not None:
            if current is None:
                current = current_versions()
            latest = current.get(version.template_key)
            item = latest.item(item_id) if latest is not None else None
        found[action_id] = (item or {}).get("deficiency") or None
    return found


def action_title(action: CorrectiveAction, lang: str) -> str:
    """The action's title in `lang`: a failed item's deficiency wording in the reader's language; a
    hazard report's own words.  On the first call of a request, the wordings of every action the
    session holds are read at once (a list page costs three queries, not three per row)."""
    if action.answer_id is None:
        return action.title
    memo = unit_memo()
    cache: dict = memo.setdefault("inspections.deficiency", {}) if memo is not None else {}
    if action.id not in cache:
        held = {o.id for o in list(db.session.identity_map.values())
                if isinstance(o, CorrectiveAction) and o.answer_id is not None and o.id not in cache}
        cache.update(_deficiency_texts(held | {action.id}))
    texts = cache.get(action.id)
    return pick_text(texts, lang) if texts else action.title


def sorted_actions(actions) -> list[CorrectiveAction]:
    """Most severe first, then oldest first."""
    return sorted(actions, key=lambda a: (SEVERITY_RANK[a.severity], a.created_dt, a.id))


@dataclass
class OverdueView:
    checks: list[Due]
    actions: list[CorrectiveAction]
    overdue_action_ids: set[int]


def overdue_view(school, *, now: dt.datetime | None = None, zone_id=None, area=None, assignee_id=None,
                 role=None) -> OverdueView:
    now = _request_now(now)
    today = now.astimezone(_tz(school)).date()
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
    today = now.astimezone(_tz(school)).date()
    checks = overdue_checks(school, now)
    row = db.session.execute(
        sa.select(sa.func.count(),
                  sa.func.count().filter(CorrectiveAction.severity == Severity.CRITICAL),
                  sa.func.count().filter(CorrectiveAction.due_on < today))
        .where(CorrectiveAction.school_id == school.id, CorrectiveAction.status.in_(OPEN_STATUSES))).one()
    return {"overdue_checks": sum(1 for d in checks if d.status == Status.OVERDUE),
            "missed_checks": sum(1 for d in checks if d.status == Status.MISSED),
            "open_actions": row[0], "critical_actions": row[1], "overdue_actions": row[2]}
