"""Reunification after an evacuation (issue 15): class lists with guardians kept under written consent,
the hand-over of each child to a known adult, the SMS to a class's guardians, the times for the
after-action report, and the retention sweep.  Plain functions: the actor and the school are arguments.
The lists' students and guardians are in `reunion_lists`, the retention sweep in `reunion_retention`."""

from __future__ import annotations

import datetime as dt
import uuid
from types import SimpleNamespace

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from ..audit.services import record
from ..auth.models import User
from ..config import LANGUAGES
from ..errors_service import ServiceError
from ..extensions import db
from ..gate.names import name_key, tokens
from ..gate.services import clean_last4
from ..notifications import outbox
from ..schools.models import School
from ..time import now_utc, zone
from .models import ClassReport, Drill, Guardian, Handover, SchoolClass, Student
from .reunion_lists import (  # noqa: F401 - save_guardian re-exported: the privacy area's tests record guardians here
    clean_name,
    list_counts,
    save_guardian,
    students_of,
)
from .reunion_retention import (  # noqa: F401 - re-exported: the privacy register shows the retention periods, and
    HANDOVER_RETENTION_DAYS,  # jobs.reunion_retention calls reunion.purge_expired (importing this module registers
    LIST_RETENTION_DAYS,  # the area's SMS texts)
    purge_expired,
)
from .services import expected_classes

#: Hand-overs are recorded from the all clear for this long.
REUNION_HOURS = 24
#: Longest class name and pick-up place in the guardians' SMS (one UCS-2 segment in every language).
SMS_CLASS_CHARS = 6
SMS_PLACE_CHARS = 20

SMS_TEXTS = {
    # Never the child's name: the class and where to come, nothing else.
    "drills.reunion": _l("Class %(klass)s is at the assembly point. Pick-up: %(place)s"),
}


def register_texts() -> None:
    for kind, text in SMS_TEXTS.items():
        outbox.register_text(kind, text, {"klass": "Ж" * SMS_CLASS_CHARS, "place": "Ж" * SMS_PLACE_CHARS})


# --- class lists (the rest, students_of and the guardians: reunion_lists.py) -----------------------------
# save_student stays here: it keys the name as the gate does (gate.names), a crossing the
# independence contract allows from this module only.


def save_student(
    actor: User | None,
    school: School,
    student: Student | None,
    *,
    klass: SchoolClass,
    full_name: str,
    is_active: bool = True,
    now: dt.datetime | None = None,
) -> Student:
    now = now or now_utc()
    if klass.school_id != school.id:
        raise ServiceError(_l("Choose a class of this school."), "class_id")
    full_name = clean_name(full_name, "full_name")
    clash = db.session.scalar(
        sa.select(Student.id).where(
            Student.school_id == school.id,
            Student.class_id == klass.id,
            Student.full_name == full_name,
            Student.id != (student.id if student else -1),
        )
    )
    if clash is not None:
        raise ServiceError(_l("This class already has a student with this name."), "full_name")
    creating = student is None
    if creating:
        student = Student(school_id=school.id)
        db.session.add(student)
    student.class_id, student.full_name, student.name_key = klass.id, full_name, name_key(full_name)
    if student.is_active and not is_active:
        student.left_dt = now
    elif is_active:
        student.left_dt = None
    student.is_active = is_active
    db.session.flush()
    record(actor, school, "student.create" if creating else "student.update", student)
    return student


# --- the hand-over ---------------------------------------------------------------------------------------


def applies(drill: Drill) -> bool:
    """Reunification follows an evacuation (drill or real) and any real emergency, never a false alarm."""
    return drill.cancelled_dt is None and (drill.is_real or not drill.is_shelter)


def is_open(drill: Drill, now: dt.datetime | None = None) -> bool:
    """Hand-overs are recorded after the all clear, for REUNION_HOURS."""
    now = now or now_utc()
    return applies(drill) and drill.ended_dt is not None and now <= drill.ended_dt + dt.timedelta(hours=REUNION_HOURS)


def open_drill(school: School, now: dt.datetime | None = None) -> Drill | None:
    """The latest drill or emergency whose reunification is open (the all clear within REUNION_HOURS)."""
    now = now or now_utc()
    recent = db.session.scalars(
        sa.select(Drill)
        .where(
            Drill.school_id == school.id,
            Drill.ended_dt.is_not(None),
            Drill.ended_dt >= now - dt.timedelta(hours=REUNION_HOURS),
            Drill.cancelled_dt.is_(None),
        )
        .order_by(Drill.ended_dt.desc())
        .limit(5)
    )
    return next((d for d in recent if is_open(d, now)), None)


def new_client_id() -> str:
    return uuid.uuid4().hex


def handovers_of(drill: Drill) -> list[Handover]:
    return list(
        db.session.scalars(
            sa.select(Handover)
            .where(Handover.school_id == drill.school_id, Handover.drill_id == drill.id)
            .order_by(Handover.handed_dt, Handover.id)
        )
    )


def class_counts(drill: Drill) -> list[dict]:
    """Per class: on the list, at school (the roll-call's "present", else the list, else the register), handed over,
    still with the school.  Children absent that day were never at school, so they are not "still with the school"."""
    classes = expected_classes(drill)
    listed = dict(
        db.session.execute(
            sa.select(Student.class_id, sa.func.count())
            .where(Student.school_id == drill.school_id, Student.is_active.is_(True))
            .group_by(Student.class_id)
        ).all()
    )
    present = dict(
        db.session.execute(
            sa.select(ClassReport.class_id, ClassReport.present).where(
                ClassReport.school_id == drill.school_id, ClassReport.drill_id == drill.id
            )
        ).all()
    )
    handed = dict(
        db.session.execute(
            sa.select(Student.class_id, sa.func.count())
            .join(Handover, Handover.student_id == Student.id)
            .where(Student.school_id == drill.school_id, Handover.drill_id == drill.id)
            .group_by(Student.class_id)
        ).all()
    )
    rows = []
    for klass in classes:
        # the roll-call's "present"; without a report the class list, else the number on the register
        at_school = present.get(klass.id, listed.get(klass.id) or klass.students)
        done = handed.get(klass.id, 0)
        rows.append(
            {
                "klass": klass,
                "listed": listed.get(klass.id, 0),
                "at_school": at_school,
                "handed": done,
                "still": max(at_school - done, 0),
            }
        )
    return rows


def search(school: School, drill: Drill, query: str, limit: int = 30) -> list[tuple[Student, Handover | None]]:
    """Children whose name has every word of `query` at the start of one of its words, in Cyrillic or Latin
    ("Жума" finds "Жумабаев", "Jumabaev" and "Dzhumabaev"); with their hand-over in this drill, if any."""
    words = tokens(query)
    if not words:
        return []
    longest = max(words, key=len)
    rows = db.session.scalars(
        sa.select(Student)
        .join(SchoolClass, SchoolClass.id == Student.class_id)
        .options(contains_eager(Student.school_class))
        .where(
            Student.school_id == school.id,
            Student.is_active.is_(True),
            Student.anonymised_dt.is_(None),
            Student.name_key.contains(longest, autoescape=True),
        )
        .order_by(SchoolClass.grade, SchoolClass.name, Student.full_name)
    ).all()
    found = [s for s in rows if all(any(k.startswith(w) for k in s.name_key.split()) for w in words)][:limit]
    done = (
        {
            h.student_id: h
            for h in db.session.scalars(
                sa.select(Handover).where(
                    Handover.school_id == school.id,
                    Handover.drill_id == drill.id,
                    Handover.student_id.in_([s.id for s in found]),
                )
            )
        }
        if found
        else {}
    )
    return [(s, done.get(s.id)) for s in found]


def class_sheet(drill: Drill, klass: SchoolClass) -> list[tuple[Student, Handover | None]]:
    """The class's children on the list, each with their guardians (loaded) and their hand-over in this drill, if
    any: the class page, one page per class that the phones keep offline (not one page per child)."""
    students = students_of(klass)
    done = {
        h.student_id: h
        for h in db.session.scalars(
            sa.select(Handover)
            .join(Student, Student.id == Handover.student_id)
            .where(Handover.school_id == drill.school_id, Handover.drill_id == drill.id, Student.class_id == klass.id)
        )
    }
    return [(s, done.get(s.id)) for s in students]


def classes_with_lists(school: School, drill: Drill) -> list[SchoolClass]:
    """The drill's classes with at least one child on their list (whose page is worth keeping on a phone)."""
    listed = list_counts(school)
    return [k for k in expected_classes(drill) if listed.get(k.id)]


def handover_of(drill: Drill, student: Student) -> Handover | None:
    return db.session.scalar(
        sa.select(Handover).where(
            Handover.school_id == drill.school_id, Handover.drill_id == drill.id, Handover.student_id == student.id
        )
    )


class AlreadyHandedOver(ServiceError):
    """The child was handed over before (by another phone, or another person)."""

    def __init__(self, school: School, handover: Handover):
        at = _aware(handover.handed_dt).astimezone(zone(school.timezone)).strftime("%H:%M")
        super().__init__(
            _l("Already handed over: %(name)s took this child at %(time)s.", name=handover.taken_by_name, time=at)
        )
        self.handover = handover


def hand_over(
    actor: User | None,
    school: School,
    drill: Drill,
    student: Student,
    *,
    client_id: str,
    guardian_id: int | None = None,
    adult_name: str = "",
    doc_last4: str = "",
    relation: str = "",
    now: dt.datetime | None = None,
) -> tuple[Handover, bool]:
    """Record who took the child.  Returns (hand-over, stored now).  The same `client_id` again (a retried
    submit) returns the stored row; another hand-over of the same child raises AlreadyHandedOver."""
    now = now or now_utc()
    client_id = (client_id or "").strip()[:40]
    if drill.school_id != school.id or student.school_id != school.id:
        raise ServiceError(_l("This student belongs to another school."))
    if not client_id:
        raise ServiceError(_l("The form expired. Try again."))
    same = db.session.scalar(
        sa.select(Handover).where(Handover.school_id == school.id, Handover.client_id == client_id)
    )
    if same is not None:
        if same.drill_id == drill.id and same.student_id == student.id:
            return same, False
        raise ServiceError(_l("The form expired. Try again."))
    if not is_open(drill, now):
        raise ServiceError(_l("Reunification is open from the all clear for %(n)s hours.", n=REUNION_HOURS))
    earlier = handover_of(drill, student)
    if earlier is not None:
        raise AlreadyHandedOver(school, earlier)
    row = Handover(
        school_id=school.id,
        drill_id=drill.id,
        student_id=student.id,
        staff_id=getattr(actor, "id", None),
        handed_dt=now,
        client_id=client_id,
    )
    if guardian_id:
        guardian = db.session.scalar(
            sa.select(Guardian).where(
                Guardian.school_id == school.id, Guardian.id == guardian_id, Guardian.student_id == student.id
            )
        )
        if guardian is None:
            raise ServiceError(_l("Choose one of this child's guardians."), "guardian_id")
        row.is_guardian, row.guardian_id = True, guardian.id
        row.taken_by_name, row.relation = guardian.full_name, guardian.relation
    else:
        name = " ".join((adult_name or "").split())
        if not name:
            raise ServiceError(
                _l("Choose a guardian, or type the name of the adult who takes the child."), "adult_name"
            )
        last4 = clean_last4(doc_last4)
        if not last4:
            raise ServiceError(_l("Type the last 4 characters of the adult's document."), "doc_last4")
        row.taken_by_name, row.doc_last4 = name[:200], last4
        row.relation = " ".join((relation or "").split())[:60]
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:  # two phones at the same moment: the same submit, or the same child
        same = db.session.scalar(
            sa.select(Handover).where(Handover.school_id == school.id, Handover.client_id == client_id)
        )
        if same is not None:
            return same, False
        earlier = handover_of(drill, student)
        if earlier is not None:
            raise AlreadyHandedOver(school, earlier) from None
        raise
    record(
        actor,
        school,
        "reunion.handover",
        row,
        detail=f"drill={drill.id},student={student.id},guardian={row.guardian_id or ''}",
    )
    return row, True


# --- SMS to a class's guardians --------------------------------------------------------------------------


def guardians_of_class(klass: SchoolClass) -> list[Guardian]:
    return list(
        db.session.scalars(
            sa.select(Guardian)
            .join(Student, Student.id == Guardian.student_id)
            .where(Guardian.school_id == klass.school_id, Student.class_id == klass.id, Student.is_active.is_(True))
            .order_by(Guardian.id)
        )
    )


def sms_guardians(actor: User | None, school: School, drill: Drill, klass: SchoolClass, *, place: str) -> int:
    """Queue one SMS per guardian's phone of the class, in the guardian's language, through the outbox (not
    urgent: it counts against the school's SMS budget).  The class and the place only, never a child's name.
    Sending again for the same drill and class queues nothing.  Returns the number queued now."""
    if drill.school_id != school.id or klass.school_id != school.id:
        raise ServiceError(_l("This drill or class belongs to another school."))
    if not applies(drill) or drill.ended_dt is None:
        raise ServiceError(_l("SMS to guardians go after the all clear."))
    place = " ".join((place or "").split())
    if not place:
        raise ServiceError(_l("Say where the guardians pick the children up."), "place")
    if len(place) > SMS_PLACE_CHARS:
        raise ServiceError(_l("At most %(n)s characters (the SMS must fit one message).", n=SMS_PLACE_CHARS), "place")
    queued = 0
    seen: set[str] = set()
    params = {"klass": klass.name[:SMS_CLASS_CHARS], "place": place}
    for guardian in guardians_of_class(klass):
        if guardian.phone in seen:  # two children of one family in the class: one SMS
            continue
        seen.add(guardian.phone)
        locale = guardian.locale if guardian.locale in LANGUAGES else school.default_locale
        body = outbox.render("drills.reunion", params, locale)
        row = outbox.queue_raw(
            school,
            SimpleNamespace(id=None, locale=locale),
            guardian.phone,
            body,
            kind="drills.reunion",
            key=f"{drill.id}:{klass.id}:{guardian.phone}",
            urgent=False,
        )
        queued += row is not None
    record(actor, school, "reunion.sms", klass, detail=f"drill={drill.id},queued={queued}")
    return queued


# --- after-action ------------------------------------------------------------------------------------------


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:  # SQLite aggregates bypass the column type
        return value.replace(tzinfo=dt.UTC)
    return value


def summary(drill: Drill, now: dt.datetime | None = None) -> dict | None:
    """Reunification times for the after-action report: first and last hand-over (seconds after the all clear),
    per class, and how many were still with the school at the end (or now, while it is open)."""
    if not applies(drill) or drill.ended_dt is None:
        return None
    rows = handovers_of(drill)
    counts = class_counts(drill)
    if not rows and not any(c["listed"] for c in counts):
        return None
    per_class: dict[int | None, list[dt.datetime]] = {}
    student_class = (
        dict(
            db.session.execute(
                sa.select(Student.id, Student.class_id).where(
                    Student.school_id == drill.school_id, Student.id.in_([h.student_id for h in rows])
                )
            ).all()
        )
        if rows
        else {}
    )
    for h in rows:
        per_class.setdefault(student_class.get(h.student_id), []).append(_aware(h.handed_dt))

    def after(at):
        return int((at - drill.ended_dt).total_seconds()) if at is not None else None

    classes = []
    for c in counts:
        times = per_class.get(c["klass"].id, [])
        classes.append(
            {**c, "first": after(min(times)) if times else None, "last": after(max(times)) if times else None}
        )
    first = min((_aware(h.handed_dt) for h in rows), default=None)
    last = max((_aware(h.handed_dt) for h in rows), default=None)
    return {
        "first": after(first),
        "last": after(last),
        "handed": len(rows),
        "classes": classes,
        "still": sum(c["still"] for c in counts),
        "is_open": is_open(drill, now),
    }
