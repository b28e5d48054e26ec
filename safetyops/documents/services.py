"""The register, versions, the instruction journal and what falls due (plain functions: actor, school, …)."""

from __future__ import annotations

import calendar
import datetime as dt
import re

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..audit.services import record
from ..auth.models import User
from ..auth.roles import Role
from ..errors_service import ServiceError
from ..extensions import db
from ..schools.models import Appointment, Membership
from ..schools.services import responsible_for
from ..time import now_utc
from . import guards, storage
from .kinds import KINDS, readable_kinds
from .models import (
    STARTS_CYCLE,
    STORED_STATUSES,
    DocKind,
    DocStatus,
    Document,
    DocumentFile,
    DocumentVersion,
    Instruction,
    InstructionEntry,
    InstructionKind,
)

#: Repeat fire-safety instruction: every six months by default.
REPEAT_MONTHS = 6
#: Remind people this many days before their repeat instruction is due.
INSTRUCTION_REMIND_DAYS = 14
#: Furthest a reminder can be set ahead (Document.remind_days is at most this).
MAX_REMIND_DAYS = 365


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --------------------------------------------------------------------------- the register


def visible(school, role, *, group: str | None = None, kind: str | None = None, archived: bool = False):
    """Documents of the school that `role` may read, newest review date first."""
    kinds = readable_kinds(role)
    if group:
        kinds = [k for k in kinds if KINDS[k].group == group]
    if kind:
        kinds = [k for k in kinds if k.value == kind]
    q = sa.select(Document).where(Document.school_id == school.id, Document.kind.in_(kinds))
    q = q.where(Document.status == DocStatus.ARCHIVED) if archived else q.where(Document.status != DocStatus.ARCHIVED)
    return q.options(sa.orm.selectinload(Document.versions).selectinload(DocumentVersion.files),
                     sa.orm.selectinload(Document.responsible)).order_by(Document.kind, Document.approved_on.desc(),
                                                                         Document.id.desc())


def default_review_on(kind, approved_on: dt.date | None) -> dt.date | None:
    months = KINDS[DocKind(kind)].review_months
    if approved_on is None or months is None:
        return None
    return add_months(approved_on, months)


def default_responsible(school, kind, today: dt.date) -> User | None:
    """The person appointed for the kind's area, else the director."""
    area = KINDS[DocKind(kind)].area
    people = responsible_for(school, area, today) if area is not None else []
    if not people:
        people = members_with_role(school, Role.DIRECTOR)
    return people[0] if people else None


def members_with_role(school, role) -> list[User]:
    return list(db.session.scalars(
        sa.select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.school_id == school.id, Membership.role == role, User.is_enabled.is_(True))
        .order_by(User.id)))


def _member(school, user_id) -> User | None:
    if not user_id:
        return None
    return db.session.scalar(sa.select(User).join(Membership, Membership.user_id == User.id)
                             .where(Membership.school_id == school.id, User.id == int(user_id)))


def orders(school):
    """The director's orders in the register (to name the order that approved a document)."""
    return list(db.session.scalars(sa.select(Document).where(
        Document.school_id == school.id, Document.kind == DocKind.ORDER, Document.status != DocStatus.ARCHIVED)
        .order_by(Document.approved_on.desc(), Document.id.desc())))


_NUMBER = re.compile(r"^\s*(\d+)\s*$")


def next_order_number(school, year: int) -> str:
    """The next number of the school's orders on core activity this year: plain numbers, no "-к"
    (that suffix is the personnel orders' own sequence)."""
    numbers = db.session.scalars(sa.select(Document.number).where(
        Document.school_id == school.id, Document.kind == DocKind.ORDER,
        Document.approved_on >= dt.date(year, 1, 1), Document.approved_on <= dt.date(year, 12, 31)))
    found = [int(m.group(1)) for n in numbers if (m := _NUMBER.match(n or ""))]
    return str(max(found, default=0) + 1)


FIELDS = ("kind", "title_local", "title_ru", "number", "approved_on", "approved_by_id", "approval_note",
          "responsible_id", "review_on", "remind_days", "contractor", "licence_number", "licence_expires_on",
          "details", "status")


def save_document(actor, school, doc: Document | None, *, files=(), version_note: str = "", guard_ids=None,
                  **data) -> Document:
    """Register a document (with its first version when files are given) or change its card.  For a security
    company's contract, `guard_ids` (when given) are the school's guards it employs."""
    kind = DocKind(data["kind"])
    info = KINDS[kind]
    title_local = (data.get("title_local") or "").strip()
    title_ru = (data.get("title_ru") or "").strip()
    if not title_local and not title_ru:
        raise ServiceError(_l("Give the title in at least one language."), "title_local")
    if info.is_contract and not (data.get("contractor") or "").strip():
        raise ServiceError(_l("Name the contractor."), "contractor")
    if kind is DocKind.ORDER and not (data.get("number") or "").strip():
        raise ServiceError(_l("Give the order's number."), "number")
    approved_by = None
    if data.get("approved_by_id"):
        approved_by = db.session.scalar(sa.select(Document).where(
            Document.school_id == school.id, Document.id == int(data["approved_by_id"]),
            Document.kind == DocKind.ORDER))
        if approved_by is None or (doc is not None and approved_by.id == doc.id):
            raise ServiceError(_l("Choose an order of this school."), "approved_by_id")
    responsible = _member(school, data.get("responsible_id"))
    if data.get("responsible_id") and responsible is None:
        raise ServiceError(_l("Choose a member of staff."), "responsible_id")
    try:
        status = DocStatus(data.get("status") or DocStatus.IN_FORCE)
    except ValueError:
        raise ServiceError(_l("Choose a status."), "status") from None
    if status not in STORED_STATUSES:
        raise ServiceError(_l("Choose a status."), "status")
    remind_days = int(data.get("remind_days") if data.get("remind_days") is not None else 30)
    if not 0 <= remind_days <= MAX_REMIND_DAYS:
        raise ServiceError(_l("Between 0 and 365 days."), "remind_days")
    review_on = data.get("review_on")
    approved_on = data.get("approved_on")
    if review_on is not None and approved_on is not None and review_on < approved_on:
        raise ServiceError(_l("The review date cannot be before the approval."), "review_on")
    allowed = {f.key for f in info.fields}
    details = {k: str(v).strip()[:2000] for k, v in (data.get("details") or {}).items() if k in allowed and v}
    created = doc is None
    if created:
        doc = Document(school_id=school.id, created_by_id=getattr(actor, "id", None))
        db.session.add(doc)
    doc.kind = kind
    doc.title_local, doc.title_ru = title_local[:200], title_ru[:200]
    doc.number = (data.get("number") or "").strip()[:40]
    doc.approved_on = approved_on
    doc.approved_by_id = approved_by.id if approved_by else None
    doc.approval_note = (data.get("approval_note") or "").strip()[:200]
    doc.responsible_id = responsible.id if responsible else None
    doc.review_on = review_on if review_on is not None or not created else default_review_on(kind, approved_on)
    doc.remind_days = remind_days
    doc.contractor = (data.get("contractor") or "").strip()[:200] if info.is_contract else ""
    doc.licence_number = (data.get("licence_number") or "").strip()[:60] if info.is_contract else ""
    doc.licence_expires_on = data.get("licence_expires_on") if info.is_contract else None
    doc.details = details
    doc.status = status
    db.session.flush()
    if storage.chosen(files):
        add_version(actor, school, doc, files=files, note=version_note, approved_on=approved_on, keep_dates=True)
    if guard_ids is not None:
        guards.set_guards(actor, school, doc, guard_ids)
    record(actor, school, "document.create" if created else "document.update", doc, detail=kind.value)
    return doc


def add_version(actor, school, doc: Document, *, files, note: str = "", approved_on: dt.date | None = None,
                review_on: dt.date | None = None, keep_dates: bool = False) -> DocumentVersion:
    """A new approved text: it replaces the one in force (which stays readable).  Without a review
    date the kind's default period counts from the new approval date."""
    if doc.status is DocStatus.ARCHIVED:
        raise ServiceError(_l("This document is archived. Put it back in force first."), "files")
    number = (db.session.scalar(sa.select(sa.func.max(DocumentVersion.number))
                                .where(DocumentVersion.school_id == school.id,
                                       DocumentVersion.document_id == doc.id)) or 0) + 1
    version = DocumentVersion(school_id=school.id, document_id=doc.id, number=number, note=(note or "").strip()[:300],
                              approved_on=approved_on, uploaded_by_id=getattr(actor, "id", None))
    db.session.add(version)
    db.session.flush()
    storage.store(actor, school, files, version=version)
    if not keep_dates:
        if approved_on is not None:
            if review_on is not None and review_on < approved_on:
                raise ServiceError(_l("The review date cannot be before the approval."), "review_on")
            doc.approved_on = approved_on
            doc.review_on = review_on or default_review_on(doc.kind, approved_on) or doc.review_on
        elif review_on is not None:
            doc.review_on = review_on
        if doc.status is DocStatus.DRAFT:
            doc.status = DocStatus.IN_FORCE
    db.session.expire(doc, ["versions"])
    record(actor, school, "document.version", doc, detail=f"v{number}")
    return version


def set_status(actor, school, doc: Document, status: str) -> None:
    try:
        status = DocStatus(status)
    except ValueError:
        raise ServiceError(_l("Choose a status.")) from None
    if status not in STORED_STATUSES:
        raise ServiceError(_l("Choose a status."))
    doc.status = status
    record(actor, school, "document.status", doc, detail=status.value)


def order_links(school, order: Document) -> dict:
    """What an order put in place: the appointments made by it (same number and date) and the
    documents it approved."""
    appointments = []
    if order.kind is DocKind.ORDER and order.number and order.approved_on:
        appointments = list(db.session.scalars(sa.select(Appointment).where(
            Appointment.school_id == school.id, Appointment.order_number == order.number,
            Appointment.order_date == order.approved_on).order_by(Appointment.area)))
    approved = list(db.session.scalars(sa.select(Document).where(
        Document.school_id == school.id, Document.approved_by_id == order.id).order_by(Document.kind)))
    return {"appointments": appointments, "approved": approved}


def order_for_appointment(school, appointment: Appointment) -> Document | None:
    return db.session.scalar(sa.select(Document).where(
        Document.school_id == school.id, Document.kind == DocKind.ORDER,
        Document.number == appointment.order_number, Document.approved_on == appointment.order_date).limit(1))


def orders_for_appointments(school, appointments) -> dict[int, Document]:
    """{appointment id: the order in the register that made it} (same number and date), in one query."""
    appointments = [a for a in appointments if a.order_number and a.order_date]
    if not appointments:
        return {}
    found = {(d.number, d.approved_on): d for d in db.session.scalars(
        sa.select(Document).where(Document.school_id == school.id, Document.kind == DocKind.ORDER,
                                  Document.number.in_({a.order_number for a in appointments}))
        .order_by(Document.id.desc()))}
    return {a.id: found[(a.order_number, a.order_date)] for a in appointments
            if (a.order_number, a.order_date) in found}


def due_documents(school, today: dt.date, *, kinds=None, user=None) -> dict[str, list[Document]]:
    """In force and due, by what is due: {"review_due": […], "expired": […]}; only of `kinds`
    (default: every kind) and, with `user`, only those that person keeps."""
    horizon = today + dt.timedelta(days=MAX_REMIND_DAYS)
    q = sa.select(Document).where(
        Document.school_id == school.id, Document.status == DocStatus.IN_FORCE,
        sa.or_(Document.review_on <= horizon, Document.licence_expires_on <= horizon))
    if user is not None:
        q = q.where(Document.responsible_id == user.id)
    if kinds is not None:
        q = q.where(Document.kind.in_(list(kinds)))
    found: dict[str, list[Document]] = {DocStatus.REVIEW_DUE.value: [], DocStatus.EXPIRED.value: []}
    for doc in db.session.scalars(q):
        status = doc.status_on(today)
        if status.value in found:
            found[status.value].append(doc)
    for docs in found.values():
        docs.sort(key=lambda d: d.due_on)
    return found


# --------------------------------------------------------------------------- checklist items linked to documents


def linked_items(kind) -> list[tuple[str, dict]]:
    """(template key, item) of the current checklist versions whose items name this kind."""
    from ..inspections.services import current_versions

    found = []
    for key, version in sorted(current_versions().items()):
        for item in version.content.get("items", []):
            if item.get("document") == DocKind(kind).value:
                found.append((key, item))
    return found


def checklist_state(school, kind) -> list[dict]:
    """The last answer to each linked item in this school, and the corrective action of a failure."""
    from ..inspections.models import Answer, ChecklistVersion, CorrectiveAction, Run

    rows = []
    for key, item in linked_items(kind):
        answer = db.session.scalar(
            sa.select(Answer).join(Run, Run.id == Answer.run_id)
            .join(ChecklistVersion, ChecklistVersion.id == Run.version_id)
            .where(Answer.school_id == school.id, Answer.item_id == item["id"], ChecklistVersion.template_key == key)
            .order_by(Answer.answered_dt.desc()).limit(1))
        action = None
        if answer is not None:
            action = db.session.scalar(sa.select(CorrectiveAction).where(CorrectiveAction.school_id == school.id,
                                                                   CorrectiveAction.answer_id == answer.id))
        rows.append({"template": key, "item": item, "answer": answer, "action": action})
    return rows


# --------------------------------------------------------------------------- the instruction journal


def record_instruction(actor, school, *, kind: str, held_on: dt.date, instructor_id, topic: str, user_ids,
                       next_due_on: dt.date | None = None, files=()) -> Instruction:
    kind = InstructionKind(kind)
    topic = (topic or "").strip()
    if not topic:
        raise ServiceError(_l("Give the topic."), "topic")
    instructor = _member(school, instructor_id)
    if instructor is None:
        raise ServiceError(_l("Choose a member of staff."), "instructor_id")
    people = [_member(school, uid) for uid in dict.fromkeys(int(u) for u in user_ids or [])]
    if not people:
        raise ServiceError(_l("Choose who was instructed."), "user_ids")
    if any(p is None for p in people):
        raise ServiceError(_l("Choose a member of staff."), "user_ids")
    if kind in STARTS_CYCLE:
        due = next_due_on or add_months(held_on, REPEAT_MONTHS)
        if due <= held_on:
            raise ServiceError(_l("The next instruction is due after this one."), "next_due_on")
    else:
        due = next_due_on
    instruction = Instruction(school_id=school.id, kind=kind, held_on=held_on, instructor_id=instructor.id,
                              topic=topic[:300], created_by_id=getattr(actor, "id", None))
    db.session.add(instruction)
    db.session.flush()
    for person in people:
        db.session.add(InstructionEntry(school_id=school.id, instruction_id=instruction.id, user_id=person.id,
                                        next_due_on=due))
    storage.store(actor, school, files, instruction=instruction, required=False)
    db.session.flush()
    record(actor, school, "instruction.create", instruction, detail=f"{kind.value}: {len(people)}")
    return instruction


def attach_scan(actor, school, instruction: Instruction, files) -> list[DocumentFile]:
    """The printed page with ink signatures, photographed or scanned."""
    start = len(instruction.scans)
    stored = storage.store(actor, school, files, instruction=instruction)
    for n, f in enumerate(stored):
        f.position = start + n
    db.session.expire(instruction, ["scans"])
    record(actor, school, "instruction.scan", instruction, detail=str(len(stored)))
    return stored


def sign(user, school, entry: InstructionEntry, *, now: dt.datetime | None = None) -> bool:
    """The person ticks "I was instructed": their own line only, once (the account and time are
    the signature).  False when it was signed already."""
    if entry.user_id != user.id or entry.school_id != school.id:
        raise ServiceError(_l("You can sign only your own line of the journal."))
    if entry.signed_dt is not None:
        return False
    entry.signed_dt = now or now_utc()
    record(user, school, "instruction.sign", entry.instruction, detail=f"entry {entry.id}")
    return True


def unsigned_for(user, school) -> list[InstructionEntry]:
    return list(db.session.scalars(
        sa.select(InstructionEntry).join(Instruction)
        .where(InstructionEntry.school_id == school.id, InstructionEntry.user_id == user.id,
               InstructionEntry.signed_dt.is_(None))
        .options(sa.orm.contains_eager(InstructionEntry.instruction))
        .order_by(Instruction.held_on.desc())))


def my_entries(user, school, limit: int = 20) -> list[InstructionEntry]:
    return list(db.session.scalars(
        sa.select(InstructionEntry).join(Instruction)
        .where(InstructionEntry.school_id == school.id, InstructionEntry.user_id == user.id)
        .options(sa.orm.contains_eager(InstructionEntry.instruction))
        .order_by(Instruction.held_on.desc(), Instruction.id.desc()).limit(limit)))


def journal(school, start: dt.date, end: dt.date) -> list[InstructionEntry]:
    """Journal lines held between two dates, in the journal's order."""
    return list(db.session.scalars(
        sa.select(InstructionEntry).join(Instruction)
        .where(InstructionEntry.school_id == school.id, Instruction.school_id == school.id,
               Instruction.held_on >= start, Instruction.held_on <= end)
        .options(sa.orm.contains_eager(InstructionEntry.instruction).selectinload(Instruction.instructor),
                 sa.orm.selectinload(InstructionEntry.user))
        .order_by(Instruction.held_on, Instruction.id, InstructionEntry.id)))


def next_due(school, *, user=None) -> list[tuple[User, dt.date]]:
    """Each member of staff's next repeat instruction: the latest due date they were given."""
    latest = sa.func.max(InstructionEntry.next_due_on).label("due")
    q = (sa.select(User, latest).join(InstructionEntry, InstructionEntry.user_id == User.id)
         .join(Membership, sa.and_(Membership.user_id == User.id, Membership.school_id == school.id))
         .where(InstructionEntry.school_id == school.id, InstructionEntry.next_due_on.is_not(None),
                User.is_enabled.is_(True))
         .group_by(User.id).order_by(latest))
    if user is not None:
        q = q.where(User.id == user.id)
    return [(u, due) for u, due in db.session.execute(q)]


def staff_never_instructed(school) -> list[User]:
    instructed = sa.select(InstructionEntry.user_id).where(InstructionEntry.school_id == school.id)
    return list(db.session.scalars(
        sa.select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.school_id == school.id, User.is_enabled.is_(True), User.id.not_in(instructed))
        .order_by(User.full_name)))


def instruction_due(school, today: dt.date, within: int = INSTRUCTION_REMIND_DAYS) -> list[tuple[User, dt.date]]:
    limit = today + dt.timedelta(days=within)
    return [(u, d) for u, d in next_due(school) if d <= limit]
