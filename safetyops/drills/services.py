"""Drills: who may run them, the live drill and the alarm button, roll-call and the live board, after-action.
The actor and the school are arguments.  The rest of the area's services are siblings: `planning` (classes,
assembly points, targets, the plan), `contacts` (emergency numbers), `training`, `civil_defence`, `staff`, and
reunification in `reunion`."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from ..audit.services import record
from ..auth.models import User
from ..auth.roles import Role
from ..errors_service import ServiceError
from ..extensions import db
from ..gate.models import ENTRY_KIND_LABELS
from ..gate.services import on_site_now
from ..inspections.services import open_action
from ..notifications import outbox
from ..rosters.services import on_duty
from ..schools.models import Area, School, Zone
from ..time import now_utc, school_today
from .models import (
    ALARM_KINDS,
    ClassReport,
    Drill,
    DrillAlarm,
    DrillFinding,
    DrillKind,
    PlannedDrill,
    SchoolClass,
    evacuation_time,
)
from .planning import targets
from .staff import staff_of
from .training import training_reminders  # noqa: F401 - re-exported: jobs.training_expiry calls it here

#: Roles that see the live board and may report for any class.
BOARD_ROLES = frozenset({Role.DIRECTOR, Role.ADMIN, Role.DEPUTY, Role.SAFETY_OFFICER})
#: Roles that may start a drill and give the all clear (besides today's duty administrator).
RUN_ROLES = frozenset({Role.DIRECTOR, Role.ADMIN, Role.DEPUTY})
#: The rosters' post kind of the duty administrator.
DUTY_ADMIN_POST = "duty_admin"


# --- SMS texts -------------------------------------------------------------------


SMS_TEXTS = {
    "drills.start": _l("Drill: evacuate now and report your class in SafetyOps."),
    "drills.start_shelter": _l("Drill: lock the doors, stay in the room, report your class."),
    "drills.emergency": _l("NOT A DRILL! Evacuate now and report your class."),
    "drills.training": _l("Safety training certificate %(number)s expires %(date)s."),
    # The alarm button: one SMS segment in every language with the longest zone name (ALARM_ZONE_CHARS).
    "drills.alarm.fire": _l("ALARM, not a drill: FIRE. %(zone)s. Evacuate."),
    "drills.alarm.earthquake": _l("ALARM, not a drill: EARTHQUAKE. %(zone)s."),
    "drills.alarm.lockdown": _l("ALARM: LOCKDOWN. Lock doors, stay in. %(zone)s"),
    "drills.alarm.medical": _l("ALARM: MEDICAL help needed. %(zone)s"),
    "drills.alarm.other": _l("ALARM, not a drill. %(zone)s. Open SafetyOps."),
    "drills.alarm.cancelled": _l("All clear: it was a false alarm."),
}
#: Longest zone name in an alarm SMS (longer names are cut; the app shows the whole name).
ALARM_ZONE_CHARS = 20
#: How long the person who raised an alarm may still call it off as a false alarm (the director: any time).
CANCEL_MINUTES = 10
_SAMPLES = {f"drills.alarm.{k}": {"zone": "Ж" * ALARM_ZONE_CHARS}
            for k in ("fire", "earthquake", "lockdown", "medical", "other")}


def register_texts() -> None:
    """Give the outbox this area's texts (idempotent)."""
    for kind, text in SMS_TEXTS.items():
        outbox.register_text(kind, text, _SAMPLES.get(kind))


def is_duty_admin(user, school: School, day: dt.date) -> bool:
    """Is `user` on the rosters' duty-administrator post today?"""
    try:
        people = on_duty(school, day, post_kind=DUTY_ADMIN_POST)
    except Exception:  # noqa: BLE001 - a broken roster must not stop an evacuation
        return False
    return any(p.id == user.id for p in people)


def may_see_board(user, school: School, role, day: dt.date) -> bool:
    return role in BOARD_ROLES or is_duty_admin(user, school, day)


def may_run(user, school: School, role, day: dt.date) -> bool:
    return role in RUN_ROLES or is_duty_admin(user, school, day)


# --- live drills ----------------------------------------------------------------------


def live_drill(school: School) -> Drill | None:
    return db.session.scalar(sa.select(Drill).where(Drill.school_id == school.id, Drill.ended_dt.is_(None)))


def start_drill(actor: User | None, school: School, *, kind, is_real: bool = False, is_announced: bool = True,
                plan_id: int | None = None, send_sms: bool = False, now: dt.datetime | None = None) -> Drill:
    """Start the clock.  A real emergency always sends an urgent SMS to every member of staff."""
    now = now or now_utc()
    running = live_drill(school)
    if running is not None:
        raise ServiceError(_l("A drill is already running at this school. Give the all clear first."))
    plan = None
    if plan_id:
        plan = db.session.scalar(sa.select(PlannedDrill).where(PlannedDrill.school_id == school.id,
                                                              PlannedDrill.id == plan_id))
        if plan is None:
            raise ServiceError(_l("Choose a drill of this school's plan."), "plan_id")
        if db.session.scalar(sa.select(Drill.id).where(Drill.school_id == school.id,
                                                       Drill.plan_id == plan.id)) is not None:
            raise ServiceError(_l("This planned drill has already been held."), "plan_id")
        kind = plan.kind
    kind = DrillKind(kind)
    drill = Drill(school_id=school.id, kind=kind, is_real=is_real, is_announced=is_announced and not is_real,
                  plan_id=None if is_real else (plan.id if plan else None), target_seconds=targets(school)[kind],
                  started_dt=now, started_by_id=getattr(actor, "id", None))
    try:
        with db.session.begin_nested():
            db.session.add(drill)
            db.session.flush()
    except IntegrityError:  # another phone started one at the same moment
        raise ServiceError(_l("A drill is already running at this school. Give the all clear first.")) from None
    if is_real or send_sms:
        drill.sms_queued = _send_start_sms(school, drill)
    record(actor, school, "emergency.start" if is_real else "drill.start", drill,
           detail=f"kind={kind.value},sms={drill.sms_queued}")
    return drill


def _send_start_sms(school: School, drill: Drill) -> int:
    if drill.is_real:
        kind = f"drills.alarm.{drill.kind.value}" if f"drills.alarm.{drill.kind.value}" in SMS_TEXTS \
            else "drills.emergency"
        zone = drill.zone.name if drill.zone is not None else ""
        params = {"zone": zone[:ALARM_ZONE_CHARS] or "-"} if kind != "drills.emergency" else {}
    else:
        kind, params = ("drills.start_shelter" if drill.is_shelter else "drills.start"), {}
    rows = outbox.notify(school, staff_of(school), kind, str(drill.id), params, urgent=drill.is_real)
    return len(rows or [])


# --- the alarm button -----------------------------------------------------------------------


def raise_alarm(actor: User | None, school: School, *, kind, zone_id: int | None = None, note: str = "",
                now: dt.datetime | None = None) -> tuple[Drill, bool]:
    """Anyone's alarm: start a real emergency, or join the live one (no second emergency, no second SMS).

    A drill in progress when a real alarm comes is stopped (its all clear is the alarm's time) and the
    real emergency starts: nobody must take the alarm for part of the exercise.  Returns (drill, joined)."""
    now = now or now_utc()
    kind = DrillKind(kind)
    if kind not in ALARM_KINDS:
        raise ServiceError(_l("Choose what is happening."), "kind")
    if zone_id is not None and db.session.scalar(sa.select(Zone.id).where(
            Zone.school_id == school.id, Zone.id == zone_id)) is None:
        raise ServiceError(_l("Choose a zone of this school."), "zone_id")
    note = (note or "").strip()[:200]
    live = live_drill(school)
    if live is not None and not live.is_real:
        live.ended_dt = max(now, live.started_dt)
        live.ended_by_id = getattr(actor, "id", None)
        db.session.flush()
        record(actor, school, "drill.stopped_by_alarm", live)
        live = None
    joined = live is not None
    if joined:
        drill = live
    else:
        drill = Drill(school_id=school.id, kind=kind, is_real=True, is_announced=False,
                      target_seconds=targets(school)[kind], started_dt=now, started_by_id=getattr(actor, "id", None),
                      zone_id=zone_id, alarm_note=note)
        try:
            with db.session.begin_nested():
                db.session.add(drill)
                db.session.flush()
        except IntegrityError:  # two people pressed at the same moment: join the one that won
            drill, joined = live_drill(school), True
    alarm = DrillAlarm(school_id=school.id, drill_id=drill.id, raised_by_id=getattr(actor, "id", None), kind=kind,
                       zone_id=zone_id, note=note, raised_dt=now, is_join=joined)
    db.session.add(alarm)
    db.session.flush()
    if not joined:
        drill.sms_queued = _send_start_sms(school, drill)
    record(actor, school, "emergency.join" if joined else "emergency.raise", drill,
           detail=f"kind={kind.value},zone={zone_id or ''},sms={0 if joined else drill.sms_queued}")
    return drill, joined


def may_cancel(user, role, drill: Drill, now: dt.datetime | None = None) -> bool:
    """The director at any time while live; the person who raised it within CANCEL_MINUTES."""
    now = now or now_utc()
    if not drill.is_real or not drill.is_live or user is None:
        return False
    if role == Role.DIRECTOR:
        return True
    return drill.started_by_id == user.id and now - drill.started_dt <= dt.timedelta(minutes=CANCEL_MINUTES)


def cancel_alarm(actor: User | None, school: School, drill: Drill, role, *, reason: str,
                 now: dt.datetime | None = None) -> Drill:
    """A false alarm: stop it, say why, and tell the staff who got the alarm SMS."""
    now = now or now_utc()
    reason = (reason or "").strip()[:300]
    if drill.school_id != school.id:
        raise ServiceError(_l("This drill or class belongs to another school."))
    if not reason:
        raise ServiceError(_l("Say why it was a false alarm."), "reason")
    if not may_cancel(actor, role, drill, now):
        raise ServiceError(_l("Only the director, or the person who raised the alarm within %(n)s minutes, "
                              "can call it off.", n=CANCEL_MINUTES))
    drill.ended_dt = drill.cancelled_dt = max(now, drill.started_dt)
    drill.ended_by_id = drill.cancelled_by_id = getattr(actor, "id", None)
    drill.cancel_reason = reason
    db.session.flush()
    if drill.sms_queued:
        outbox.notify(school, staff_of(school), "drills.alarm.cancelled", str(drill.id), {}, urgent=True)
    record(actor, school, "emergency.cancel", drill, detail=f"reason={reason}")
    return drill


def live_emergency(school: School) -> Drill | None:
    """The live real emergency of the school (what every page's banner shows), or None."""
    return db.session.scalar(sa.select(Drill).where(Drill.school_id == school.id, Drill.ended_dt.is_(None),
                                                    Drill.is_real.is_(True)))


def _check_counts(on_register: int, present: int, evacuated: int, injured: int, missing_names: str) -> None:
    for name, value in (("on_register", on_register), ("present", present), ("evacuated", evacuated),
                        ("injured", injured)):
        if value is None or value < 0:
            raise ServiceError(_l("Enter a number, 0 or more."), name)
    if on_register > 60:
        raise ServiceError(_l("A class has at most 60 students."), "on_register")
    if present > on_register:
        raise ServiceError(_l("Present cannot be more than on the register."), "present")
    if evacuated > present:
        raise ServiceError(_l("Evacuated cannot be more than present."), "evacuated")
    if injured > present:
        raise ServiceError(_l("Injured cannot be more than present."), "injured")
    if evacuated < present and not missing_names.strip():
        raise ServiceError(_l("%(n)s missing: type their names.", n=present - evacuated), "missing_names")


def report_class(actor: User | None, school: School, drill: Drill, klass: SchoolClass, *, on_register: int,
                 present: int, evacuated: int, injured: int = 0, missing_names: str = "",
                 now: dt.datetime | None = None) -> tuple[ClassReport, bool]:
    """The roll-call of one class.  A second report updates the first (its time stays the first one's)."""
    now = now or now_utc()
    if drill.school_id != school.id or klass.school_id != school.id:
        raise ServiceError(_l("This drill or class belongs to another school."))
    if not drill.is_live:
        raise ServiceError(_l("This drill has ended; reports are closed."))
    missing_names = (missing_names or "").strip()[:500]
    _check_counts(on_register, present, evacuated, injured, missing_names)
    if evacuated == present:
        missing_names = ""

    def existing():
        return db.session.scalar(sa.select(ClassReport).where(
            ClassReport.school_id == drill.school_id, ClassReport.drill_id == drill.id,
            ClassReport.class_id == klass.id))

    report = existing()
    created = report is None
    if created:
        report = ClassReport(school_id=school.id, drill_id=drill.id, class_id=klass.id, first_dt=now)
        try:
            with db.session.begin_nested():
                _fill(report, actor, on_register, present, evacuated, injured, missing_names, now)
                db.session.add(report)
                db.session.flush()
        except IntegrityError:  # the same class reported from two phones at once
            created = False
            report = existing()
    if not created:
        _fill(report, actor, on_register, present, evacuated, injured, missing_names, now)
        db.session.flush()
    record(actor, school, "drill.report" if created else "drill.report_update", report,
           detail=f"class={klass.name},present={present},evacuated={evacuated},injured={injured}")
    return report, created


def _fill(report, actor: User | None, on_register, present, evacuated, injured, missing_names, now) -> None:
    report.reporter_id = getattr(actor, "id", None)
    report.on_register, report.present, report.evacuated = on_register, present, evacuated
    report.injured, report.missing_names, report.updated_dt = injured, missing_names, now


class NeedsConfirmation(ServiceError):
    """All clear before any report: the person must confirm."""


def all_clear(actor: User | None, school: School, drill: Drill, *, confirmed: bool = False,
              now: dt.datetime | None = None) -> Drill:
    now = now or now_utc()
    if not drill.is_live:
        raise ServiceError(_l("The all clear was already given."))
    if not reports_of(drill) and not confirmed:
        raise NeedsConfirmation(_l("No class has reported yet. Give the all clear anyway?"))
    drill.ended_dt = max(now, drill.started_dt)
    drill.ended_by_id = getattr(actor, "id", None)
    db.session.flush()
    record(actor, school, "drill.all_clear", drill)
    return drill


def reports_of(drill: Drill) -> list[ClassReport]:
    return list(db.session.scalars(sa.select(ClassReport).where(ClassReport.school_id == drill.school_id,
                                                                ClassReport.drill_id == drill.id)
                                   .order_by(ClassReport.first_dt, ClassReport.id)))


def expected_classes(drill: Drill) -> list[SchoolClass]:
    """Classes the drill waits for: active then, plus any that reported."""
    reported = set(db.session.scalars(sa.select(ClassReport.class_id).where(
        ClassReport.school_id == drill.school_id, ClassReport.drill_id == drill.id)))
    cutoff = drill.ended_dt or now_utc()
    rows = db.session.scalars(sa.select(SchoolClass).where(
        SchoolClass.school_id == drill.school_id,
        sa.or_(SchoolClass.id.in_(reported) if reported else sa.false(),
               sa.and_(SchoolClass.is_active.is_(True), SchoolClass.created_dt <= cutoff)))
        .order_by(SchoolClass.grade, SchoolClass.name))
    return list(rows)


def on_site(school: School) -> list | None:
    """Open gate entries (the gate area); None when the gate log cannot be read."""
    try:
        return list(on_site_now(school))
    except Exception:  # noqa: BLE001 - the board must work without the gate log
        return None


def board(drill: Drill, now: dt.datetime | None = None, *, with_on_site: bool = True) -> dict:
    """Everything the live board shows, as plain data."""
    now = now or now_utc()
    reports = {r.class_id: r for r in reports_of(drill)}
    expected = expected_classes(drill)
    not_reported = [c for c in expected if c.id not in reports]
    reported = sorted(reports.values(), key=lambda r: r.first_dt)
    totals = {key: sum(getattr(r, key) for r in reported)
              for key in ("on_register", "present", "evacuated", "injured", "missing")}
    running = int(((drill.ended_dt or now) - drill.started_dt).total_seconds())
    evacuation = evacuation_seconds(drill, reported)
    # The clock stops when the last class has reported, and after the all clear it shows the same
    # evacuation (or "all rooms secured") time as the after-action page and the PDF: one computation
    # (none, "—", when no class reported: not the time to the all clear).
    stopped = not drill.is_live or (evacuation is not None and not not_reported)
    people = on_site(drill.school) if with_on_site and drill.is_live else None
    by_kind: dict[str, int] = {}
    for entry in people or []:
        key = str(ENTRY_KIND_LABELS.get(entry.kind, entry.kind))
        by_kind[key] = by_kind.get(key, 0) + 1
    last = max((r.updated_dt for r in reported), default=drill.started_dt)
    version = f"{drill.id}.{len(reported)}.{last.timestamp()}"
    version += f".{drill.ended_dt.timestamp() if drill.ended_dt else 0}.{len(people or [])}"
    return {
        "drill": drill, "reported": reported, "not_reported": not_reported, "totals": totals,
        "expected": len(expected), "elapsed": evacuation if stopped else running,
        "clock_running": drill.is_live and not stopped, "duration": running, "target": drill.target_seconds,
        "attention": [r for r in reported if r.missing or r.injured],
        "on_site": people, "on_site_by_kind": by_kind, "version": version,
        "now": now,
    }


# --- after-action -----------------------------------------------------------------------


def evacuation_seconds(drill: Drill, reports: list[ClassReport]) -> int | None:
    """The drill's time: from the alarm to the last class's first report (evacuated, or all rooms secured):
    `models.evacuation_time`, the one computation behind the board's clock, the after-action page, the PDF,
    the charts and the safety report."""
    return evacuation_time(drill.started_dt, [r.first_dt for r in reports])


def summary(drill: Drill) -> dict:
    reports = reports_of(drill)
    expected = expected_classes(drill)
    times = [(r, int((r.first_dt - drill.started_dt).total_seconds())) for r in reports]
    evacuation = evacuation_seconds(drill, reports)
    late = [(r, s) for r, s in times if s > drill.target_seconds]
    unreported = [c for c in expected if c.id not in {r.class_id for r in reports}]
    totals = {key: sum(getattr(r, key) for r in reports)
              for key in ("on_register", "present", "evacuated", "injured", "missing")}
    duration = int((drill.ended_dt - drill.started_dt).total_seconds()) if drill.ended_dt else None
    return {"times": times, "evacuation": evacuation, "late": late, "unreported": unreported, "totals": totals,
            "duration": duration, "target": drill.target_seconds, "expected": len(expected),
            "on_time": evacuation is not None and evacuation <= drill.target_seconds and not unreported}


def save_review(actor: User | None, school: School, drill: Drill, *, observers_notes: str, participants: str) -> None:
    drill.observers_notes = (observers_notes or "").strip()[:5000]
    drill.participants = (participants or "").strip()[:2000]
    record(actor, school, "drill.review", drill)


SEVERITIES = ("critical", "major", "minor")


def add_finding(actor: User | None, school: School, drill: Drill, *, text: str, severity: str = "minor",
                raise_action: bool = True) -> DrillFinding:
    text = (text or "").strip()
    if not text:
        raise ServiceError(_l("Describe what was found."), "text")
    if severity not in SEVERITIES:
        raise ServiceError(_l("Choose a severity."), "severity")
    finding = DrillFinding(school_id=school.id, drill_id=drill.id, text=text[:500], severity=severity,
                           created_by_id=getattr(actor, "id", None))
    db.session.add(finding)
    db.session.flush()
    if raise_action:
        area = Area.CIVIL_DEFENCE if drill.kind in (DrillKind.EARTHQUAKE, DrillKind.CHEMICAL,
                                                    DrillKind.LOCKDOWN) else Area.FIRE_SAFETY
        action = open_action(actor, school, title=text[:200], severity=severity, area=area.value,
                             description=text, source="other")
        finding.action_id = action.id
    record(actor, school, "drill.finding", finding, detail=f"action={finding.action_id}")
    return finding


def past_drills(school: School, limit: int | None = None) -> list[Drill]:
    q = sa.select(Drill).where(Drill.school_id == school.id, Drill.ended_dt.is_not(None)).order_by(
        Drill.started_dt.desc())
    if limit:
        q = q.limit(limit)
    return list(db.session.scalars(q))


def drill_seconds(drill: Drill) -> int | None:
    """Evacuation time of a drill (`evacuation_seconds`), read with one query."""
    return drills_seconds([drill])[drill.id]


def drills_seconds(drills: list[Drill]) -> dict[int, int | None]:
    """`drill_seconds` of each of these drills, in one query: {drill id: seconds or None}."""
    if not drills:
        return {}
    last = dict(db.session.execute(
        sa.select(ClassReport.drill_id, sa.func.max(ClassReport.first_dt))
        .where(ClassReport.school_id.in_({d.school_id for d in drills}),
               ClassReport.drill_id.in_([d.id for d in drills])).group_by(ClassReport.drill_id)).all())
    return {d.id: evacuation_time(d.started_dt, [last.get(d.id)]) for d in drills}


def today_of(school: School) -> dt.date:
    return school_today(school)
