"""Canteen: classes, capacity and school hours, meal schedules and sittings, the person in charge,
the daily sanitary check and the primary-grade breakfast tally.

Classes are the drills area's `SchoolClass` (name, grade, size, homeroom teacher): one list of
classes for the whole school."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..drills.models import SchoolClass
from ..extensions import db
from ..models_base import enum_column, intpk, school_fk
from ..time import now_utc

#: Highest grade that gets the free breakfast (grades 1–4 are primary).
PRIMARY_MAX_GRADE = 4


def is_primary(klass) -> bool:
    """Grades 1–4 get the free breakfast."""
    return 1 <= klass.grade <= PRIMARY_MAX_GRADE


class CanteenSettings(db.Model):
    """Capacity of the dining hall and the school day within which meals are served."""

    __tablename__ = "canteen_settings"
    __table_args__ = (
        sa.UniqueConstraint("school_id"),
        sa.CheckConstraint("capacity > 0", name="capacity_positive"),
        sa.CheckConstraint("day_starts < day_ends", name="day_ordered"),
    )

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: Seats in the dining hall.
    capacity: Mapped[int] = mapped_column(default=120)
    #: First minute a meal may be served (school-local).
    day_starts: Mapped[dt.time] = mapped_column(default=dt.time(7, 30))
    #: Last minute a meal may end (school-local).
    day_ends: Mapped[dt.time] = mapped_column(default=dt.time(18, 0))


class ScheduleStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    SUPERSEDED = "superseded"


SCHEDULE_STATUS_LABELS = {
    ScheduleStatus.DRAFT: _l("Draft"),
    ScheduleStatus.APPROVED: _l("Approved"),
    ScheduleStatus.SUPERSEDED: _l("Replaced"),
}


class MealSchedule(db.Model):
    """One version of the week's meal schedule.  Edits go to the draft; the director approves it."""

    __tablename__ = "meal_schedules"

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: draft → approved → superseded (by the next approved one).
    status: Mapped[ScheduleStatus] = enum_column(ScheduleStatus, default=ScheduleStatus.DRAFT)
    #: When the draft was started.
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)
    #: When the director approved it.
    approved_dt: Mapped[dt.datetime | None]
    #: The director who approved it.
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    sittings: Mapped[list[Sitting]] = relationship(back_populates="schedule", cascade="all, delete-orphan",
                                                   order_by="(Sitting.weekday, Sitting.starts)")
    approved_by: Mapped[User | None] = relationship()  # noqa: F821


class Sitting(db.Model):
    """A class's meal time on one weekday."""

    __tablename__ = "sittings"
    __table_args__ = (
        sa.UniqueConstraint("schedule_id", "class_id", "weekday"),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        sa.CheckConstraint("starts < ends", name="times_ordered"),
    )

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: Schedule version it belongs to.
    schedule_id: Mapped[int] = mapped_column(sa.ForeignKey("meal_schedules.id", ondelete="CASCADE"), index=True)
    #: The class that eats.
    class_id: Mapped[int] = mapped_column(sa.ForeignKey("school_classes.id", ondelete="CASCADE"), index=True)
    #: Day of the week, 0 = Monday.
    weekday: Mapped[int]
    #: Start (school-local wall time).
    starts: Mapped[dt.time]
    #: End (school-local wall time).
    ends: Mapped[dt.time]

    schedule: Mapped[MealSchedule] = relationship(back_populates="sittings")
    school_class: Mapped[SchoolClass] = relationship()


class CanteenDuty(db.Model):
    """The person in charge of the canteen on one day (when no roster post says otherwise)."""

    __tablename__ = "canteen_duties"
    __table_args__ = (sa.UniqueConstraint("school_id", "day"),)

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: The day.
    day: Mapped[dt.date]
    #: The person in charge.
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)

    user: Mapped[User] = relationship()  # noqa: F821


class SanitaryCheck(db.Model):
    """The daily sanitary check of the canteen (one per school and day)."""

    __tablename__ = "sanitary_checks"
    __table_args__ = (sa.UniqueConstraint("school_id", "day"),)

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: School day checked.
    day: Mapped[dt.date]
    #: Checklist template id (from checklists/).
    template_id: Mapped[str] = mapped_column(sa.String(64))
    #: Content hash of the template file the ticks were made against.
    template_hash: Mapped[str] = mapped_column(sa.String(64), default="")
    #: Who ticked it last.
    checked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: Last change.
    updated_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)
    #: Every item answered.
    is_complete: Mapped[bool] = mapped_column(default=False)

    ticks: Mapped[list[SanitaryTick]] = relationship(back_populates="check", cascade="all, delete-orphan")
    checked_by: Mapped[User | None] = relationship()  # noqa: F821


class SanitaryTick(db.Model):
    """One answered item of a sanitary check, with the wording it was answered against."""

    __tablename__ = "sanitary_ticks"
    __table_args__ = (sa.UniqueConstraint("check_id", "item_id"),)

    id: Mapped[intpk]
    #: The check.
    check_id: Mapped[int] = mapped_column(sa.ForeignKey("sanitary_checks.id", ondelete="CASCADE"), index=True)
    #: Item id in the template.
    item_id: Mapped[str] = mapped_column(sa.String(64))
    #: The item's text when answered (snapshot, in the checker's language).
    item_text: Mapped[str] = mapped_column(sa.String(200), default="")
    #: True = fine, False = a problem.
    is_ok: Mapped[bool]
    #: What is wrong (required on a problem).
    note: Mapped[str] = mapped_column(sa.String(500), default="")

    check: Mapped[SanitaryCheck] = relationship(back_populates="ticks")


class BreakfastTally(db.Model):
    """Breakfasts of one primary class on one day."""

    __tablename__ = "breakfast_tallies"
    __table_args__ = (
        sa.UniqueConstraint("class_id", "day"),
        sa.CheckConstraint("served >= 0 AND absent >= 0 AND substitutions >= 0", name="counts_positive"),
        sa.CheckConstraint("substitutions <= served", name="substitutions_served"),
        sa.CheckConstraint("served + absent <= class_size", name="within_class_size"),
    )

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: The class.
    class_id: Mapped[int] = mapped_column(sa.ForeignKey("school_classes.id", ondelete="CASCADE"), index=True)
    #: The school day.
    day: Mapped[dt.date] = mapped_column(index=True)
    #: Breakfasts served.
    served: Mapped[int] = mapped_column(default=0)
    #: Students absent.
    absent: Mapped[int] = mapped_column(default=0)
    #: Breakfasts where milk and bun were replaced by an item of the same price.
    substitutions: Mapped[int] = mapped_column(default=0)
    #: Class size on that day (the tally is checked against it; kept for the accounts).
    class_size: Mapped[int] = mapped_column(default=0)
    #: Who entered it.
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: Last change.
    updated_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)

    school_class: Mapped[SchoolClass] = relationship()
