"""Anonymous reports: the school's link, receiving a report, the follow-up code, handling the case.

Who handles cases: the director, the deputy director (for upbringing) and whoever is appointed
psychologist by order (an Appointment of the area "psychology" in force), whatever their role."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..audit.services import record
from ..auth.models import User
from ..auth.roles import Role
from ..errors_service import ServiceError
from ..extensions import db
from ..notifications import outbox
from ..schools.models import Appointment, Area, Membership, School
from ..time import school_today
from .models import CaseNote, CaseStatus, Report, ReporterKind, ReportKind, ReportLink

#: Roles that read every case of their school (besides the appointed psychologist).
CASE_ROLES = frozenset({Role.DIRECTOR, Role.DEPUTY})
#: Letters of the follow-up code: no 0/O, 1/I/L to misread.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12
#: Closed cases are deleted this many days after closing (config WELLBEING_RETENTION_DAYS).
DEFAULT_RETENTION_DAYS = 365


NEW_REPORT = "wellbeing.new_report"
#: No word of the report's content: the phone may be seen by others.
SMS_TEXTS = {NEW_REPORT: _l("SafetyOps: a new anonymous report has come.")}


def register_texts() -> None:
    outbox.register_text(NEW_REPORT, SMS_TEXTS[NEW_REPORT], sample={})


# --- who handles cases -------------------------------------------------------------------------------


def psychologists(school: School, day: dt.date | None = None) -> list[Appointment]:
    """Appointments of the school psychologist in force on `day` (school-local today)."""
    day = day or school_today(school)
    return list(db.session.scalars(
        sa.select(Appointment).where(Appointment.school_id == school.id, Appointment.area == Area.PSYCHOLOGY,
                                     Appointment.starts_on <= day,
                                     sa.or_(Appointment.ends_on.is_(None), Appointment.ends_on >= day))))


def handlers(school: School) -> list[User]:
    """Who is told of a new report: the director, the deputy and the appointed psychologist."""
    users = list(db.session.scalars(sa.select(User).join(Membership, Membership.user_id == User.id).where(
        Membership.school_id == school.id, Membership.role.in_(list(CASE_ROLES)), User.is_enabled.is_(True))))
    ids = [a.user_id for a in psychologists(school)]
    if ids:
        users += list(db.session.scalars(sa.select(User).where(User.id.in_(ids), User.is_enabled.is_(True))))
    return users


def may_handle(user: User | None, school: School | None, role: Role | None) -> bool:
    """The director, the deputy, or the psychologist appointed at this school."""
    if user is None or school is None or role is None or role is Role.INSPECTOR:
        return False
    if role in CASE_ROLES:
        return True
    return any(a.user_id == user.id for a in psychologists(school))


# --- the public link ------------------------------------------------------------------------------------


def link_for(school: School) -> ReportLink:
    """The school's link, made on first use."""
    link = db.session.scalar(sa.select(ReportLink).where(ReportLink.school_id == school.id))
    if link is None:
        link = ReportLink(school_id=school.id, token=secrets.token_urlsafe(12))
        db.session.add(link)
        db.session.flush()
    return link


def renew_link(actor: User | None, school: School) -> ReportLink:
    """A new address: posters with the old one stop working (a poster was misused)."""
    link = link_for(school)
    link.token = secrets.token_urlsafe(12)
    record(actor, school, "wellbeing.link_renewed", link)
    return link


def school_of_token(token: str) -> School | None:
    if not token or len(token) > 32:
        return None
    return db.session.scalar(sa.select(School).join(ReportLink, ReportLink.school_id == School.id)
                             .where(ReportLink.token == token))


# --- receiving a report ----------------------------------------------------------------------------------


def normalize_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())[:CODE_LENGTH * 2]


def hash_code(code: str) -> str:
    return hashlib.sha256(normalize_code(code).encode()).hexdigest()


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, CODE_LENGTH, 4))


def submit_report(school: School, *, kind: str, reporter_kind: str, body: str, place: str = "",
                  locale: str = "ky", alert: bool = True) -> tuple[Report, str]:
    """Store an anonymous report; returns it and the follow-up code (shown once, kept only as a hash).

    No actor, no address: the audit event of the report is written by the caller with an
    anonymous source."""
    body = (body or "").strip()
    if not body:
        raise ServiceError(_l("Please write what happened."), "body")
    code = new_code()
    report = Report(school_id=school.id, kind=ReportKind(kind), reporter_kind=ReporterKind(reporter_kind),
                    body=body[:4000], place=(place or "").strip()[:200], received_on=school_today(school),
                    locale=(locale or "ky")[:5], code_hash=hash_code(code), status=CaseStatus.NEW)
    db.session.add(report)
    db.session.flush()
    if alert:  # the demo's past reports were answered long ago: no SMS
        outbox.notify(school, handlers(school), NEW_REPORT, str(report.id), {})
    return report, code


def report_by_code(school: School, code: str) -> Report | None:
    if len(normalize_code(code)) != CODE_LENGTH:
        return None
    return db.session.scalar(sa.select(Report).where(Report.school_id == school.id,
                                                     Report.code_hash == hash_code(code)))


# --- handling the case ----------------------------------------------------------------------------------


def cases_query(school: School, status: str | None = None):
    q = sa.select(Report).where(Report.school_id == school.id)
    if status in {s.value for s in CaseStatus}:
        q = q.where(Report.status == CaseStatus(status))
    else:
        q = q.where(Report.status != CaseStatus.CLOSED)
    return q.order_by(Report.id.desc())


def counts(school: School) -> dict[CaseStatus, int]:
    rows = db.session.execute(sa.select(Report.status, sa.func.count()).where(Report.school_id == school.id)
                              .group_by(Report.status))
    found = {CaseStatus(s): n for s, n in rows}
    return {s: found.get(s, 0) for s in CaseStatus}


def add_note(actor: User | None, school: School, report: Report, body: str) -> CaseNote:
    body = (body or "").strip()
    if not body:
        raise ServiceError(_l("Please write what was done."), "body")
    note = CaseNote(school_id=school.id, report_id=report.id, author_id=getattr(actor, "id", None), body=body[:4000])
    db.session.add(note)
    if report.status is CaseStatus.NEW:
        report.status = CaseStatus.IN_PROGRESS
    db.session.flush()
    record(actor, school, "wellbeing.note", report)
    return note


def set_reply(actor: User | None, school: School, report: Report, text: str, now: dt.datetime) -> None:
    """The answer the reporter reads with the code (no names of anyone in it)."""
    report.reply = (text or "").strip()[:4000]
    report.replied_dt = now if report.reply else None
    if report.status is CaseStatus.NEW:
        report.status = CaseStatus.IN_PROGRESS
    record(actor, school, "wellbeing.reply", report)


def set_status(actor: User | None, school: School, report: Report, status: str, outcome: str = "") -> None:
    new = CaseStatus(status)
    outcome = (outcome or "").strip()
    if new is CaseStatus.CLOSED and not outcome:
        raise ServiceError(_l("Write the outcome before closing the case."), "outcome")
    report.status = new
    if new is CaseStatus.CLOSED:
        report.outcome = outcome[:4000]
        report.closed_on = school_today(school)
    else:
        report.closed_on = None
    record(actor, school, f"wellbeing.status.{new.value}", report)


# --- retention ---------------------------------------------------------------------------------------


def purge_closed(now: dt.datetime, days: int) -> int:
    """Delete cases closed more than `days` days ago (their notes go with them).  Idempotent."""
    if days <= 0:
        return 0
    cutoff = now.date() - dt.timedelta(days=days)
    deleted = 0
    for school in db.session.scalars(sa.select(School).order_by(School.id)).all():  # each school's own rows
        ids = list(db.session.scalars(sa.select(Report.id).where(Report.school_id == school.id,
                                                                 Report.status == CaseStatus.CLOSED,
                                                                 Report.closed_on < cutoff)))
        if not ids:
            continue
        db.session.execute(sa.delete(CaseNote).where(CaseNote.report_id.in_(ids)))
        db.session.execute(sa.delete(Report).where(Report.id.in_(ids)))
        record(None, school, "wellbeing.retention", None, detail=f"{len(ids)} closed cases deleted")
        deleted += len(ids)
    return deleted
