"""The civil-defence staff: the school's civil-defence appointments in force and each one's function and
duties.  The actor and the school are arguments."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ..audit.services import record
from ..auth.models import User
from ..extensions import db
from ..schools.models import Appointment, Area, School
from .models import CdFunction, CdMember


def cd_members(school: School, day: dt.date) -> list[tuple[Appointment, CdMember | None]]:
    """Civil-defence appointments in force, with their function in the staff (None if not set)."""
    rows = db.session.execute(
        sa.select(Appointment, CdMember).outerjoin(CdMember, CdMember.appointment_id == Appointment.id).where(
            Appointment.school_id == school.id, Appointment.area == Area.CIVIL_DEFENCE,
            Appointment.starts_on <= day, sa.or_(Appointment.ends_on.is_(None), Appointment.ends_on >= day))
    ).all()
    order = {f: i for i, f in enumerate(CdFunction)}
    return sorted(((a, m) for a, m in rows), key=lambda am: (order.get(am[1].function, 99) if am[1] else 99,
                                                             am[0].user.full_name))


def save_cd_member(actor: User | None, school: School, member: CdMember | None, *, user_id: int, function, duties: str,
                   order_number: str, order_date: dt.date, starts_on: dt.date,
                   ends_on: dt.date | None = None) -> CdMember:
    from ..schools.services import save_appointment

    appt = member.appointment if member else None
    appt = save_appointment(actor, school, appt, user_id=user_id, area=Area.CIVIL_DEFENCE,
                            order_number=order_number.strip(), order_date=order_date, starts_on=starts_on,
                            ends_on=ends_on)
    creating = member is None
    if creating:
        member = db.session.scalar(sa.select(CdMember).where(CdMember.school_id == school.id,
                                                            CdMember.appointment_id == appt.id))
        if member is None:
            member = CdMember(school_id=school.id, appointment_id=appt.id)
            db.session.add(member)
    member.function, member.duties = CdFunction(function), (duties or "").strip()[:300]
    db.session.flush()
    record(actor, school, "civil_defence.create" if creating else "civil_defence.update", member)
    return member
