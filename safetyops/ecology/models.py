"""Waste removal (log and the contract's schedule), separate collection, lab residues, greening.

Scans of acts are photos cleaned by `safetyops.uploads.clean_image` and kept in `eco_acts`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import enum_column, intpk, school_fk
from ..time import now_utc


class WasteKind(StrEnum):
    MIXED = "mixed"
    FOOD = "food"
    BULKY = "bulky"
    GREEN = "green"
    CONSTRUCTION = "construction"


WASTE_LABELS = {
    WasteKind.MIXED: _l("Household waste (mixed)"),
    WasteKind.FOOD: _l("Food waste"),
    WasteKind.BULKY: _l("Bulky waste"),
    WasteKind.GREEN: _l("Leaves and branches"),
    WasteKind.CONSTRUCTION: _l("Construction waste"),
}


class CollectedKind(StrEnum):
    PAPER = "paper"
    PACKAGING = "packaging"
    PLASTIC = "plastic"
    GLASS = "glass"
    METAL = "metal"
    BATTERIES = "batteries"
    OTHER = "other"


COLLECTED_LABELS = {
    CollectedKind.PAPER: _l("Waste paper"),
    CollectedKind.PACKAGING: _l("Packaging"),
    CollectedKind.PLASTIC: _l("Polyethylene and plastic"),
    CollectedKind.GLASS: _l("Glass"),
    CollectedKind.METAL: _l("Scrap metal"),
    CollectedKind.BATTERIES: _l("Batteries and lamps"),
    CollectedKind.OTHER: _l("Other"),
}


class GreeningKind(StrEnum):
    PLANTING = "planting"
    CARE = "care"


GREENING_LABELS = {GreeningKind.PLANTING: _l("Planting"), GreeningKind.CARE: _l("Care")}


class Act(db.Model):
    """A photo of a signed act (hand-over of collected waste, disposal of lab residues)."""

    __tablename__ = "eco_acts"

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: The cleaned JPEG (no metadata).
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    #: When it was attached.
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)


class RemovalSchedule(db.Model):
    """How often the waste contract says waste is taken away."""

    __tablename__ = "eco_removal_schedules"

    id: Mapped[intpk]
    #: Owning school (one schedule each).
    school_id: Mapped[int] = school_fk(unique=True)
    #: The waste-removal contract in the documents register.
    contract_id: Mapped[int | None] = mapped_column(sa.ForeignKey("documents.id", ondelete="SET NULL"), index=True)
    #: At most this many days between two removals.
    every_days: Mapped[int] = mapped_column(default=7)
    #: First day the schedule counts from (when nothing was removed yet).
    starts_on: Mapped[dt.date]

    contract: Mapped[Document | None] = relationship()  # noqa: F821


class Removal(db.Model):
    """Waste taken away by the contractor."""

    __tablename__ = "eco_removals"
    __table_args__ = (sa.CheckConstraint("volume_m3 >= 0", name="volume_positive"),)

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: Day it was taken away.
    removed_on: Mapped[dt.date] = mapped_column(index=True)
    #: The contract in the documents register (if any).
    contract_id: Mapped[int | None] = mapped_column(sa.ForeignKey("documents.id", ondelete="SET NULL"), index=True)
    #: Who took it (the contract's contractor, or as typed).
    contractor: Mapped[str] = mapped_column(sa.String(200), default="")
    #: Volume, cubic metres.
    volume_m3: Mapped[Decimal] = mapped_column(sa.Numeric(7, 2))
    #: What was taken.
    kind: Mapped[WasteKind] = enum_column(WasteKind, default=WasteKind.MIXED)
    #: Waybill number or a note.
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    #: Who recorded it.
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: When it was recorded.
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)


class Collection(db.Model):
    """Separately collected waste handed over (waste paper, packaging, polyethylene…)."""

    __tablename__ = "eco_collections"
    __table_args__ = (sa.CheckConstraint("quantity_kg > 0", name="quantity_positive"),)

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: Day it was handed over.
    handed_on: Mapped[dt.date] = mapped_column(index=True)
    #: What it is.
    kind: Mapped[CollectedKind] = enum_column(CollectedKind)
    #: Weight, kilograms.
    quantity_kg: Mapped[Decimal] = mapped_column(sa.Numeric(8, 1))
    #: Who received it (a recycling point).
    receiver: Mapped[str] = mapped_column(sa.String(200), default="")
    #: Number of the act.
    act_number: Mapped[str] = mapped_column(sa.String(40), default="")
    #: Photo of the signed act.
    act_id: Mapped[int | None] = mapped_column(sa.ForeignKey("eco_acts.id", ondelete="SET NULL"))
    #: Who recorded it.
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: When it was recorded.
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)


class LabDisposal(db.Model):
    """Chemistry-lab residues disposed of, with the act."""

    __tablename__ = "eco_lab_disposals"

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: Day of the disposal.
    disposed_on: Mapped[dt.date] = mapped_column(index=True)
    #: What was disposed of ("acid residues after lab work No. 3").
    substances: Mapped[str] = mapped_column(sa.String(300))
    #: How much, as on the act ("2 l", "0.5 kg").
    quantity: Mapped[str] = mapped_column(sa.String(60))
    #: How (neutralised and poured away, handed to a licensed firm…).
    method: Mapped[str] = mapped_column(sa.String(200), default="")
    #: Number of the act.
    act_number: Mapped[str] = mapped_column(sa.String(40), default="")
    #: Photo of the signed act.
    act_id: Mapped[int | None] = mapped_column(sa.ForeignKey("eco_acts.id", ondelete="SET NULL"))
    #: The responsible person (usually the chemistry teacher).
    responsible_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: Who recorded it.
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: When it was recorded.
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)

    responsible: Mapped[User | None] = relationship(foreign_keys=[responsible_id])  # noqa: F821


class GreeningItem(db.Model):
    """One line of the greening plan: a planting or a care job, by a date, done or not."""

    __tablename__ = "eco_greening"

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: Planting or care.
    kind: Mapped[GreeningKind] = enum_column(GreeningKind)
    #: What ("20 elm saplings", "watering the flower beds").
    title: Mapped[str] = mapped_column(sa.String(200))
    #: Where on the territory.
    place: Mapped[str] = mapped_column(sa.String(120), default="")
    #: By when.
    planned_on: Mapped[dt.date] = mapped_column(index=True)
    #: Day it was done; None while not done.
    done_on: Mapped[dt.date | None]
    #: When it was recorded.
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)
