"""The consent register: who consented to what, on which paper, and its withdrawal."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import enum_column, intpk, school_fk
from ..time import now_utc


class Purpose(StrEnum):
    INCIDENT_NAME = "incident_name"
    VISITOR_PHOTO = "visitor_photo"
    PUBLICATION = "publication"
    OTHER = "other"


PURPOSE_LABELS = {
    Purpose.INCIDENT_NAME: _l("A student's name in the road-incident register"),
    Purpose.VISITOR_PHOTO: _l("A visitor's photo at the gate"),
    Purpose.PUBLICATION: _l("Publishing personal data (school website, notices)"),
    Purpose.OTHER: _l("Other purpose"),
}


class SubjectKind(StrEnum):
    STUDENT = "student"
    VISITOR = "visitor"
    STAFF = "staff"
    PARENT = "parent"


SUBJECT_KIND_LABELS = {
    SubjectKind.STUDENT: _l("Student"),
    SubjectKind.VISITOR: _l("Visitor"),
    SubjectKind.STAFF: _l("Staff member"),
    SubjectKind.PARENT: _l("Parent"),
}


class ConsentScan(db.Model):
    """The scanned (photographed) consent paper: re-encoded, metadata stripped."""

    __tablename__ = "consent_scans"

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: MIME type (image/jpeg).
    content_type: Mapped[str] = mapped_column(sa.String(40))
    #: The image bytes.
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    #: When it was attached.
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)


class Consent(db.Model):
    """A written consent to keep or publish someone's personal data."""

    __tablename__ = "consents"
    __table_args__ = (
        sa.Index("ix_consents_school_given", "school_id", "given_on"),
        sa.CheckConstraint("withdrawn_on IS NULL OR withdrawn_on >= given_on", name="withdrawn_after_given"),
    )

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: Whose data: student, visitor, staff member, parent.
    subject_kind: Mapped[SubjectKind] = enum_column(SubjectKind)
    #: Whose data, by name ("—" once erased).
    subject_name: Mapped[str] = mapped_column(sa.String(200))
    #: Who signed: the person or their legal representative.
    given_by: Mapped[str] = mapped_column(sa.String(200))
    #: The signer's relation to the person ("mother", "self"…).
    given_by_relation: Mapped[str] = mapped_column(sa.String(60), default="")
    #: For what.
    purpose: Mapped[Purpose] = enum_column(Purpose)
    #: The purpose in the paper's own words.
    purpose_detail: Mapped[str] = mapped_column(sa.String(300), default="")
    #: Date on the paper.
    given_on: Mapped[dt.date]
    #: Which paper: number, date, file where it is kept.
    paper_ref: Mapped[str] = mapped_column(sa.String(120))
    #: The scan of the paper, if attached.
    scan_id: Mapped[int | None] = mapped_column(sa.ForeignKey("consent_scans.id", ondelete="SET NULL"))
    #: The road incident whose student's name it covers.
    incident_id: Mapped[int | None] = mapped_column(sa.ForeignKey("road_incidents.id", ondelete="SET NULL"),
                                                    index=True)
    #: The gate entry whose photo it covers.
    gate_entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("gate_entries.id", ondelete="SET NULL"),
                                                      index=True)
    #: The staff member it is about.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    #: Who recorded it.
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: When it was recorded.
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)
    #: Day the consent was withdrawn; None while in force.
    withdrawn_on: Mapped[dt.date | None]
    #: How it was withdrawn (paper, in person).
    withdrawal_note: Mapped[str] = mapped_column(sa.String(300), default="")
    #: Who recorded the withdrawal.
    withdrawn_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    scan: Mapped[ConsentScan | None] = relationship()
    user = relationship("User", foreign_keys=[user_id])
    recorded_by = relationship("User", foreign_keys=[recorded_by_id])

    @property
    def in_force(self) -> bool:
        return self.withdrawn_on is None
