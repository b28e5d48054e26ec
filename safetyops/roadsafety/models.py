"""The young traffic inspectors squad and the road-safety events of the school."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import enum_column, intpk, school_fk
from ..time import now_utc


class SquadMember(db.Model):
    """A student in the squad: named only with a parent's written consent (its paper is named)."""

    __tablename__ = "road_squad_members"

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: The student's name as the school writes it.
    student_name: Mapped[str] = mapped_column(sa.String(120))
    #: The student's class.
    class_id: Mapped[int | None] = mapped_column(sa.ForeignKey("school_classes.id", ondelete="SET NULL"))
    #: The squad's leader (commander) among the students.
    is_leader: Mapped[bool] = mapped_column(default=False)
    #: The parent's written consent: number and date of the paper (kept in the school's file).
    consent_paper: Mapped[str] = mapped_column(sa.String(80))
    #: Day they joined.
    joined_on: Mapped[dt.date]
    #: Day they left; None while in the squad.
    left_on: Mapped[dt.date | None]

    klass: Mapped[SchoolClass | None] = relationship()  # noqa: F821


class EventKind(StrEnum):
    SQUAD = "squad"
    COMPETITION = "competition"
    POLICE = "police"
    PARENTS = "parents"
    OTHER = "other"


EVENT_LABELS = {
    EventKind.SQUAD: _l("Squad activity"),
    EventKind.COMPETITION: _l("Competition"),
    EventKind.POLICE: _l("Joint event with the traffic police"),
    EventKind.PARENTS: _l("Parent meeting on road safety"),
    EventKind.OTHER: _l("Other road-safety event"),
}


class RoadEvent(db.Model):
    """An activity of the squad, a competition, a joint event with the traffic police or a parent meeting."""

    __tablename__ = "road_events"

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: What kind of event.
    kind: Mapped[EventKind] = enum_column(EventKind)
    #: Day it was held.
    held_on: Mapped[dt.date] = mapped_column(index=True)
    #: Topic.
    topic: Mapped[str] = mapped_column(sa.String(200))
    #: Who took part (classes, the squad, the traffic police inspector, parents).
    participants: Mapped[str] = mapped_column(sa.String(300), default="")
    #: How many took part.
    participants_count: Mapped[int | None]
    #: Result (a competition's place, a decision of the meeting).
    result: Mapped[str] = mapped_column(sa.String(300), default="")
    #: Number of the act or minutes.
    act_number: Mapped[str] = mapped_column(sa.String(40), default="")
    #: A photo of the event or of the act (cleaned JPEG, no metadata).
    photo: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    #: Who recorded it.
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: When it was recorded.
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)


class MaterialKind(StrEnum):
    CORNER = "corner"
    POSTER = "poster"
    BOOK = "book"
    VIDEO = "video"
    GAME = "game"
    PLAYGROUND = "playground"
    OTHER = "other"


MATERIAL_LABELS = {
    MaterialKind.CORNER: _l("Road-safety corner, stand"),
    MaterialKind.POSTER: _l("Posters and visual aids"),
    MaterialKind.BOOK: _l("Methodological literature"),
    MaterialKind.VIDEO: _l("Films and presentations"),
    MaterialKind.GAME: _l("Board games and models"),
    MaterialKind.PLAYGROUND: _l("Traffic playground, road markings"),
    MaterialKind.OTHER: _l("Other teaching material"),
}


class RoadMaterial(db.Model):
    """A teaching material on road safety the school keeps (the seed's "teaching-material base")."""

    __tablename__ = "road_materials"

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: What kind of material.
    kind: Mapped[MaterialKind] = enum_column(MaterialKind)
    #: What it is ("Stand «Жол белгилери»", "ЖЖИ: методичка 1–4 класс").
    title: Mapped[str] = mapped_column(sa.String(200))
    #: How many copies or pieces.
    quantity: Mapped[int | None]
    #: Where it is kept ("room 12", "library").
    kept_where: Mapped[str] = mapped_column(sa.String(120), default="")
    #: Day it was added to the school's base.
    added_on: Mapped[dt.date]
    #: Who recorded it.
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
