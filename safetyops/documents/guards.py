"""The security company's guards: who of the school's guards each security contract employs, and who the gate
phone offers at a change of shift (the guards of the contracts in force).

A plain module of queries and one write, imported by the gate's pages: it imports only the foundation, auth,
schools and this area's models, so the gate reaches no other area through it."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..audit.services import record
from ..auth.models import User
from ..auth.roles import Role
from ..errors_service import ServiceError
from ..extensions import db
from ..schools.models import Membership, School
from .models import ContractGuard, DocKind, DocStatus, Document


def school_guards(school: School) -> list[User]:
    """Members of the school with the guard role (enabled), by name: those a contract may name."""
    return list(db.session.scalars(
        sa.select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.school_id == school.id, Membership.role == Role.GUARD, User.is_enabled.is_(True))
        .order_by(User.full_name, User.id)))


def guard_ids(doc: Document) -> list[int]:
    return list(db.session.scalars(sa.select(ContractGuard.user_id).where(ContractGuard.school_id == doc.school_id,
                                                                          ContractGuard.document_id == doc.id)
                                   .order_by(ContractGuard.id)))


def guards_of(doc: Document) -> list[User]:
    return list(db.session.scalars(sa.select(User).join(ContractGuard, ContractGuard.user_id == User.id)
                                   .where(ContractGuard.document_id == doc.id).order_by(User.full_name)))


def set_guards(actor: User | None, school: School, doc: Document, user_ids) -> None:
    """The guards the security company of `doc` employs at this school (replaces the list)."""
    if doc.kind is not DocKind.CONTRACT_SECURITY:
        return
    wanted = list(dict.fromkeys(int(u) for u in user_ids or []))
    allowed = {u.id for u in school_guards(school)}
    if any(u not in allowed for u in wanted):
        raise ServiceError(_l("Choose guards of this school."), "guard_ids")
    if wanted == guard_ids(doc):
        return
    db.session.execute(sa.delete(ContractGuard).where(ContractGuard.document_id == doc.id))
    for uid in wanted:
        db.session.add(ContractGuard(school_id=school.id, document_id=doc.id, user_id=uid))
    db.session.flush()
    record(actor, school, "document.guards", doc, detail=",".join(map(str, wanted)))


def on_contract(school: School, today: dt.date) -> list[tuple[User, Document]]:
    """The guards of the security contracts in force today (not archived, not a draft, not past their end or
    their licence), who are still guards of the school: (guard, contract), by name."""
    rows = db.session.execute(
        sa.select(User, Document).join(ContractGuard, ContractGuard.user_id == User.id)
        .join(Document, Document.id == ContractGuard.document_id)
        .join(Membership, sa.and_(Membership.user_id == User.id, Membership.school_id == school.id))
        .where(ContractGuard.school_id == school.id, Document.school_id == school.id,
               Document.kind == DocKind.CONTRACT_SECURITY,
               Document.status == DocStatus.IN_FORCE, Membership.role == Role.GUARD, User.is_enabled.is_(True),
               sa.or_(Document.review_on.is_(None), Document.review_on >= today),
               sa.or_(Document.licence_expires_on.is_(None), Document.licence_expires_on >= today))
        .order_by(User.full_name, User.id, Document.id)).all()
    seen: set[int] = set()
    found = []
    for user, doc in rows:
        if user.id not in seen:
            seen.add(user.id)
            found.append((user, doc))
    return found


def contract_of(school: School, user: User, today: dt.date) -> Document | None:
    """The security contract in force that employs this guard, if any."""
    return next((doc for u, doc in on_contract(school, today) if u.id == user.id), None)
