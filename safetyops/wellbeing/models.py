"""Anonymous reports and the cases made of them.

Nothing here identifies the reporter: no account, no address, no time of day (the day only),
and the follow-up code is kept as a hash."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import enum_column, intpk, school_fk
from ..time import now_utc


class ReportKind(StrEnum):
    BULLYING = "bullying"
    VIOLENCE = "violence"
    THREAT = "threat"
    SUBSTANCES = "substances"
    INTERNET = "internet"
    ETHNIC = "ethnic"
    OTHER = "other"


KIND_LABELS = {
    ReportKind.BULLYING: _l("Bullying, humiliation"),
    ReportKind.VIOLENCE: _l("Violence, a fight"),
    ReportKind.THREAT: _l("A threat"),
    ReportKind.SUBSTANCES: _l("Alcohol, drugs, smoking"),
    ReportKind.INTERNET: _l("Danger on the internet"),
    ReportKind.ETHNIC: _l("Conflict over nationality or religion"),
    ReportKind.OTHER: _l("Something else"),
}


class ReporterKind(StrEnum):
    STUDENT = "student"
    PARENT = "parent"
    STAFF = "staff"
    UNSAID = "unsaid"


REPORTER_LABELS = {
    ReporterKind.STUDENT: _l("A student"),
    ReporterKind.PARENT: _l("A parent"),
    ReporterKind.STAFF: _l("A member of staff"),
    ReporterKind.UNSAID: _l("I would rather not say"),
}


class CaseStatus(StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"


STATUS_LABELS = {
    CaseStatus.NEW: _l("New"),
    CaseStatus.IN_PROGRESS: _l("Being dealt with"),
    CaseStatus.CLOSED: _l("Closed"),
}


class ReportLink(db.Model):
    """The school's public address for anonymous reports (on the QR poster); renewing it retires the old one."""

    __tablename__ = "wellbeing_links"

    id: Mapped[intpk]
    #: Owning school (one link each).
    school_id: Mapped[int] = school_fk(unique=True)
    #: The random part of the address.
    token: Mapped[str] = mapped_column(sa.String(32), unique=True)
    #: When it was made.
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)


class Report(db.Model):
    """An anonymous report, and the case the school makes of it."""

    __tablename__ = "wellbeing_reports"

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: What it is about.
    kind: Mapped[ReportKind] = enum_column(ReportKind)
    #: Who says they are writing (never checked, never more than this).
    reporter_kind: Mapped[ReporterKind] = enum_column(ReporterKind)
    #: What happened, in the reporter's words.
    body: Mapped[str] = mapped_column(sa.Text)
    #: Where (optional).
    place: Mapped[str] = mapped_column(sa.String(200), default="")
    #: School-local day it came in (no time of day: it could point to a person).
    received_on: Mapped[dt.date]
    #: Language the reporter wrote in (answer in it).
    locale: Mapped[str] = mapped_column(sa.String(5), default="ky")
    #: SHA-256 of the follow-up code the reporter keeps.
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: Where the case stands.
    status: Mapped[CaseStatus] = enum_column(CaseStatus, default=CaseStatus.NEW)
    #: The answer the reporter reads with their code.
    reply: Mapped[str] = mapped_column(sa.Text, default="")
    #: When the answer was last written.
    replied_dt: Mapped[dt.datetime | None]
    #: How the case ended (for the school, not shown to the reporter).
    outcome: Mapped[str] = mapped_column(sa.Text, default="")
    #: Day the case was closed; retention counts from it.
    closed_on: Mapped[dt.date | None]

    notes: Mapped[list[CaseNote]] = relationship(back_populates="report", order_by="CaseNote.id",
                                                 cascade="all, delete-orphan")


class CaseNote(db.Model):
    """An action taken or a note on a case (only the case's readers see it)."""

    __tablename__ = "wellbeing_notes"

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: The case.
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("wellbeing_reports.id", ondelete="CASCADE"), index=True)
    #: Who wrote it.
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: What was done or found.
    body: Mapped[str] = mapped_column(sa.Text)
    #: When it was written.
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)

    report: Mapped[Report] = relationship(back_populates="notes")
    author: Mapped[User | None] = relationship()  # noqa: F821
