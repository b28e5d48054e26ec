"""Districts, schools, zones, memberships (a role per school) and appointments."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.roles import Role
from ..extensions import db
from ..models_base import enum_column, intpk, school_fk
from ..time import now_utc


class District(db.Model):
    __tablename__ = "districts"

    id: Mapped[intpk]
    #: Name of the district (raion) education office.
    name: Mapped[str] = mapped_column(sa.String(200))
    #: ISO country code: KG or KZ; the default region for phone numbers.
    country: Mapped[str] = mapped_column(sa.String(2), default="KG")

    schools: Mapped[list[School]] = relationship(back_populates="district")


class School(db.Model):
    __tablename__ = "schools"

    id: Mapped[intpk]
    #: District office the school reports to.
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id"), index=True)
    #: Official name, e.g. "School-gymnasium No. 95".
    name: Mapped[str] = mapped_column(sa.String(200))
    #: Postal address.
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    #: IANA time zone: Asia/Bishkek, Asia/Almaty…
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Asia/Bishkek")
    #: Language for people who have not chosen one.
    default_locale: Mapped[str] = mapped_column(sa.String(5), default="ky")

    district: Mapped[District] = relationship(back_populates="schools")
    zones: Mapped[list[Zone]] = relationship(back_populates="school", order_by="Zone.name")

    @property
    def country(self) -> str:
        return self.district.country


class ZoneKind(StrEnum):
    GATE = "gate"
    CORRIDOR = "corridor"
    STAIRWELL = "stairwell"
    CLASSROOM = "classroom"
    CANTEEN = "canteen"
    KITCHEN = "kitchen"
    GYM = "gym"
    LAB = "lab"
    ELECTRICAL_ROOM = "electrical_room"
    BOILER_ROOM = "boiler_room"
    YARD = "yard"
    OFFICE = "office"
    OTHER = "other"


ZONE_KIND_LABELS = {
    ZoneKind.GATE: _l("Gate / entrance"),
    ZoneKind.CORRIDOR: _l("Corridor"),
    ZoneKind.STAIRWELL: _l("Stairwell"),
    ZoneKind.CLASSROOM: _l("Classroom"),
    ZoneKind.CANTEEN: _l("Canteen"),
    ZoneKind.KITCHEN: _l("Kitchen"),
    ZoneKind.GYM: _l("Gym"),
    ZoneKind.LAB: _l("Laboratory"),
    ZoneKind.ELECTRICAL_ROOM: _l("Electrical room"),
    ZoneKind.BOILER_ROOM: _l("Boiler room"),
    ZoneKind.YARD: _l("Yard / territory"),
    ZoneKind.OFFICE: _l("Office"),
    ZoneKind.OTHER: _l("Other"),
}


class Zone(db.Model):
    __tablename__ = "zones"
    __table_args__ = (sa.UniqueConstraint("school_id", "name"),)

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: Short name staff use ("1st floor east corridor").
    name: Mapped[str] = mapped_column(sa.String(120))
    #: Building name or number, for schools with several.
    building: Mapped[str] = mapped_column(sa.String(60), default="")
    #: Floor number (0 = ground, -1 = basement); None for outdoor zones.
    floor: Mapped[int | None]
    #: What the zone is; checklists apply by kind.
    kind: Mapped[ZoneKind] = enum_column(ZoneKind)
    #: Retired zones stay for history but are hidden from new work.
    is_active: Mapped[bool] = mapped_column(default=True)

    school: Mapped[School] = relationship(back_populates="zones")


class Membership(db.Model):
    """A person's role at one school."""

    __tablename__ = "memberships"
    __table_args__ = (sa.UniqueConstraint("user_id", "school_id"),)

    id: Mapped[intpk]
    #: The person.
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: The school.
    school_id: Mapped[int] = school_fk()
    #: Their role there.
    role: Mapped[Role] = enum_column(Role)

    user: Mapped[User] = relationship(back_populates="memberships")  # noqa: F821
    school: Mapped[School] = relationship()


class DistrictMembership(db.Model):
    """A district inspector: read-only across every school of the district."""

    __tablename__ = "district_memberships"
    __table_args__ = (sa.UniqueConstraint("user_id", "district_id"),)

    id: Mapped[intpk]
    #: The inspector.
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: The district they oversee.
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id", ondelete="CASCADE"), index=True)

    user: Mapped[User] = relationship(back_populates="district_memberships")  # noqa: F821
    district: Mapped[District] = relationship()


class Area(StrEnum):
    FIRE_SAFETY = "fire_safety"
    ELECTRICAL_SAFETY = "electrical_safety"
    CIVIL_DEFENCE = "civil_defence"
    CANTEEN = "canteen"
    INFORMATION_SECURITY = "information_security"
    ECOLOGY = "ecology"
    ACCESS_CONTROL = "access_control"
    ANTI_TERROR = "anti_terror"
    PSYCHOLOGY = "psychology"


AREA_LABELS = {
    Area.FIRE_SAFETY: _l("Fire safety"),
    Area.ELECTRICAL_SAFETY: _l("Electrical safety"),
    Area.CIVIL_DEFENCE: _l("Civil defence and emergencies"),
    Area.CANTEEN: _l("Canteen and food safety"),
    Area.INFORMATION_SECURITY: _l("Information security"),
    Area.ECOLOGY: _l("Ecological safety"),
    Area.ACCESS_CONTROL: _l("Access control and territory"),
    Area.ANTI_TERROR: _l("Physical security and anti-terror protection"),
    Area.PSYCHOLOGY: _l("Psychological safety (school psychologist)"),
}


class Appointment(db.Model):
    """A responsible person appointed by the director's order."""

    __tablename__ = "appointments"
    __table_args__ = (sa.CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="dates_ordered"),)

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: The person appointed.
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: The area they answer for.
    area: Mapped[Area] = enum_column(Area)
    #: Number of the director's order.
    order_number: Mapped[str] = mapped_column(sa.String(40))
    #: Date of the order.
    order_date: Mapped[dt.date]
    #: First day in charge.
    starts_on: Mapped[dt.date]
    #: Last day in charge; None while in force.
    ends_on: Mapped[dt.date | None]
    #: When it was recorded.
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)

    user: Mapped[User] = relationship()  # noqa: F821

    def in_force(self, day: dt.date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)


class CalendarKind(StrEnum):
    TERM = "term"
    HOLIDAY = "holiday"
    DAY_OFF = "day_off"
    SHORT_DAY = "short_day"
    SCHOOL_DAY = "school_day"


CALENDAR_KIND_LABELS = {
    CalendarKind.TERM: _l("Term"),
    CalendarKind.HOLIDAY: _l("School holidays"),
    CalendarKind.DAY_OFF: _l("Day off at the school"),
    CalendarKind.SHORT_DAY: _l("Shortened day"),
    CalendarKind.SCHOOL_DAY: _l("School day (instead of a holiday)"),
}


class CalendarEntry(db.Model):
    """A line of the school's calendar: a term, school holidays, a day off of the school's own, a shortened
    day, or a school day on a national holiday or a weekend (the national holidays themselves come from
    the `holidays` library, not from this table)."""

    __tablename__ = "school_calendar"
    __table_args__ = (sa.CheckConstraint("last_day >= first_day", name="days_ordered"),)

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: What the days are.
    kind: Mapped[CalendarKind] = enum_column(CalendarKind)
    #: Its name as the school writes it ("1-чейрек", "Кышкы каникул").
    name: Mapped[str] = mapped_column(sa.String(120), default="")
    #: First day (school-local).
    first_day: Mapped[dt.date]
    #: Last day, included.
    last_day: Mapped[dt.date]
    #: When it was recorded.
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)
