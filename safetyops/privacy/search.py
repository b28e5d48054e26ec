"""Who a request about personal data is about, and every record at the school that names them.

`Subject` (a staff member, a visitor, a student) and `find()`, which returns them `Found`: read only,
nothing here writes.  The name comparison (`fold`, `name_words`; a roll-call's `missing_spans`) is shared
with the subject-access export (`subject_access`) and the correction and erasure (`services`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..accidents.models import Injury, SchoolIncident
from ..auth.models import User
from ..drills.models import ClassReport, Guardian, Handover, SchoolClass, Student
from ..errors_service import ServiceError
from ..extensions import db
from ..gate.models import EntryKind, GateEntry, WatchlistEntry
from ..gate.names import name_key, tokens
from ..gate.services import ANONYMISED, clean_last4
from ..incidents.models import RoadIncident
from ..roadsafety.models import SquadMember
from ..schools.models import Membership
from .models import Consent, SubjectKind

KINDS = ("staff", "visitor", "student")


def fold(name: str) -> str:
    """A name compared without case and extra spaces."""
    return re.sub(r"\s+", " ", (name or "").strip()).casefold()


#: Gate-log kinds that are a student's own entry (a late arrival, an early leave): the name is the child's.
STUDENT_GATE_KINDS = (EntryKind.STUDENT_LATE, EntryKind.STUDENT_EARLY)


def _has_digit(word: str) -> bool:
    return any(c.isdigit() for c in word)


def _name_part(words) -> tuple[str, ...]:
    """The words of a name without what is written in front of it: a class ("5А: …" in the gate log) or the
    retention's placeholder ("— 17")."""
    words = list(words)
    while words and _has_digit(words[0]):
        words.pop(0)
    return tuple(words)


def name_words(name: str, exact: bool = False) -> tuple[str, ...]:
    """A name as the search compares it.  By default its words folded across Cyrillic and Latin spellings
    (`gate.names.tokens`, as the reunification search does: "Жумабаев", "Jumabaev", "Dzhumabaev") in any
    order; `exact`: the words as written, in order, only case and spaces aside (`fold`).  Words with a digit in
    front (a class, "5А: …"; the retention's placeholder "— 17") and marks without a letter ("—") are not
    part of the name."""
    if exact:
        words = re.sub(r"[^\w\s'-]+", " ", fold(name)).split()
        return _name_part(w for w in words if any(c.isalpha() or c.isdigit() for c in w))
    return tuple(sorted(_name_part(tokens(name))))


def _key_words(key: str) -> tuple[str, ...]:
    """name_words() of a name from its stored `name_key` (already folded, in the order written)."""
    return tuple(sorted(_name_part((key or "").split())))


# --- who is asked about -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """The person a request is about: a staff member (by account), a visitor (name + last characters
    of the document, as the gate log keeps them) or a student, a child of the school (name, optionally
    the class; `exact`: that spelling only)."""

    kind: str
    user_id: int | None = None
    name: str = ""
    doc: str = ""
    class_id: int | None = None
    exact: bool = False


@dataclass
class Found:
    subject: Subject
    label: str
    user: User | None = None
    #: Gate-log entries: a visitor's visits; a student's late arrivals and early leaves.
    entries: list[GateEntry] = field(default_factory=list)
    watch: list[WatchlistEntry] = field(default_factory=list)
    incidents: list[RoadIncident] = field(default_factory=list)
    #: A student: the class-list entries (with their guardians), hand-overs, injuries, squad memberships,
    #: roll-calls that typed the child as missing, and the consents about the child.
    students: list[Student] = field(default_factory=list)
    handovers: list[Handover] = field(default_factory=list)
    injuries: list[Injury] = field(default_factory=list)
    squad: list[SquadMember] = field(default_factory=list)
    roll_calls: list[ClassReport] = field(default_factory=list)
    consents: list[Consent] = field(default_factory=list)
    #: The name as compared (name_words()).
    words: tuple[str, ...] = ()
    #: Records whose name has these words and more (a patronymic): not included, only counted.
    near: int = 0

    @property
    def guardians(self) -> list[Guardian]:
        return [g for s in self.students for g in s.guardians]

    def audit_detail(self) -> str:
        """What the audit event names: kinds and ids, never the name asked for."""
        if self.subject.kind == "staff":
            return f"kind=staff user={self.user.id}"
        if self.subject.kind == "visitor":
            return "kind=visitor entries=" + ",".join(str(e.id) for e in self.entries)
        parts = ["kind=student"]
        if self.subject.class_id:
            parts.append(f"class={self.subject.class_id}")
        if self.subject.exact:
            parts.append("exact=1")
        for key, rows in (("students", self.students), ("guardians", self.guardians), ("handovers", self.handovers),
                          ("injuries", self.injuries), ("incidents", self.incidents), ("squad", self.squad),
                          ("gate", self.entries), ("roll_calls", self.roll_calls), ("consents", self.consents)):
            if rows:
                parts.append(f"{key}=" + ",".join(str(r.id) for r in rows))
        return " ".join(parts)

    @property
    def is_empty(self) -> bool:
        return self.user is None and not any((self.entries, self.watch, self.incidents, self.students,
                                              self.handovers, self.injuries, self.squad, self.roll_calls,
                                              self.consents))


def find(school, subject: Subject) -> Found:
    """The records that name `subject` at `school`; ServiceError(message, field) for bad input."""
    if subject.kind == "staff":
        user = db.session.scalar(sa.select(User).join(Membership, Membership.user_id == User.id)
                                 .where(Membership.school_id == school.id, User.id == (subject.user_id or 0)))
        if user is None:
            raise ServiceError(_l("Choose a person who works at this school."), "user_id")
        return Found(subject, user.full_name, user=user)
    name = (subject.name or "").strip()
    if not name:
        raise ServiceError(_l("Type the name as it is written in the records."), "name")
    if subject.kind == "visitor":
        last4 = clean_last4(subject.doc) if subject.doc else None
        if not last4:
            raise ServiceError(_l("Type the last 4 characters of the person's document: the gate log keeps only "
                                  "those."), "doc")
        key = name_key(name)
        entries = list(db.session.scalars(
            sa.select(GateEntry).where(GateEntry.school_id == school.id, GateEntry.name_key == key,
                                       GateEntry.doc_last4 == last4).order_by(GateEntry.in_dt)))
        watch = list(db.session.scalars(
            sa.select(WatchlistEntry).where(WatchlistEntry.school_id == school.id, WatchlistEntry.name_key == key,
                                            WatchlistEntry.doc_last4 == last4).order_by(WatchlistEntry.id)))
        return Found(Subject("visitor", name=name, doc=last4), name, entries=entries, watch=watch)
    if subject.kind == "student":
        return _find_student(school, Subject("student", name=name, class_id=subject.class_id or None,
                                             exact=bool(subject.exact)))
    raise ServiceError(_l("Choose whose data is asked for."), "kind")


def missing_spans(text: str, wanted: tuple[str, ...], exact: bool) -> list[tuple[int, int]]:
    """Where a roll-call's "names of the missing" (free text, one name per comma, semicolon or line) names
    the child: the (start, end) of each such name, its spaces around left out."""
    spans = []
    for m in re.finditer(r"[^,;\n]+", text or ""):
        part = m.group()
        if name_words(part, exact) == wanted:
            start = m.start() + len(part) - len(part.lstrip())
            spans.append((start, m.start() + len(part.rstrip())))
    return spans


def _find_student(school, subject: Subject) -> Found:
    """Every record that names the child at `school`: the class lists (and through them the guardians and the
    hand-overs), injuries, road incidents, the road-safety squad, the gate log's late arrivals and early leaves,
    roll-calls that typed the child as missing, and the consent register.  Anonymised records are never
    matched; with a class, records of another class are left out (records without a class stay in).
    Wellbeing reports are anonymous and never searched."""
    exact, class_id = subject.exact, subject.class_id
    wanted = name_words(subject.name, exact)
    if not wanted:
        raise ServiceError(_l("Type the name as it is written in the records."), "name")
    if class_id and db.session.scalar(sa.select(SchoolClass.id).where(
            SchoolClass.school_id == school.id, SchoolClass.id == class_id)) is None:
        raise ServiceError(_l("Choose a class of this school."), "class_id")
    loose = set(name_words(subject.name))
    near = 0

    def same(name: str, key: str = "") -> bool:
        """The record's name is the child's (`key`: its stored folded key, if any); counts the longer ones."""
        nonlocal near
        words = _key_words(key) if key and not exact else name_words(name, exact)
        if words == wanted:
            return True
        if loose < set(_key_words(key) if key else name_words(name)):
            near += 1
        return False

    def in_class(row_class_id) -> bool:
        return not class_id or row_class_id is None or row_class_id == class_id

    # The folded key of a matching name holds the longest folded word: the database narrows on it (a row
    # without a key, which no writer leaves, would be compared by its name).
    longest = max(name_words(subject.name) or ("",), key=len)
    q = (sa.select(Student).where(Student.school_id == school.id, Student.anonymised_dt.is_(None),
                                  sa.or_(Student.name_key.contains(longest, autoescape=True),
                                         Student.name_key == ""))
         .options(sa.orm.selectinload(Student.guardians), sa.orm.joinedload(Student.school_class))
         .order_by(Student.created_dt, Student.id))
    if class_id:
        q = q.where(Student.class_id == class_id)
    students = [s for s in db.session.scalars(q).unique() if same(s.full_name, s.name_key)]
    handovers = list(db.session.scalars(
        sa.select(Handover).where(Handover.school_id == school.id,
                                  Handover.student_id.in_([s.id for s in students] or [0]))
        .order_by(Handover.handed_dt, Handover.id))) if students else []
    injuries = [i for i in db.session.scalars(
        sa.select(Injury).join(SchoolIncident, SchoolIncident.id == Injury.incident_id)
        .where(Injury.school_id == school.id, Injury.person_name != "")
        .order_by(SchoolIncident.occurred_dt, Injury.id)) if in_class(i.class_id) and same(i.person_name)]
    incidents = [i for i in db.session.scalars(
        sa.select(RoadIncident).where(RoadIncident.school_id == school.id, RoadIncident.student_name != "",
                                      RoadIncident.anonymised_dt.is_(None))
        .order_by(RoadIncident.occurred_dt, RoadIncident.id)) if in_class(i.class_id) and same(i.student_name)]
    squad = [m for m in db.session.scalars(
        sa.select(SquadMember).where(SquadMember.school_id == school.id, SquadMember.student_name != "",
                                     SquadMember.student_name != ANONYMISED)
        .order_by(SquadMember.joined_on, SquadMember.id)) if in_class(m.class_id) and same(m.student_name)]
    entries = [e for e in db.session.scalars(
        sa.select(GateEntry).where(GateEntry.school_id == school.id, GateEntry.kind.in_(STUDENT_GATE_KINDS),
                                   GateEntry.anonymised_dt.is_(None),
                                   GateEntry.name_key.contains(longest, autoescape=True))
        .order_by(GateEntry.in_dt, GateEntry.id)) if same(e.name, e.name_key)]
    roll_calls = [r for r in db.session.scalars(
        sa.select(ClassReport).where(ClassReport.school_id == school.id, ClassReport.missing_names != "")
        .order_by(ClassReport.first_dt, ClassReport.id))
        if in_class(r.class_id) and missing_spans(r.missing_names, wanted, exact)]
    incident_ids = [i.id for i in incidents]
    consents = [c for c in db.session.scalars(
        sa.select(Consent).where(Consent.school_id == school.id, Consent.subject_name != ANONYMISED,
                                 sa.or_(Consent.subject_kind == SubjectKind.STUDENT,
                                        Consent.incident_id.in_(incident_ids or [0])))
        .order_by(Consent.given_on, Consent.id))
        if c.incident_id in incident_ids or same(c.subject_name)]
    return Found(subject, subject.name, incidents=incidents, students=students, handovers=handovers,
                 injuries=injuries, squad=squad, entries=entries, roll_calls=roll_calls, consents=consents,
                 words=wanted, near=near)
