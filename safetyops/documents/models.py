"""The register of safety documents and local acts, contracts and licences, and the signed
instruction journal.

- `Document`: one paper the school keeps current (the anti-terror passport, an evacuation plan,
  an order, a contract…), its kind, number, approval, responsible person and review/expiry date;
- `DocumentVersion`: each approved text of it; a new version replaces, the old stays readable;
- `DocumentFile`: the PDF or the photos of the signed paper (of a version, or of a journal page);
- `Instruction` / `InstructionEntry`: a fire-safety instruction held, and each person instructed,
  with their signature (ticked from their own account) and the date the next one is due.

What a kind is (its label, who may read it, its default review period, its sections) is in
`kinds.py`.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import enum_column, intpk, school_fk
from ..time import now_utc


class DocKind(StrEnum):
    ANTITERROR_PASSPORT = "antiterror_passport"
    SAFETY_MEASURES_PLAN = "safety_measures_plan"
    EVACUATION_PLAN = "evacuation_plan"
    FIRE_ACTION_PLAN = "fire_action_plan"
    FIRE_INSTRUCTION = "fire_instruction"
    FIRE_MEMO = "fire_memo"
    ORDER = "order"
    LOCAL_ACT = "local_act"
    ROAD_SAFETY_PLAN = "road_safety_plan"
    ROUTE_PASSPORT = "route_passport"
    CONTRACT_SECURITY = "contract_security"
    CONTRACT_ALARM = "contract_alarm"
    CONTRACT_EXTINGUISHERS = "contract_extinguishers"
    CONTRACT_WASTE = "contract_waste"
    CONTRACT_CANTEEN = "contract_canteen"
    CONTRACT_OTHER = "contract_other"


class DocStatus(StrEnum):
    DRAFT = "draft"
    IN_FORCE = "in_force"
    REVIEW_DUE = "review_due"  # shown only: in force, review/expiry date within the reminder days
    EXPIRED = "expired"  # shown only: in force, review/expiry date passed
    ARCHIVED = "archived"


DOC_STATUS_LABELS = {
    DocStatus.DRAFT: _l("Draft"),
    DocStatus.IN_FORCE: _l("In force"),
    DocStatus.REVIEW_DUE: _l("To be reviewed"),
    DocStatus.EXPIRED: _l("Expired"),
    DocStatus.ARCHIVED: _l("Archived"),
}
#: What is stored; the two others follow from the dates.
STORED_STATUSES = (DocStatus.DRAFT, DocStatus.IN_FORCE, DocStatus.ARCHIVED)


class Document(db.Model):
    """A safety document, local act, order, contract or licence of one school."""

    __tablename__ = "documents"
    __table_args__ = (sa.CheckConstraint("remind_days >= 0 AND remind_days <= 365", name="remind_days_range"),)

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: What it is (kinds.py: label, readers, default review period, sections).
    kind: Mapped[DocKind] = enum_column(DocKind)
    #: Title in the state language (Kyrgyz or Kazakh).
    title_local: Mapped[str] = mapped_column(sa.String(200), default="")
    #: Title in Russian (the official language).
    title_ru: Mapped[str] = mapped_column(sa.String(200), default="")
    #: Its number (an order's number in the school's sequence of orders on core activity).
    number: Mapped[str] = mapped_column(sa.String(40), default="")
    #: Date of approval (of signing, for an order or a contract).
    approved_on: Mapped[dt.date | None]
    #: The director's order that approved it, when it is in the register.
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("documents.id", ondelete="SET NULL"),
                                                        index=True)
    #: How it was approved when not by an order in the register ("pedagogical council, minutes No. 1").
    approval_note: Mapped[str] = mapped_column(sa.String(200), default="")
    #: The person who keeps it current and is reminded.
    responsible_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    #: Review date (a document) or end of validity (a contract); None: no fixed date.
    review_on: Mapped[dt.date | None] = mapped_column(index=True)
    #: Remind this many days before the review or expiry date.
    remind_days: Mapped[int] = mapped_column(default=30)
    #: The other party of a contract (a licensed security company, a supplier).
    contractor: Mapped[str] = mapped_column(sa.String(200), default="")
    #: The contractor's licence number, for licensed work.
    licence_number: Mapped[str] = mapped_column(sa.String(60), default="")
    #: When that licence expires.
    licence_expires_on: Mapped[dt.date | None] = mapped_column(index=True)
    #: The kind's own fields and sections, {key: text} (kinds.py lists them).
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    #: Draft, in force or archived (review due / expired follow from the dates).
    status: Mapped[DocStatus] = enum_column(DocStatus, default=DocStatus.IN_FORCE)
    #: Who registered it.
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: When it was registered.
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)
    #: Last change.
    updated_dt: Mapped[dt.datetime] = mapped_column(default=now_utc, onupdate=now_utc)

    responsible: Mapped[User | None] = relationship(foreign_keys=[responsible_id])  # noqa: F821
    approved_by: Mapped[Document | None] = relationship(remote_side="Document.id")
    versions: Mapped[list[DocumentVersion]] = relationship(
        back_populates="document", order_by="DocumentVersion.number.desc()", cascade="all, delete-orphan")

    def title(self, locale: str) -> str:
        """The title in the reader's language, else the other one."""
        if str(locale).startswith("ru"):
            return self.title_ru or self.title_local
        return self.title_local or self.title_ru

    @property
    def due_on(self) -> dt.date | None:
        """The first of the review/expiry date and the licence's expiry."""
        dates = [d for d in (self.review_on, self.licence_expires_on) if d is not None]
        return min(dates) if dates else None

    def status_on(self, today: dt.date) -> DocStatus:
        if self.status is not DocStatus.IN_FORCE:
            return self.status
        due = self.due_on
        if due is None:
            return DocStatus.IN_FORCE
        if today > due:
            return DocStatus.EXPIRED
        if today >= due - dt.timedelta(days=self.remind_days):
            return DocStatus.REVIEW_DUE
        return DocStatus.IN_FORCE

    @property
    def current(self) -> DocumentVersion | None:
        return self.versions[0] if self.versions else None


class DocumentVersion(db.Model):
    """One approved text of a document; the newest is in force, the older stay readable."""

    __tablename__ = "document_versions"
    __table_args__ = (sa.UniqueConstraint("document_id", "number"),)

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: The document.
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    #: 1, 2, 3… in the order uploaded.
    number: Mapped[int]
    #: What changed ("new guard company", "second floor rebuilt").
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    #: Date of approval of this version.
    approved_on: Mapped[dt.date | None]
    #: Who uploaded it.
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: When.
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)

    document: Mapped[Document] = relationship(back_populates="versions")
    uploaded_by: Mapped[User | None] = relationship()  # noqa: F821
    files: Mapped[list[DocumentFile]] = relationship(
        back_populates="version", order_by="DocumentFile.position", cascade="all, delete-orphan")


class DocumentFile(db.Model):
    """A stored file: a PDF, or a photo of a signed page (cleaned: JPEG, no metadata)."""

    __tablename__ = "document_files"
    __table_args__ = (
        sa.CheckConstraint("(version_id IS NULL) <> (instruction_id IS NULL)", name="one_owner"),
        sa.CheckConstraint("content_type IN ('application/pdf', 'image/jpeg')", name="known_type"),
    )

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: The document version it belongs to…
    version_id: Mapped[int | None] = mapped_column(sa.ForeignKey("document_versions.id", ondelete="CASCADE"),
                                                   index=True)
    #: …or the instruction whose signed journal page it is.
    instruction_id: Mapped[int | None] = mapped_column(sa.ForeignKey("instructions.id", ondelete="CASCADE"),
                                                       index=True)
    #: Name under the instance folder's documents/<school>/ (random; never the uploaded name).
    filename: Mapped[str] = mapped_column(sa.String(80), unique=True)
    #: application/pdf or image/jpeg.
    content_type: Mapped[str] = mapped_column(sa.String(40))
    #: Bytes stored.
    size: Mapped[int]
    #: Order among the version's files (page 1, 2…).
    position: Mapped[int] = mapped_column(default=0)
    #: Who uploaded it.
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: When.
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)

    version: Mapped[DocumentVersion | None] = relationship(back_populates="files")

    @property
    def is_pdf(self) -> bool:
        return self.content_type == "application/pdf"


class InstructionKind(StrEnum):
    INTRODUCTORY = "introductory"  # вводный
    INITIAL = "initial"  # первичный на рабочем месте
    REPEAT = "repeat"  # повторный
    UNSCHEDULED = "unscheduled"  # внеплановый
    TARGETED = "targeted"  # целевой


INSTRUCTION_KIND_LABELS = {
    InstructionKind.INTRODUCTORY: _l("Introductory"),
    InstructionKind.INITIAL: _l("Initial at the workplace"),
    InstructionKind.REPEAT: _l("Repeat"),
    InstructionKind.UNSCHEDULED: _l("Unscheduled"),
    InstructionKind.TARGETED: _l("Targeted"),
}
#: Kinds after which the next repeat instruction falls due (the others leave the cycle as it is).
STARTS_CYCLE = (InstructionKind.INTRODUCTORY, InstructionKind.INITIAL, InstructionKind.REPEAT)


class Instruction(db.Model):
    """A fire-safety instruction held: one line of the journal per person instructed."""

    __tablename__ = "instructions"

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: Introductory, initial, repeat, unscheduled or targeted.
    kind: Mapped[InstructionKind] = enum_column(InstructionKind)
    #: Date held.
    held_on: Mapped[dt.date] = mapped_column(index=True)
    #: Who instructed.
    instructor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: Topic (or the instruction's number and name).
    topic: Mapped[str] = mapped_column(sa.String(300))
    #: Who recorded it.
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: When.
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)

    instructor: Mapped[User | None] = relationship(foreign_keys=[instructor_id])  # noqa: F821
    entries: Mapped[list[InstructionEntry]] = relationship(back_populates="instruction",
                                                           cascade="all, delete-orphan")
    scans: Mapped[list[DocumentFile]] = relationship(order_by="DocumentFile.position",
                                                     cascade="all, delete-orphan")


class InstructionEntry(db.Model):
    """One person instructed, their signature and when their next repeat instruction is due."""

    __tablename__ = "instruction_entries"
    __table_args__ = (sa.UniqueConstraint("instruction_id", "user_id"),)

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: The instruction.
    instruction_id: Mapped[int] = mapped_column(sa.ForeignKey("instructions.id", ondelete="CASCADE"), index=True)
    #: The person instructed.
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: When the next repeat instruction is due (None: this one does not set it).
    next_due_on: Mapped[dt.date | None] = mapped_column(index=True)
    #: When the person ticked "I was instructed" from their own account (their signature).
    signed_dt: Mapped[dt.datetime | None]

    instruction: Mapped[Instruction] = relationship(back_populates="entries")
    user: Mapped[User] = relationship()  # noqa: F821


class ContractGuard(db.Model):
    """A guard (a member of staff with the guard role) employed by the security company of a contract: the
    gate phone offers them when the shift changes."""

    __tablename__ = "contract_guards"
    __table_args__ = (sa.UniqueConstraint("document_id", "user_id"),)

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: The security company's contract (kind contract_security).
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    #: The guard.
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)

    user: Mapped[User] = relationship()  # noqa: F821
