"""Reunification's class lists (issue 15): the children on each class's list and their guardians, kept under
written consent (a guardian without the consent's date and paper is not kept).  A child's own record is saved by
`reunion.save_student`, which keys the name as the gate does.  The actor and the school are arguments."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ..audit.services import record
from ..auth.models import User
from ..config import LANGUAGES
from ..errors_service import ServiceError
from ..extensions import db
from ..phones import normalize_phone
from ..schools.models import School
from .models import Guardian, SchoolClass, Student


def students_of(klass: SchoolClass, active_only: bool = True) -> list[Student]:
    q = (
        sa.select(Student)
        .options(selectinload(Student.guardians))
        .where(Student.school_id == klass.school_id, Student.class_id == klass.id, Student.anonymised_dt.is_(None))
    )
    if active_only:
        q = q.where(Student.is_active.is_(True))
    return list(db.session.scalars(q.order_by(Student.is_active.desc(), Student.full_name)))


def list_counts(school: School) -> dict[int, int]:
    """{class id: active students on its list}."""
    return dict(
        db.session.execute(
            sa.select(Student.class_id, sa.func.count())
            .where(Student.school_id == school.id, Student.is_active.is_(True))
            .group_by(Student.class_id)
        ).all()
    )


def clean_name(value: str, field: str) -> str:
    name = " ".join((value or "").split())
    if not name:
        raise ServiceError(_l("Type the name."), field)
    if len(name) > 200:
        raise ServiceError(_l("The name is too long."), field)
    return name


def clean_guardian(
    school: School,
    *,
    full_name: str,
    relation: str,
    phone: str,
    locale: str,
    consent_on: dt.date | None,
    consent_ref: str,
    today: dt.date,
) -> dict:
    """The guardian's fields, checked (ServiceError names the field)."""
    values: dict[str, object] = {
        "full_name": clean_name(full_name, "full_name"),
        "relation": " ".join((relation or "").split())[:60],
    }
    e164 = normalize_phone((phone or "").strip(), school.country) if (phone or "").strip() else None
    if not e164:
        raise ServiceError(_l("This is not a valid phone number. Example: 0555 123 456 or +996 555 123 456."), "phone")
    values["phone"] = e164
    values["locale"] = locale if locale in LANGUAGES else school.default_locale
    if consent_on is None or not (consent_ref or "").strip():
        raise ServiceError(
            _l("Without the guardian's written consent (date and paper) the guardian is not kept."),
            "consent_ref" if consent_on else "consent_on",
        )
    if consent_on > today:
        raise ServiceError(_l("The consent's date is in the future."), "consent_on")
    values["consent_on"], values["consent_ref"] = consent_on, consent_ref.strip()[:120]
    return values


def save_guardian(
    actor: User | None,
    school: School,
    student: Student,
    guardian: Guardian | None,
    *,
    full_name: str,
    relation: str,
    phone: str,
    locale: str,
    consent_on: dt.date | None,
    consent_ref: str,
    today: dt.date,
) -> Guardian:
    if student.school_id != school.id:
        raise ServiceError(_l("This student belongs to another school."))
    values = clean_guardian(
        school,
        full_name=full_name,
        relation=relation,
        phone=phone,
        locale=locale,
        consent_on=consent_on,
        consent_ref=consent_ref,
        today=today,
    )
    clash = db.session.scalar(
        sa.select(Guardian.id).where(
            Guardian.school_id == school.id,
            Guardian.student_id == student.id,
            Guardian.phone == values["phone"],
            Guardian.id != (guardian.id if guardian else -1),
        )
    )
    if clash is not None:
        raise ServiceError(_l("This child already has a guardian with this phone."), "phone")
    creating = guardian is None
    if creating:
        guardian = Guardian(school_id=school.id, student_id=student.id)
        db.session.add(guardian)
    for key, value in values.items():
        setattr(guardian, key, value)
    db.session.flush()
    record(
        actor, school, "guardian.create" if creating else "guardian.update", guardian, detail=f"student={student.id}"
    )
    return guardian


def delete_guardian(actor: User | None, school: School, guardian: Guardian) -> None:
    """Consent withdrawn, or the guardian no longer takes the child: the row goes (hand-overs keep the name)."""
    record(actor, school, "guardian.delete", guardian, detail=f"student={guardian.student_id}")
    db.session.delete(guardian)
    db.session.flush()
