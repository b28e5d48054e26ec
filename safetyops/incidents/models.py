"""Road-traffic incidents of students, road-safety briefings and pre-event briefings."""

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


class TravelMode(StrEnum):
    PEDESTRIAN = "pedestrian"
    PASSENGER = "passenger"
    CYCLIST = "cyclist"
    SCOOTER = "scooter"


MODE_LABELS = {
    TravelMode.PEDESTRIAN: _l("Pedestrian"),
    TravelMode.PASSENGER: _l("Passenger"),
    TravelMode.CYCLIST: _l("Cyclist"),
    TravelMode.SCOOTER: _l("Scooter"),
}


class Severity(StrEnum):
    NONE = "none"
    LIGHT = "light"
    SERIOUS = "serious"
    FATAL = "fatal"


SEVERITY_LABELS = {
    Severity.NONE: _l("No injury"),
    Severity.LIGHT: _l("Light injury"),
    Severity.SERIOUS: _l("Serious injury"),
    Severity.FATAL: _l("Fatal"),
}


class IncidentStatus(StrEnum):
    OPEN = "open"
    MEASURES = "measures"
    CLOSED = "closed"


STATUS_LABELS = {
    IncidentStatus.OPEN: _l("Registered"),
    IncidentStatus.MEASURES: _l("Measures under way"),
    IncidentStatus.CLOSED: _l("Closed"),
}


class Journey(StrEnum):
    TO_SCHOOL = "to_school"
    FROM_SCHOOL = "from_school"
    OTHER = "other"


JOURNEY_LABELS = {
    Journey.TO_SCHOOL: _l("On the way to school"),
    Journey.FROM_SCHOOL: _l("On the way home from school"),
    Journey.OTHER: _l("Not on the way to or from school"),
}


class RoadIncident(db.Model):
    """A road-traffic incident involving a student.  The name is personal data: kept only with the
    parents' consent, and wiped (with the coordinates) after the school's retention period."""

    __tablename__ = "road_incidents"
    __table_args__ = (
        sa.Index("ix_road_incidents_school_occurred", "school_id", "occurred_dt"),
        sa.CheckConstraint("latitude IS NULL OR (latitude BETWEEN -90 AND 90)", name="latitude_range"),
        sa.CheckConstraint("longitude IS NULL OR (longitude BETWEEN -180 AND 180)", name="longitude_range"),
        sa.CheckConstraint("has_consent OR student_name = ''", name="name_needs_consent"),
    )

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: When it happened (UTC).
    occurred_dt: Mapped[dt.datetime]
    #: Where, as people say it ("Ахунбаев / Токтогул crossing").
    place: Mapped[str] = mapped_column(sa.String(200))
    #: The place folded for grouping (lower case, single spaces): repeats are found on it.
    place_key: Mapped[str] = mapped_column(sa.String(200), index=True)
    #: Optional coordinates (personal data near a home: wiped with the name).
    latitude: Mapped[float | None]
    #: Optional coordinates.
    longitude: Mapped[float | None]
    #: The student's name; "" without consent or once anonymised.
    student_name: Mapped[str] = mapped_column(sa.String(120), default="")
    #: The parents' written consent to keep the name.
    has_consent: Mapped[bool] = mapped_column(default=False)
    #: The student's class (kept after anonymisation).
    class_id: Mapped[int | None] = mapped_column(sa.ForeignKey("school_classes.id", ondelete="SET NULL"),
                                                 index=True)
    #: The class's grade at the time (for the age group, kept if the class is retired).
    grade: Mapped[int | None]
    #: How the student was travelling.
    mode: Mapped[TravelMode] = enum_column(TravelMode)
    #: On the way to or from school, or not.
    journey: Mapped[Journey] = enum_column(Journey)
    #: How badly the student was hurt.
    severity: Mapped[Severity] = enum_column(Severity)
    #: What happened.
    description: Mapped[str] = mapped_column(sa.Text, default="")
    #: Traffic police report number.
    police_report: Mapped[str] = mapped_column(sa.String(40), default="")
    #: When the parents were informed (UTC).
    parents_informed_dt: Mapped[dt.datetime | None]
    #: Staff member who informed the parents.
    parents_informed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: Measures taken by the school.
    measures: Mapped[str] = mapped_column(sa.Text, default="")
    #: Registered → measures under way → closed.
    status: Mapped[IncidentStatus] = enum_column(IncidentStatus, default=IncidentStatus.OPEN)
    #: Who registered it.
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: When it was registered.
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)
    #: When the personal data was wiped (None while kept).
    anonymised_dt: Mapped[dt.datetime | None]

    school_class: Mapped[SchoolClass | None] = relationship()
    parents_informed_by: Mapped[User | None] = relationship(foreign_keys=[parents_informed_by_id])  # noqa: F821

    @property
    def is_anonymised(self) -> bool:
        return self.anonymised_dt is not None


class IncidentSettings(db.Model):
    """Per-school retention of incident personal data."""

    __tablename__ = "incident_settings"
    __table_args__ = (sa.UniqueConstraint("school_id"),
                      sa.CheckConstraint("retention_months BETWEEN 1 AND 240", name="retention_range"))

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: Months after the incident when the name and coordinates are wiped.
    retention_months: Mapped[int] = mapped_column(default=36)


DEFAULT_RETENTION_MONTHS = 36


class BriefingPlanItem(db.Model):
    """A planned road-safety briefing of a class."""

    __tablename__ = "briefing_plan_items"

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: The class.
    class_id: Mapped[int] = mapped_column(sa.ForeignKey("school_classes.id", ondelete="CASCADE"), index=True)
    #: Topic of the briefing.
    topic: Mapped[str] = mapped_column(sa.String(200))
    #: Planned date.
    planned_on: Mapped[dt.date] = mapped_column(index=True)

    school_class: Mapped[SchoolClass] = relationship()
    briefings: Mapped[list[Briefing]] = relationship(back_populates="plan_item")


class EventKind(StrEnum):
    EXCURSION = "excursion"
    HIKE = "hike"
    SPORTS = "sports"


EVENT_KIND_LABELS = {
    EventKind.EXCURSION: _l("Excursion"),
    EventKind.HIKE: _l("Hike"),
    EventKind.SPORTS: _l("Sports event"),
}

event_classes = sa.Table(
    "school_event_classes",
    db.Model.metadata,
    sa.Column("event_id", sa.ForeignKey("school_events.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("class_id", sa.ForeignKey("school_classes.id", ondelete="CASCADE"), primary_key=True),
)


class SchoolEvent(db.Model):
    """An excursion, hike or sports event: every class taking part must be briefed before it."""

    __tablename__ = "school_events"

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: Excursion, hike or sports event.
    kind: Mapped[EventKind] = enum_column(EventKind)
    #: What and where ("Ала-Арча hike").
    title: Mapped[str] = mapped_column(sa.String(200))
    #: Date of the event.
    held_on: Mapped[dt.date] = mapped_column(index=True)
    #: Who planned it.
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    classes: Mapped[list[SchoolClass]] = relationship(secondary=event_classes,
                                                       order_by="SchoolClass.name")
    briefings: Mapped[list[Briefing]] = relationship(back_populates="event")

    def unbriefed_classes(self) -> list:
        done = {b.class_id for b in self.briefings}
        return [c for c in self.classes if c.id not in done]


class BriefingKind(StrEnum):
    ROAD = "road"
    EVENT = "event"


class Briefing(db.Model):
    """A briefing that was held: road safety (from the plan or not) or before an event."""

    __tablename__ = "briefings"
    __table_args__ = (sa.CheckConstraint("students_present >= 0", name="present_positive"),
                      sa.CheckConstraint("kind <> 'event' OR event_id IS NOT NULL", name="event_named"))

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: Road-safety or pre-event.
    kind: Mapped[BriefingKind] = enum_column(BriefingKind)
    #: The class briefed.
    class_id: Mapped[int] = mapped_column(sa.ForeignKey("school_classes.id", ondelete="CASCADE"), index=True)
    #: Date held.
    held_on: Mapped[dt.date] = mapped_column(index=True)
    #: Topic.
    topic: Mapped[str] = mapped_column(sa.String(200))
    #: Who held it.
    held_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: Students present.
    students_present: Mapped[int] = mapped_column(default=0)
    #: The plan line it fulfils, if any.
    plan_item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("briefing_plan_items.id", ondelete="SET NULL"),
                                                     index=True)
    #: The event it prepares, for a pre-event briefing.
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("school_events.id", ondelete="CASCADE"), index=True)
    #: When it was recorded.
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)

    school_class: Mapped[SchoolClass] = relationship()
    held_by: Mapped[User | None] = relationship()  # noqa: F821
    plan_item: Mapped[BriefingPlanItem | None] = relationship(back_populates="briefings")
    event: Mapped[SchoolEvent | None] = relationship(back_populates="briefings")
