"""The audit trail: append-only."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import intpk
from ..time import now_utc


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_school_created", "school_id", "created_dt"),)

    id: Mapped[intpk]
    #: When (UTC).
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)
    #: Who acted; None for the system (scheduler, CLI without a user).
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    #: Which school's data; None for actions outside any school.
    school_id: Mapped[int | None] = mapped_column(sa.ForeignKey("schools.id", ondelete="SET NULL"))
    #: What: "<area>.<verb>", e.g. "staff.create", "staff.read".
    action: Mapped[str] = mapped_column(sa.String(60), index=True)
    #: Kind of record touched, e.g. "user", "zone".
    object_type: Mapped[str] = mapped_column(sa.String(40), default="")
    #: Its id, as text.
    object_id: Mapped[str] = mapped_column(sa.String(40), default="")
    #: From where: client address (after ProxyFix) or "cli".
    source: Mapped[str] = mapped_column(sa.String(64), default="")
    #: Short detail (changed field names; never passwords).
    detail: Mapped[str] = mapped_column(sa.Text, default="")

    user: Mapped[User | None] = relationship()  # noqa: F821
