"""Incidents at school and the injuries in them.

What happened (`SchoolIncident`) is read by the school's managers; the injuries (`Injury`: who,
what injury, the first aid) only by the director, the deputy director and the nurse, every read
audited.  A student is named only with the parent's explicit written consent; otherwise only the
class is kept."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import enum_column, intpk, school_fk
from ..time import now_utc


class IncidentKind(StrEnum):
    INJURY = "injury"
    FIGHT = "fight"
    PROPERTY = "property"
    INTRUSION = "intrusion"
    OTHER = "other"


INCIDENT_LABELS = {
    IncidentKind.INJURY: _l("Accident, injury"),
    IncidentKind.FIGHT: _l("Fight"),
    IncidentKind.PROPERTY: _l("Damage to property"),
    IncidentKind.INTRUSION: _l("Intrusion onto the territory"),
    IncidentKind.OTHER: _l("Other incident"),
}


class SchoolIncident(db.Model):
    __tablename__ = "school_incidents"

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: What kind of incident.
    kind: Mapped[IncidentKind] = enum_column(IncidentKind)
    #: When it happened (UTC).
    occurred_dt: Mapped[dt.datetime] = mapped_column(index=True)
    #: Where ("gym", "stairs, 2nd floor").
    place: Mapped[str] = mapped_column(sa.String(200))
    #: What happened, without names.
    description: Mapped[str] = mapped_column(sa.Text)
    #: Parents informed.
    has_parents_informed: Mapped[bool] = mapped_column(default=False)
    #: Ambulance (103) called.
    has_ambulance: Mapped[bool] = mapped_column(default=False)
    #: Police (102) called.
    has_police: Mapped[bool] = mapped_column(default=False)
    #: Measures taken so that it does not happen again.
    measures: Mapped[str] = mapped_column(sa.Text, default="")
    #: Who recorded it.
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: When it was recorded.
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)

    injuries: Mapped[list[Injury]] = relationship(back_populates="incident", order_by="Injury.id",
                                                  cascade="all, delete-orphan")


class Injury(db.Model):
    """A person hurt in an incident, and the first aid given (health data: sensitive)."""

    __tablename__ = "incident_injuries"

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: The incident.
    incident_id: Mapped[int] = mapped_column(sa.ForeignKey("school_incidents.id", ondelete="CASCADE"), index=True)
    #: The student's class.
    class_id: Mapped[int | None] = mapped_column(sa.ForeignKey("school_classes.id", ondelete="SET NULL"))
    #: The name, only with the parent's explicit written consent; else empty.
    person_name: Mapped[str] = mapped_column(sa.String(120), default="")
    #: That consent: number and date of the paper (required for a name).
    consent_paper: Mapped[str] = mapped_column(sa.String(80), default="")
    #: The injury as the nurse describes it.
    injury: Mapped[str] = mapped_column(sa.String(300))
    #: First aid given.
    first_aid: Mapped[str] = mapped_column(sa.String(300), default="")
    #: Who gave it (usually the nurse).
    first_aid_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: When it was recorded.
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)

    incident: Mapped[SchoolIncident] = relationship(back_populates="injuries")
    klass: Mapped[SchoolClass | None] = relationship()  # noqa: F821
    first_aid_by: Mapped[User | None] = relationship(foreign_keys=[first_aid_by_id])  # noqa: F821
