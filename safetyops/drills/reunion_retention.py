"""Reunification's retention sweep (issue 15): who took which child is wiped HANDOVER_RETENTION_DAYS after the
hand-over, and a child off the list (or in a retired class) loses name and guardians after LIST_RETENTION_DAYS."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ..audit.services import record
from ..extensions import db
from ..schools.models import School
from .models import Guardian, Handover, SchoolClass, Student

#: Who took which child is wiped this many days after the hand-over (the gate log's default).
HANDOVER_RETENTION_DAYS = 90
#: A child taken off the list (or whose class was retired) loses name and guardians after this many days.
LIST_RETENTION_DAYS = 30
ANONYMISED = "—"


def purge_expired(school: School, now: dt.datetime) -> int:
    """Wipe who took which child HANDOVER_RETENTION_DAYS after the hand-over, and the names and guardians of
    children off the list (or in a retired class) for LIST_RETENTION_DAYS.  Idempotent.  Returns rows changed."""
    cutoff = now - dt.timedelta(days=HANDOVER_RETENTION_DAYS)
    old = list(
        db.session.scalars(
            sa.select(Handover.id).where(
                Handover.school_id == school.id, Handover.handed_dt < cutoff, Handover.anonymised_dt.is_(None)
            )
        )
    )
    if old:
        db.session.execute(
            sa.update(Handover)
            .where(Handover.id.in_(old))
            .values(taken_by_name=ANONYMISED, relation="", doc_last4=None, guardian_id=None, anonymised_dt=now)
        )
    list_cutoff = now - dt.timedelta(days=LIST_RETENTION_DAYS)
    # a retired class's children leave the list from the sweep that sees it first
    retired = sa.select(SchoolClass.id).where(SchoolClass.school_id == school.id, SchoolClass.is_active.is_(False))
    db.session.execute(
        sa.update(Student)
        .where(Student.school_id == school.id, Student.is_active.is_(True), Student.class_id.in_(retired))
        .values(is_active=False, left_dt=now)
    )
    gone = list(
        db.session.scalars(
            sa.select(Student.id).where(
                Student.school_id == school.id,
                Student.is_active.is_(False),
                Student.left_dt < list_cutoff,
                Student.anonymised_dt.is_(None),
            )
        )
    )
    if gone:
        db.session.execute(sa.delete(Guardian).where(Guardian.student_id.in_(gone)))
        db.session.execute(
            sa.update(Student)
            .where(Student.id.in_(gone))
            .values(
                full_name=sa.literal(ANONYMISED + " ") + sa.cast(Student.id, sa.String), name_key="", anonymised_dt=now
            )
        )
    if old or gone:
        record(None, school, "reunion.retention", detail=f"handovers={len(old)},students={len(gone)}")
    return len(old) + len(gone)
