"""What a school sets up before any drill: its classes (with their homeroom teachers), assembly points, target
times per kind of drill, and the year's plan of drills.  The actor and the school are arguments."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..audit.services import record
from ..auth.models import User
from ..errors_service import ServiceError
from ..extensions import db
from ..schools.models import School
from .models import DEFAULT_TARGET_SECONDS, AssemblyPoint, Drill, DrillKind, DrillTarget, PlannedDrill, SchoolClass
from .staff import member_of

# --- classes, assembly points, targets ----------------------------------------------


def classes(school: School, active_only: bool = True) -> list[SchoolClass]:
    q = sa.select(SchoolClass).where(SchoolClass.school_id == school.id)
    if active_only:
        q = q.where(SchoolClass.is_active.is_(True))
    return list(db.session.scalars(q.order_by(SchoolClass.grade, SchoolClass.name)))


def my_classes(user, school: School) -> list[SchoolClass]:
    return list(db.session.scalars(
        sa.select(SchoolClass).where(SchoolClass.school_id == school.id, SchoolClass.homeroom_id == user.id,
                                     SchoolClass.is_active.is_(True)).order_by(SchoolClass.grade, SchoolClass.name)))


def save_class(actor: User | None, school: School, klass: SchoolClass | None, *, name: str, grade: int, students: int,
               homeroom_id: int | None, assembly_point_id: int | None, is_active: bool = True) -> SchoolClass:
    name = name.strip()
    clash = db.session.scalar(sa.select(SchoolClass.id).where(
        SchoolClass.school_id == school.id, SchoolClass.name == name, SchoolClass.id != (klass.id if klass else -1)))
    if clash is not None:
        raise ServiceError(_l("A class with this name already exists."), "name")
    if not member_of(school, homeroom_id):
        raise ServiceError(_l("Choose a person who works at this school."), "homeroom_id")
    if assembly_point_id is not None and db.session.scalar(sa.select(AssemblyPoint.id).where(
            AssemblyPoint.school_id == school.id, AssemblyPoint.id == assembly_point_id)) is None:
        raise ServiceError(_l("Choose an assembly point of this school."), "assembly_point_id")
    creating = klass is None
    if creating:
        klass = SchoolClass(school_id=school.id)
        db.session.add(klass)
    klass.name, klass.grade, klass.students = name, grade, students
    klass.homeroom_id, klass.assembly_point_id, klass.is_active = homeroom_id, assembly_point_id, is_active
    db.session.flush()
    record(actor, school, "class.create" if creating else "class.update", klass)
    return klass


def assembly_points(school: School, active_only: bool = False) -> list[AssemblyPoint]:
    q = sa.select(AssemblyPoint).where(AssemblyPoint.school_id == school.id)
    if active_only:
        q = q.where(AssemblyPoint.is_active.is_(True))
    return list(db.session.scalars(q.order_by(AssemblyPoint.is_active.desc(), AssemblyPoint.name)))


def save_point(actor: User | None, school: School, point: AssemblyPoint | None, *, name: str, description: str = "",
               is_active: bool = True) -> AssemblyPoint:
    name = name.strip()
    clash = db.session.scalar(sa.select(AssemblyPoint.id).where(
        AssemblyPoint.school_id == school.id, AssemblyPoint.name == name,
        AssemblyPoint.id != (point.id if point else -1)))
    if clash is not None:
        raise ServiceError(_l("An assembly point with this name already exists."), "name")
    creating = point is None
    if creating:
        point = AssemblyPoint(school_id=school.id)
        db.session.add(point)
    point.name, point.description, point.is_active = name, (description or "").strip(), is_active
    db.session.flush()
    record(actor, school, "assembly_point.create" if creating else "assembly_point.update", point)
    return point


def targets(school: School) -> dict[DrillKind, int]:
    found = {t.kind: t.seconds for t in db.session.scalars(sa.select(DrillTarget).where(
        DrillTarget.school_id == school.id))}
    return {k: found.get(k, DEFAULT_TARGET_SECONDS[k]) for k in DrillKind}


def set_targets(actor: User | None, school: School, seconds_by_kind: dict) -> None:
    rows = {t.kind: t for t in db.session.scalars(sa.select(DrillTarget).where(DrillTarget.school_id == school.id))}
    for kind, seconds in seconds_by_kind.items():
        kind = DrillKind(kind)
        if not seconds or seconds <= 0 or seconds > 3600:
            raise ServiceError(_l("A target time is between 1 second and 60 minutes."), f"target_{kind.value}")
        row = rows.get(kind) or DrillTarget(school_id=school.id, kind=kind)
        row.seconds = int(seconds)
        db.session.add(row)
    db.session.flush()
    record(actor, school, "drill_targets.update", detail=",".join(f"{k}={v}" for k, v in seconds_by_kind.items()))


# --- the plan ------------------------------------------------------------------------


def school_year_start(day: dt.date) -> dt.date:
    return dt.date(day.year if day.month >= 9 else day.year - 1, 9, 1)


def plan_for_year(school: School, start: dt.date) -> list[PlannedDrill]:
    end = dt.date(start.year + 1, 9, 1)
    return list(db.session.scalars(sa.select(PlannedDrill).where(
        PlannedDrill.school_id == school.id, PlannedDrill.target_date >= start, PlannedDrill.target_date < end)
        .order_by(PlannedDrill.target_date)))


def save_plan(actor: User | None, school: School, plan: PlannedDrill | None, *, kind, target_date: dt.date,
              is_announced: bool = True, note: str = "") -> PlannedDrill:
    creating = plan is None
    if creating:
        plan = PlannedDrill(school_id=school.id)
        db.session.add(plan)
    plan.kind, plan.target_date, plan.is_announced = DrillKind(kind), target_date, is_announced
    plan.note = (note or "").strip()
    db.session.flush()
    record(actor, school, "drill_plan.create" if creating else "drill_plan.update", plan)
    return plan


def due_plans(school: School, today: dt.date, within_days: int = 14) -> list[PlannedDrill]:
    """Plan lines not yet held whose date is past or within `within_days`."""
    return list(db.session.scalars(sa.select(PlannedDrill).outerjoin(Drill, Drill.plan_id == PlannedDrill.id).where(
        PlannedDrill.school_id == school.id, Drill.id.is_(None),
        PlannedDrill.target_date <= today + dt.timedelta(days=within_days),
        PlannedDrill.target_date >= school_year_start(today)).order_by(PlannedDrill.target_date)))
