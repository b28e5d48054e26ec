"""Ecological safety: records, the removal schedule and its late alert.

Removal is late when the school-local day is past the last removal plus the contract's
`every_days` (or the schedule's first day plus it, when nothing was removed yet)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..audit.services import record
from ..auth.models import User
from ..auth.roles import Role
from ..documents.models import DocKind, DocStatus, Document
from ..errors_service import ServiceError
from ..extensions import db
from ..inspections.models import Answer, ChecklistVersion, Result, Run, RunStatus
from ..notifications import outbox
from ..schools.models import Appointment, Area, Membership, School
from ..time import school_today
from ..uploads import clean_image, has_upload
from .models import (
    Act,
    CollectedKind,
    Collection,
    GreeningItem,
    GreeningKind,
    LabDisposal,
    Removal,
    RemovalSchedule,
    WasteKind,
)

LATE_KIND = "ecology.removal_late"
SMS_TEXTS = {LATE_KIND: _l("Waste not taken away: %(days)s days late. Call the contractor.")}
SMS_SAMPLES = {LATE_KIND: {"days": "14"}}


def register_texts() -> None:
    for kind, text in SMS_TEXTS.items():
        outbox.register_text(kind, text, sample=SMS_SAMPLES[kind])


# --- contracts and the schedule ------------------------------------------------------------------------


def waste_contracts(school: School) -> list[Document]:
    """The waste-removal contracts in the documents register (not archived)."""
    return list(db.session.scalars(sa.select(Document).where(
        Document.school_id == school.id, Document.kind == DocKind.CONTRACT_WASTE,
        Document.status != DocStatus.ARCHIVED).order_by(Document.id.desc())))


def _contract(school: School, contract_id: int | None) -> Document | None:
    if not contract_id:
        return None
    found = next((c for c in waste_contracts(school) if c.id == contract_id), None)
    if found is None:
        raise ServiceError(_l("Choose a waste-removal contract of the register."), "contract_id")
    return found


def schedule_of(school: School) -> RemovalSchedule | None:
    return db.session.scalar(sa.select(RemovalSchedule).where(RemovalSchedule.school_id == school.id))


def save_schedule(actor: User | None, school: School, *, contract_id: int | None, every_days: int,
                  starts_on: dt.date) -> RemovalSchedule:
    contract = _contract(school, contract_id)
    if not 1 <= every_days <= 92:
        raise ServiceError(_l("Between 1 and 92 days."), "every_days")
    sched = schedule_of(school) or RemovalSchedule(school_id=school.id, starts_on=starts_on)
    sched.contract_id = contract.id if contract else None
    sched.every_days = every_days
    sched.starts_on = starts_on
    db.session.add(sched)
    db.session.flush()
    record(actor, school, "ecology.schedule", sched)
    return sched


def last_removal_on(school: School) -> dt.date | None:
    return db.session.scalar(sa.select(sa.func.max(Removal.removed_on)).where(Removal.school_id == school.id))


def next_removal_due(school: School, sched: RemovalSchedule | None = None) -> dt.date | None:
    """The last day by which waste must be taken away; None without a schedule."""
    sched = sched or schedule_of(school)
    if sched is None:
        return None
    last = last_removal_on(school)
    return (last or sched.starts_on) + dt.timedelta(days=sched.every_days)


def days_late(school: School, today: dt.date | None = None) -> int:
    due = next_removal_due(school)
    today = today or school_today(school)
    return max((today - due).days, 0) if due else 0


# --- records -------------------------------------------------------------------------------------------


def _act(school: School, upload, field: str) -> int | None:
    if not has_upload(upload):
        return None
    clean = clean_image(upload, field=field)
    act = Act(school_id=school.id, data=clean.data)
    db.session.add(act)
    db.session.flush()
    return act.id


def _not_future(school: School, day: dt.date, field: str) -> None:
    if day > school_today(school):
        raise ServiceError(_l("This day has not come yet."), field)


def add_removal(actor: User | None, school: School, *, removed_on: dt.date, contract_id: int | None,
                contractor: str, volume_m3: Decimal, kind: str, note: str = "") -> Removal:
    _not_future(school, removed_on, "removed_on")
    contract = _contract(school, contract_id)
    contractor = (contractor or "").strip() or (contract.contractor if contract else "")
    if not contractor:
        raise ServiceError(_l("Name the contractor, or choose the contract."), "contractor")
    row = Removal(school_id=school.id, removed_on=removed_on, contract_id=contract.id if contract else None,
                  contractor=contractor[:200], volume_m3=volume_m3, kind=WasteKind(kind), note=(note or "")[:200],
                  recorded_by_id=getattr(actor, "id", None))
    db.session.add(row)
    db.session.flush()
    record(actor, school, "ecology.removal", row)
    return row


def add_collection(actor: User | None, school: School, *, handed_on: dt.date, kind: str, quantity_kg: Decimal,
                   receiver: str, act_number: str = "", act=None) -> Collection:
    _not_future(school, handed_on, "handed_on")
    row = Collection(school_id=school.id, handed_on=handed_on, kind=CollectedKind(kind), quantity_kg=quantity_kg,
                     receiver=(receiver or "").strip()[:200], act_number=(act_number or "").strip()[:40],
                     act_id=_act(school, act, "act"), recorded_by_id=getattr(actor, "id", None))
    db.session.add(row)
    db.session.flush()
    record(actor, school, "ecology.collection", row)
    return row


def staff(school: School) -> list[User]:
    return list(db.session.scalars(sa.select(User).join(Membership, Membership.user_id == User.id)
                                   .where(Membership.school_id == school.id).order_by(User.full_name)))


def add_lab_disposal(actor: User | None, school: School, *, disposed_on: dt.date, substances: str, quantity: str,
                     method: str, act_number: str, responsible_id: int | None, act=None) -> LabDisposal:
    _not_future(school, disposed_on, "disposed_on")
    if responsible_id is not None and responsible_id not in {u.id for u in staff(school)}:
        raise ServiceError(_l("Choose a member of staff of this school."), "responsible_id")
    if not (act_number or "").strip() and not has_upload(act):
        raise ServiceError(_l("Give the act's number or attach a photo of it."), "act_number")
    row = LabDisposal(school_id=school.id, disposed_on=disposed_on, substances=substances.strip()[:300],
                      quantity=quantity.strip()[:60], method=(method or "").strip()[:200],
                      act_number=(act_number or "").strip()[:40], act_id=_act(school, act, "act"),
                      responsible_id=responsible_id, recorded_by_id=getattr(actor, "id", None))
    db.session.add(row)
    db.session.flush()
    record(actor, school, "ecology.lab_disposal", row)
    return row


def add_greening(actor: User | None, school: School, *, kind: str, title: str, place: str,
                 planned_on: dt.date) -> GreeningItem:
    row = GreeningItem(school_id=school.id, kind=GreeningKind(kind), title=title.strip()[:200],
                       place=(place or "").strip()[:120], planned_on=planned_on)
    db.session.add(row)
    db.session.flush()
    record(actor, school, "ecology.greening", row)
    return row


def set_greening_done(actor: User | None, school: School, item: GreeningItem, done: bool) -> None:
    item.done_on = school_today(school) if done else None
    record(actor, school, "ecology.greening_done" if done else "ecology.greening_undone", item)


# --- the late alert ------------------------------------------------------------------------------------


def recipients(school: School, day: dt.date) -> list[User]:
    """The director and the person appointed for ecological safety."""
    users = list(db.session.scalars(sa.select(User).join(Membership, Membership.user_id == User.id).where(
        Membership.school_id == school.id, Membership.role == Role.DIRECTOR)))
    users += list(db.session.scalars(sa.select(User).join(Appointment, Appointment.user_id == User.id).where(
        Appointment.school_id == school.id, Appointment.area == Area.ECOLOGY, Appointment.starts_on <= day,
        sa.or_(Appointment.ends_on.is_(None), Appointment.ends_on >= day))))
    return users


def alert_late_removal(school: School, now: dt.datetime) -> int:
    """One SMS per overdue due date (the outbox key makes a second run queue nothing)."""
    today = school_today(school)
    due = next_removal_due(school)
    if due is None or today <= due:
        return 0
    return len(outbox.notify(school, recipients(school, today), LATE_KIND, f"{school.id}:{due.isoformat()}",
                             {"days": str((today - due).days)}))


# --- the territory checks the greening plan goes with -----------------------------------------------

#: The inspections checklist of the grounds (the guard's morning round): its last runs are shown beside the
#: greening plan, so the plan and the state of the territory are read together.
TERRITORY_CHECKLIST = "territory_daily_guard"


def territory_checks(school: School, limit: int = 5) -> list[tuple[int, dt.datetime, int]]:
    """The last finished territory checks: (run id, finished, items failed), newest first (two queries)."""
    runs = db.session.execute(
        sa.select(Run.id, Run.finished_dt).join(ChecklistVersion, ChecklistVersion.id == Run.version_id)
        .where(Run.school_id == school.id, Run.status == RunStatus.DONE, Run.finished_dt.is_not(None),
               ChecklistVersion.template_key == TERRITORY_CHECKLIST)
        .order_by(Run.finished_dt.desc(), Run.id.desc()).limit(limit)).all()
    if not runs:
        return []
    failed = dict(db.session.execute(
        sa.select(Answer.run_id, sa.func.count())
        .where(Answer.school_id == school.id, Answer.run_id.in_([r.id for r in runs]), Answer.result == Result.FAIL)
        .group_by(Answer.run_id)).all())
    return [(r.id, r.finished_dt, failed.get(r.id, 0)) for r in runs]
