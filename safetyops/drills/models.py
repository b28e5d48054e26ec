"""Classes, assembly points, the drill plan, drills and their roll-call, findings, training, civil defence."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import enum_column, intpk, school_fk
from ..time import now_utc


class DrillKind(StrEnum):
    FIRE = "fire"
    EARTHQUAKE = "earthquake"
    LOCKDOWN = "lockdown"
    CHEMICAL = "chemical"
    MEDICAL = "medical"  # a real emergency only (raised with the alarm button), never a planned drill
    OTHER = "other"  # a real emergency only


#: Kinds a drill can be planned and started as (medical and other are alarms only).
DRILL_KINDS = (DrillKind.FIRE, DrillKind.EARTHQUAKE, DrillKind.LOCKDOWN, DrillKind.CHEMICAL)
#: What the alarm button offers, in this order.
ALARM_KINDS = (DrillKind.FIRE, DrillKind.EARTHQUAKE, DrillKind.LOCKDOWN, DrillKind.MEDICAL, DrillKind.OTHER)
#: Kinds where nobody leaves the building: classes report "sheltered", the clock measures "all rooms secured".
SHELTER_KINDS = frozenset({DrillKind.LOCKDOWN})

DRILL_KIND_LABELS = {
    DrillKind.FIRE: _l("Fire evacuation"),
    DrillKind.EARTHQUAKE: _l("Earthquake"),
    DrillKind.LOCKDOWN: _l("Lockdown / shelter in place"),
    DrillKind.CHEMICAL: _l("Chemical release"),
    DrillKind.MEDICAL: _l("Medical emergency"),
    DrillKind.OTHER: _l("Other emergency"),
}

#: The alarm button's words (short: they are big buttons on a phone).
ALARM_KIND_LABELS = {
    DrillKind.FIRE: _l("Fire"),
    DrillKind.EARTHQUAKE: _l("Earthquake"),
    DrillKind.LOCKDOWN: _l("Intruder / lockdown"),
    DrillKind.MEDICAL: _l("Medical"),
    DrillKind.OTHER: _l("Other"),
}

#: Target evacuation time (seconds) used until the school sets its own.
DEFAULT_TARGET_SECONDS = {
    DrillKind.FIRE: 180,
    DrillKind.EARTHQUAKE: 240,
    DrillKind.LOCKDOWN: 300,
    DrillKind.CHEMICAL: 300,
    DrillKind.MEDICAL: 300,
    DrillKind.OTHER: 300,
}

#: The public emergency numbers (Kyrgyzstan and Kazakhstan alike), shown as tel: links.  102 is the
#: militsiya in Kyrgyzstan and the police in Kazakhstan (one word per country, docs: DOMAIN terms).
EMERGENCY_NUMBERS = (
    ("101", _l("Fire service")),
    ("102", {"KG": _l("Militsiya"), "KZ": _l("Police")}),
    ("103", _l("Ambulance")),
    ("112", _l("Emergency (112)")),
)


class Course(StrEnum):
    FIRE_SAFETY = "fire_safety"
    CIVIL_DEFENCE = "civil_defence"
    FIRST_AID = "first_aid"
    ELECTRICAL = "electrical"


COURSE_LABELS = {
    Course.FIRE_SAFETY: _l("Fire safety"),
    Course.CIVIL_DEFENCE: _l("Civil defence and emergencies"),
    Course.FIRST_AID: _l("First aid"),
    Course.ELECTRICAL: _l("Electrical safety group"),
}


class CdFunction(StrEnum):
    HEAD = "head"
    CHIEF_OF_STAFF = "chief_of_staff"
    EVACUATION = "evacuation"
    FIREFIGHTING = "firefighting"
    FIRST_AID = "first_aid"
    PUBLIC_ORDER = "public_order"
    COMMUNICATIONS = "communications"
    SHELTER = "shelter"


CD_FUNCTION_LABELS = {
    CdFunction.HEAD: _l("Head of civil defence"),
    CdFunction.CHIEF_OF_STAFF: _l("Chief of staff"),
    CdFunction.EVACUATION: _l("Evacuation"),
    CdFunction.FIREFIGHTING: _l("Firefighting team"),
    CdFunction.FIRST_AID: _l("First aid team"),
    CdFunction.PUBLIC_ORDER: _l("Public order"),
    CdFunction.COMMUNICATIONS: _l("Communications and warning"),
    CdFunction.SHELTER: _l("Shelter and protective equipment"),
}


class AssemblyPoint(db.Model):
    __tablename__ = "drill_assembly_points"
    __table_args__ = (sa.UniqueConstraint("school_id", "name"),)

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: Short name ("Stadium, north side").
    name: Mapped[str] = mapped_column(sa.String(120))
    #: How to find it.
    description: Mapped[str] = mapped_column(sa.String(300), default="")
    #: Retired points stay for history.
    is_active: Mapped[bool] = mapped_column(default=True)


class SchoolClass(db.Model):
    """A class group (5А, 11Б): no student list, only how many are on the register."""

    __tablename__ = "school_classes"
    __table_args__ = (
        sa.UniqueConstraint("school_id", "name"),
        sa.CheckConstraint("students >= 0 AND students <= 60", name="students_range"),
    )

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: Name as the school writes it: 5А, 11Б.
    name: Mapped[str] = mapped_column(sa.String(20))
    #: Grade 0–12, for sorting.
    grade: Mapped[int] = mapped_column(default=0)
    #: Homeroom (class) teacher, who reports the class in a drill.
    homeroom_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    #: Number of students on the register.
    students: Mapped[int] = mapped_column(default=0)
    #: Where the class gathers.
    assembly_point_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("drill_assembly_points.id", ondelete="SET NULL"))
    #: Classes that ended stay for history.
    is_active: Mapped[bool] = mapped_column(default=True)
    #: When it was recorded (a drill expects the classes that existed when it started).
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)

    homeroom: Mapped[User | None] = relationship()  # noqa: F821
    assembly_point: Mapped[AssemblyPoint | None] = relationship()


class DrillTarget(db.Model):
    __tablename__ = "drill_targets"
    __table_args__ = (
        sa.UniqueConstraint("school_id", "kind"),
        sa.CheckConstraint("seconds > 0", name="seconds_positive"),
    )

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: Kind of drill.
    kind: Mapped[DrillKind] = enum_column(DrillKind)
    #: Target evacuation time in seconds.
    seconds: Mapped[int]


class PlannedDrill(db.Model):
    """A line of the yearly drill plan."""

    __tablename__ = "drill_plans"

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: Kind of drill.
    kind: Mapped[DrillKind] = enum_column(DrillKind)
    #: Target date.
    target_date: Mapped[dt.date]
    #: Announced to staff beforehand, or unannounced.
    is_announced: Mapped[bool] = mapped_column(default=True)
    #: Free note ("with the fire service", "2nd shift").
    note: Mapped[str] = mapped_column(sa.String(200), default="")

    drill: Mapped[Drill | None] = relationship(back_populates="plan")


def evacuation_time(started_dt: dt.datetime, first_dts) -> int | None:
    """A drill's time, in whole seconds: from the alarm (`started_dt`) to the last class's first report
    (evacuated, or all rooms secured); None before any class reported.  The one computation behind the
    board's clock, the after-action page, its PDF, the charts and the safety report (issue 14: the board
    read 3:38 while the PDF read 2:38).  Naive times are UTC (SQLite's aggregates drop the zone)."""
    start = started_dt if started_dt.tzinfo else started_dt.replace(tzinfo=dt.UTC)
    seconds = [int(((t if t.tzinfo else t.replace(tzinfo=dt.UTC)) - start).total_seconds())
               for t in first_dts if t is not None]
    return max(seconds) if seconds else None


def clock(seconds: int | float | None) -> str:
    """A drill's time as every page and PDF writes it: "2:38" (minutes:seconds), "—" when there is none."""
    if seconds is None:
        return "—"
    seconds = int(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


class Drill(db.Model):
    """A drill or a real emergency, from the start to "all clear"."""

    __tablename__ = "drills"
    __table_args__ = (
        # One live drill per school: a second start is refused by the database too.
        sa.Index("uq_drills_one_live", "school_id", unique=True,
                 sqlite_where=sa.text("ended_dt IS NULL"), postgresql_where=sa.text("ended_dt IS NULL")),
        sa.CheckConstraint("ended_dt IS NULL OR ended_dt >= started_dt", name="dates_ordered"),
    )

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: Kind of drill (or of emergency).
    kind: Mapped[DrillKind] = enum_column(DrillKind)
    #: A real emergency, not a drill.
    is_real: Mapped[bool] = mapped_column(default=False)
    #: Announced to staff beforehand.
    is_announced: Mapped[bool] = mapped_column(default=True)
    #: The plan line this drill fulfils.
    plan_id: Mapped[int | None] = mapped_column(sa.ForeignKey("drill_plans.id", ondelete="SET NULL"), unique=True)
    #: Target evacuation time in seconds, copied at the start.
    target_seconds: Mapped[int]
    #: When the alarm was given.
    started_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)
    #: Who started it.
    started_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: "All clear": the clock stopped.  None while live.
    ended_dt: Mapped[dt.datetime | None]
    #: Who gave the all clear.
    ended_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: How many SMS were queued at the start.
    sms_queued: Mapped[int] = mapped_column(default=0)
    #: Observers' notes (after-action).
    observers_notes: Mapped[str] = mapped_column(sa.Text, default="")
    #: Participants besides classes (fire service, parents' committee…).
    participants: Mapped[str] = mapped_column(sa.Text, default="")
    #: Where the alarm was raised (a real emergency raised with the alarm button).
    zone_id: Mapped[int | None] = mapped_column(sa.ForeignKey("zones.id", ondelete="SET NULL"))
    #: The raiser's line of text ("smoke on the 2nd floor").
    alarm_note: Mapped[str] = mapped_column(sa.String(200), default="")
    #: A false alarm cancelled: when (then also ended_dt), by whom, why.
    cancelled_dt: Mapped[dt.datetime | None]
    #: Who cancelled the false alarm.
    cancelled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: Why it was a false alarm.
    cancel_reason: Mapped[str] = mapped_column(sa.String(300), default="")

    school: Mapped[School] = relationship()  # noqa: F821
    plan: Mapped[PlannedDrill | None] = relationship(back_populates="drill")
    started_by: Mapped[User | None] = relationship(foreign_keys=[started_by_id])  # noqa: F821
    ended_by: Mapped[User | None] = relationship(foreign_keys=[ended_by_id])  # noqa: F821
    reports: Mapped[list[ClassReport]] = relationship(back_populates="drill", order_by="ClassReport.first_dt")
    findings: Mapped[list[DrillFinding]] = relationship(back_populates="drill", order_by="DrillFinding.id")
    zone: Mapped[Zone | None] = relationship()  # noqa: F821
    alarms: Mapped[list[DrillAlarm]] = relationship(back_populates="drill", order_by="DrillAlarm.raised_dt")

    @property
    def is_live(self) -> bool:
        return self.ended_dt is None

    @property
    def is_shelter(self) -> bool:
        """Lockdown / shelter in place: classes are sheltered in their rooms, not evacuated."""
        return self.kind in SHELTER_KINDS


class DrillAlarm(db.Model):
    """One press of the alarm button: the first starts a real emergency, later ones join it."""

    __tablename__ = "drill_alarms"

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: The emergency it started or joined.
    drill_id: Mapped[int] = mapped_column(sa.ForeignKey("drills.id", ondelete="CASCADE"), index=True)
    #: Who raised it.
    raised_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: What they saw.
    kind: Mapped[DrillKind] = enum_column(DrillKind)
    #: Where.
    zone_id: Mapped[int | None] = mapped_column(sa.ForeignKey("zones.id", ondelete="SET NULL"))
    #: Their line of text.
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    #: When.
    raised_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)
    #: A later press that joined a live emergency (no second emergency, no second SMS).
    is_join: Mapped[bool] = mapped_column(default=False)

    drill: Mapped[Drill] = relationship(back_populates="alarms")
    raised_by: Mapped[User | None] = relationship()  # noqa: F821
    zone: Mapped[Zone | None] = relationship()  # noqa: F821


class EmergencyContact(db.Model):
    """A school's own emergency number (security company, district education office), beside 101–112."""

    __tablename__ = "emergency_contacts"

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: Who answers ("Security company Kalkan").
    label: Mapped[str] = mapped_column(sa.String(80))
    #: The number to dial, as typed (+996 312 …, short numbers allowed).
    number: Mapped[str] = mapped_column(sa.String(30))
    #: Order on the alert screen.
    position: Mapped[int] = mapped_column(default=0)


class ClassReport(db.Model):
    """A homeroom teacher's roll-call at the assembly point; a second report updates the first."""

    __tablename__ = "drill_class_reports"
    __table_args__ = (
        sa.UniqueConstraint("drill_id", "class_id"),
        sa.CheckConstraint("on_register >= 0 AND present >= 0 AND evacuated >= 0 AND injured >= 0",
                           name="not_negative"),
        sa.CheckConstraint("present <= on_register", name="present_le_register"),
        sa.CheckConstraint("evacuated <= present", name="evacuated_le_present"),
        sa.CheckConstraint("injured <= present", name="injured_le_present"),
    )

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: The drill.
    drill_id: Mapped[int] = mapped_column(sa.ForeignKey("drills.id", ondelete="CASCADE"), index=True)
    #: The class reported.
    class_id: Mapped[int] = mapped_column(sa.ForeignKey("school_classes.id", ondelete="CASCADE"), index=True)
    #: Who reported last.
    reporter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: Students on the register.
    on_register: Mapped[int]
    #: Students in school today.
    present: Mapped[int]
    #: Students at the assembly point.
    evacuated: Mapped[int]
    #: Names of missing students (typed only when someone is missing).
    missing_names: Mapped[str] = mapped_column(sa.String(500), default="")
    #: Students injured.
    injured: Mapped[int] = mapped_column(default=0)
    #: First report: the class's evacuation time.
    first_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)
    #: Last update.
    updated_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)

    drill: Mapped[Drill] = relationship(back_populates="reports")
    school_class: Mapped[SchoolClass] = relationship()
    reporter: Mapped[User | None] = relationship()  # noqa: F821

    @property
    def missing(self) -> int:
        return self.present - self.evacuated


class DrillFinding(db.Model):
    """Something the after-action review found; may raise a corrective action."""

    __tablename__ = "drill_findings"

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: The drill.
    drill_id: Mapped[int] = mapped_column(sa.ForeignKey("drills.id", ondelete="CASCADE"), index=True)
    #: What was found.
    text: Mapped[str] = mapped_column(sa.String(500))
    #: critical, major or minor.
    severity: Mapped[str] = mapped_column(sa.String(10), default="minor")
    #: The corrective action raised in inspections (no foreign key: that area is optional).
    action_id: Mapped[int | None]
    #: Who recorded it.
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: When.
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)

    drill: Mapped[Drill] = relationship(back_populates="findings")


class TrainingRecord(db.Model):
    """One completed safety course of one person, with its certificate."""

    __tablename__ = "training_records"
    __table_args__ = (
        sa.CheckConstraint("expires_on IS NULL OR expires_on >= taken_on", name="dates_ordered"),
        sa.CheckConstraint("electrical_group IS NULL OR (electrical_group >= 1 AND electrical_group <= 5)",
                           name="group_range"),
    )

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: The person trained.
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: The course.
    course: Mapped[Course] = enum_column(Course)
    #: Date of the course or exam.
    taken_on: Mapped[dt.date]
    #: Valid until; None = does not expire.
    expires_on: Mapped[dt.date | None] = mapped_column(index=True)
    #: Certificate number.
    certificate_no: Mapped[str] = mapped_column(sa.String(40), default="")
    #: Electrical safety group I–V (only for that course).
    electrical_group: Mapped[int | None]
    #: When it was recorded.
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)

    user: Mapped[User] = relationship()  # noqa: F821


class CdMember(db.Model):
    """A member of the civil-defence (emergency) staff: an appointment of the foundation plus a function."""

    __tablename__ = "civil_defence_members"

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: The director's order (schools.Appointment with area civil_defence).
    appointment_id: Mapped[int] = mapped_column(sa.ForeignKey("appointments.id", ondelete="CASCADE"), unique=True)
    #: Function in the staff.
    function: Mapped[CdFunction] = enum_column(CdFunction)
    #: Duties in a few words.
    duties: Mapped[str] = mapped_column(sa.String(300), default="")

    appointment: Mapped[Appointment] = relationship()  # noqa: F821



# --- reunification after an evacuation (issue 15) ---------------------------------------------------------


class Student(db.Model):
    """A child on a class list: whom the school hands over to a known adult after an evacuation."""

    __tablename__ = "drill_students"
    __table_args__ = (sa.UniqueConstraint("class_id", "full_name"),)

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: The class the child is in.
    class_id: Mapped[int] = mapped_column(sa.ForeignKey("school_classes.id", ondelete="CASCADE"), index=True)
    #: Name as the school writes it ("—" once anonymised).
    full_name: Mapped[str] = mapped_column(sa.String(200))
    #: The name folded across Cyrillic and Latin spellings, for the search at the gate.
    name_key: Mapped[str] = mapped_column(sa.String(200), default="")
    #: Still on the list; a child who left stays until the retention sweep anonymises them.
    is_active: Mapped[bool] = mapped_column(default=True)
    #: When the child was taken off the list (retention counts from here).
    left_dt: Mapped[dt.datetime | None]
    #: When the retention sweep wiped the name (and deleted the guardians).
    anonymised_dt: Mapped[dt.datetime | None]
    #: When it was recorded.
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)

    school_class: Mapped[SchoolClass] = relationship()
    guardians: Mapped[list[Guardian]] = relationship(back_populates="student", order_by="Guardian.id",
                                                     cascade="all, delete-orphan", passive_deletes=True)


class Guardian(db.Model):
    """A parent or other adult who may take the child: kept only with their written consent (the paper's
    date and reference are required, so a guardian without consent cannot be stored)."""

    __tablename__ = "drill_guardians"
    __table_args__ = (
        sa.UniqueConstraint("student_id", "phone"),
        sa.CheckConstraint("consent_ref <> ''", name="needs_consent"),
    )

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: The child.
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("drill_students.id", ondelete="CASCADE"), index=True)
    #: The guardian's name.
    full_name: Mapped[str] = mapped_column(sa.String(200))
    #: Relation to the child ("mother", "grandfather").
    relation: Mapped[str] = mapped_column(sa.String(60), default="")
    #: Mobile phone, E.164.
    phone: Mapped[str] = mapped_column(sa.String(20))
    #: The language of the guardian's SMS (ky, ru, kk, en).
    locale: Mapped[str] = mapped_column(sa.String(5), default="ky")
    #: Date of the written consent to keep these data.
    consent_on: Mapped[dt.date]
    #: Which paper: number, date, file where it is kept.
    consent_ref: Mapped[str] = mapped_column(sa.String(120))
    #: When it was recorded.
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)

    student: Mapped[Student] = relationship(back_populates="guardians")


class Handover(db.Model):
    """A child handed over to an adult after an evacuation: once per child and emergency (or drill)."""

    __tablename__ = "drill_handovers"
    __table_args__ = (
        sa.UniqueConstraint("drill_id", "student_id"),
        sa.CheckConstraint("length(doc_last4) <= 4", name="doc_last4_short"),
        sa.CheckConstraint("anonymised_dt IS NOT NULL OR taken_by_name <> ''", name="taken_by_named"),
    )

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: The emergency or drill.
    drill_id: Mapped[int] = mapped_column(sa.ForeignKey("drills.id", ondelete="CASCADE"), index=True)
    #: The child.
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("drill_students.id", ondelete="CASCADE"), index=True)
    #: The listed guardian who took the child (None: another adult, or the guardian was deleted since).
    guardian_id: Mapped[int | None] = mapped_column(sa.ForeignKey("drill_guardians.id", ondelete="SET NULL"))
    #: A guardian on the list took the child (else another adult, with the end of their document).
    is_guardian: Mapped[bool] = mapped_column(default=False)
    #: Who took the child, as at the hand-over ("—" once anonymised).
    taken_by_name: Mapped[str] = mapped_column(sa.String(200))
    #: Their relation to the child.
    relation: Mapped[str] = mapped_column(sa.String(60), default="")
    #: Another adult: only the last four characters of their document, never the whole number.
    doc_last4: Mapped[str | None] = mapped_column(sa.String(4))
    #: The member of staff who handed the child over.
    staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: When.
    handed_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)
    #: Made by the phone's form: a retried submit is stored once.
    client_id: Mapped[str] = mapped_column(sa.String(40), unique=True)
    #: When the retention sweep wiped who took the child.
    anonymised_dt: Mapped[dt.datetime | None]

    student: Mapped[Student] = relationship()
    guardian: Mapped[Guardian | None] = relationship()
    staff: Mapped[User | None] = relationship()  # noqa: F821


from ..auth.models import User  # noqa: E402,F401  (relationship targets)
from ..schools.models import Appointment, School, Zone  # noqa: E402,F401
