"""Personal data on request (subject access, correction, erasure) and the consent register.

Plain functions of (actor, school, …): views, the CLI and tests call them alike.  Nothing here
deletes a row another row points at: erasure overwrites the personal fields (as the retention
jobs do) and the audit trail stays."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import re
import secrets
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..accidents.models import Injury, SchoolIncident
from ..audit.models import AuditEvent
from ..audit.services import object_type_of, record
from ..auth.models import User
from ..drills.models import ClassReport, Drill, Guardian, Handover, SchoolClass, Student
from ..errors_service import ServiceError
from ..extensions import db
from ..gate.models import EntryKind, GateEntry, GateNameWord, GatePhoto, WatchlistEntry
from ..gate.names import name_key, tokens
from ..gate.services import ANONYMISED, clean_last4
from ..incidents.models import RoadIncident
from ..notifications.models import FINAL_STATUSES, OutboundMessage
from ..roadsafety.models import SquadMember
from ..schools.authority import may_manage_account
from ..schools.models import AREA_LABELS, Appointment, Membership
from ..time import now_utc, school_today, zone
from ..uploads import clean_image, has_upload
from .models import Consent, ConsentScan, Purpose, SubjectKind

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


def _missing_spans(text: str, wanted: tuple[str, ...], exact: bool) -> list[tuple[int, int]]:
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
        if in_class(r.class_id) and _missing_spans(r.missing_names, wanted, exact)]
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


# --- everything held about them -----------------------------------------------------------------------


@dataclass
class Section:
    key: str
    title: str
    columns: list[str]
    rows: list[list[str]]
    records: list[dict]
    note: str = ""


@dataclass
class Dossier:
    kind: str
    subject: str
    school_name: str
    generated_dt: dt.datetime
    sections: list[Section]
    locale: str

    def as_json(self) -> dict:
        return {
            "format": "safetyops.subject-access/1",
            "school": self.school_name,
            "subject": {"kind": self.kind, "name": self.subject},
            "generated": self.generated_dt.isoformat(),
            "language": self.locale,
            "sections": [{"key": s.key, "title": s.title, "note": s.note, "records": s.records}
                         for s in self.sections],
        }


#: Columns never given out: secrets of the account, not data about the person.
_SECRET = re.compile(r"hash|token|secret|pin")
#: Tables with their own section (or none).
_OWN_SECTIONS = {"audit_events", "outbound_messages", "memberships", "appointments", "consents", "users"}

TABLE_LABELS = {
    "gate_entries": _l("Gate log"),
    "gate_shifts": _l("Gate shifts"),
    "gate_scans": _l("Night-round checks"),
    "gate_watchlist": _l("Watchlist"),
    "roster_shifts": _l("Duty roster"),
    "roster_unavailability": _l("Days unavailable for duty"),
    "roster_swaps": _l("Duty swaps"),
    "training_records": _l("Training records"),
    "drills": _l("Drills"),
    "drill_class_reports": _l("Drill roll-call reports"),
    "school_classes": _l("Classes (homeroom teacher)"),
    "briefings": _l("Briefings held"),
    "road_incidents": _l("Road incidents"),
    "inspection_runs": _l("Inspections"),
    "inspection_answers": _l("Checklist answers"),
    "inspection_schedules": _l("Inspection schedules"),
    "corrective_actions": _l("Corrective actions"),
    "canteen_duties": _l("Canteen duty"),
    "notification_preferences": _l("Message settings"),
}

#: A staff member's dossier lists the records that name them (as the guard, the nurse, the reporter…) without
#: the personal data of the other people in those records: the visitor's name and phone, the child's name,
#: injury and first aid, the adult who took a child, the names of the missing, a wellbeing case's notes.
OTHERS_DATA = {
    "gate_entries": {"name", "name_key", "doc_last4", "phone", "purpose", "vehicle_plate", "photo_id"},
    "gate_watchlist": {"name", "name_key", "doc_last4", "note", "photo_id"},
    "drill_handovers": {"taken_by_name", "relation", "doc_last4"},
    "drill_class_reports": {"missing_names"},
    "incident_injuries": {"person_name", "consent_paper", "injury", "first_aid"},
    "road_incidents": {"student_name", "latitude", "longitude"},
    "wellbeing_notes": {"body"},
}

#: How the person appears in a record (the foreign key's name), where a plain word exists.
ROLE_IN_RECORD = {
    "user_id": _l("the person"),
    "created_by_id": _l("recorded by"),
    "guard_id": _l("guard"),
    "out_guard_id": _l("guard"),
    "host_id": _l("person visited"),
    "homeroom_id": _l("homeroom teacher"),
    "held_by_id": _l("held by"),
}


def _plain(value):
    """A value as JSON holds it."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def _row_dict(table, row) -> dict:
    return {c.name: _plain(row._mapping[c.name]) for c in table.columns
            if not isinstance(c.type, sa.LargeBinary) and not _SECRET.search(c.name)}


def _local(school, value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(zone(school.timezone)).strftime("%Y-%m-%d %H:%M")


def _section(key, title, columns, rows, records, note="") -> Section:
    return Section(key, str(title), [str(c) for c in columns], [[str(v) for v in r] for r in rows], records, note)


def _user_names(ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(User.id, User.full_name).where(User.id.in_(ids))).all())


def _audit_section(school, title, events, key="audit_about") -> Section:
    names = _user_names(e.user_id for e in events)
    return _section(key, title, [_("When"), _("Action"), _("By"), _("Detail")],
                    [[_local(school, e.created_dt), e.action, names.get(e.user_id, _("system")), e.detail[:200]]
                     for e in events],
                    [{"seq": e.seq, "when": e.created_dt.isoformat(), "action": e.action, "by_user_id": e.user_id,
                      "object": f"{e.object_type}:{e.object_id}", "source": e.source, "detail": e.detail}
                     for e in events])


def _events_about(school, obj_type: str, ids) -> list[AuditEvent]:
    ids = [str(i) for i in ids]
    if not ids:
        return []
    return list(db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.school_id == school.id, AuditEvent.object_type == obj_type, AuditEvent.object_id.in_(ids))
        .order_by(AuditEvent.seq)))


def _messages_section(school, messages) -> Section:
    return _section("messages", _("Messages sent"), [_("When"), _("Channel"), _("To"), _("Status"), _("Text")],
                    [[_local(school, m.created_dt), m.channel.value, m.to_phone, m.status.value, m.body]
                     for m in messages],
                    [{"id": m.id, "when": m.created_dt.isoformat(), "channel": m.channel.value, "to": m.to_phone,
                      "status": m.status.value, "text": m.body, "kind": m.kind} for m in messages])


def _consents_section(school, consents) -> Section:
    from .models import PURPOSE_LABELS

    return _section("consents", _("Consents"), [_("Given on"), _("Purpose"), _("Signed by"), _("Paper"),
                                                _("Withdrawn on")],
                    [[c.given_on.isoformat(), PURPOSE_LABELS[c.purpose], c.given_by, c.paper_ref,
                      c.withdrawn_on.isoformat() if c.withdrawn_on else ""] for c in consents],
                    [{"id": c.id, "subject_kind": c.subject_kind.value, "subject_name": c.subject_name,
                      "given_by": c.given_by, "relation": c.given_by_relation, "purpose": c.purpose.value,
                      "purpose_detail": c.purpose_detail, "given_on": c.given_on.isoformat(),
                      "paper": c.paper_ref, "has_scan": c.scan_id is not None,
                      "withdrawn_on": c.withdrawn_on.isoformat() if c.withdrawn_on else None} for c in consents])


def _staff_sections(school, user: User) -> list[Section]:
    from ..auth.roles import ROLE_LABELS

    membership = db.session.scalar(sa.select(Membership).where(Membership.school_id == school.id,
                                                               Membership.user_id == user.id))
    out = [_section("account", _("Account"),
                    [_("Full name"), _("Sign-in name"), _("Phone"), _("Language"), _("Role"), _("Account made"),
                     _("Last sign-in"), _("Active")],
                    [[user.full_name, user.username, user.phone or "", user.locale,
                      ROLE_LABELS[membership.role] if membership else "", _local(school, user.created_dt),
                      _local(school, user.last_login_dt), _("yes") if user.is_enabled else _("no")]],
                    [{"name": user.full_name, "username": user.username, "phone": user.phone,
                      "locale": user.locale, "role": membership.role.value if membership else None,
                      "created": _plain(user.created_dt), "last_login": _plain(user.last_login_dt),
                      "enabled": user.is_enabled}])]
    appts = list(db.session.scalars(sa.select(Appointment).where(Appointment.school_id == school.id,
                                                                 Appointment.user_id == user.id)
                                    .order_by(Appointment.starts_on)))
    out.append(_section("appointments", _("Appointments by order"),
                        [_("Area"), _("Order"), _("From"), _("To")],
                        [[AREA_LABELS[a.area], f"{a.order_number} ({a.order_date.isoformat()})",
                          a.starts_on.isoformat(), a.ends_on.isoformat() if a.ends_on else ""] for a in appts],
                        [{"area": a.area.value, "order_number": a.order_number, "order_date": a.order_date.isoformat(),
                          "starts_on": a.starts_on.isoformat(),
                          "ends_on": a.ends_on.isoformat() if a.ends_on else None} for a in appts]))
    # Every other record that names the person: found through the foreign keys to users.
    rows, records = [], []
    for table in db.metadata.sorted_tables:
        if table.name in _OWN_SECTIONS:
            continue
        cols = [c for c in table.columns if any(fk.column.table.name == "users" for fk in c.foreign_keys)]
        for col in cols:
            q = sa.select(table).where(col == user.id)
            if "school_id" in table.c:
                q = q.where(table.c.school_id == school.id)
            for row in db.session.execute(q.limit(5000)):
                data = _row_dict(table, row)
                for name in OTHERS_DATA.get(table.name, ()):
                    data.pop(name, None)
                when = next((data[k] for k in ("day", "held_on", "occurred_dt", "in_dt", "started_dt", "created_dt")
                             if data.get(k)), "")
                rows.append([str(TABLE_LABELS.get(table.name, table.name)), str(ROLE_IN_RECORD.get(col.name, col.name)),
                             data.get("id", ""),
                             str(when)[:16].replace("T", " ")])
                records.append({"table": table.name, "as": col.name, "record": data})
    out.append(_section("records", _("Records that name the person"), [_("Record"), _("As"), _("No."), _("Date")],
                        rows, records))
    messages = list(db.session.scalars(sa.select(OutboundMessage).where(
        OutboundMessage.school_id == school.id, OutboundMessage.user_id == user.id).order_by(OutboundMessage.id)))
    out.append(_messages_section(school, messages))
    consents = list(db.session.scalars(sa.select(Consent).where(Consent.school_id == school.id,
                                                                Consent.user_id == user.id)))
    out.append(_consents_section(school, consents))
    out.append(_audit_section(school, _("Audit events about the person"), _events_about(school, "user", [user.id])))
    own = db.session.execute(sa.select(AuditEvent.action, sa.func.count(), sa.func.min(AuditEvent.created_dt),
                                       sa.func.max(AuditEvent.created_dt))
                             .where(AuditEvent.school_id == school.id, AuditEvent.user_id == user.id)
                             .group_by(AuditEvent.action).order_by(AuditEvent.action)).all()
    out.append(_section("audit_by", _("What the person did (audit log)"),
                        [_("Action"), _("Times"), _("First"), _("Last")],
                        [[a, n, _local(school, first), _local(school, last)] for a, n, first, last in own],
                        [{"action": a, "count": n, "first": _plain(first), "last": _plain(last)}
                         for a, n, first, last in own]))
    return out


def _visitor_sections(school, found: Found) -> list[Section]:
    from ..gate.models import DOC_TYPE_LABELS, ENTRY_KIND_LABELS

    entries = found.entries
    hosts = _user_names(e.host_id for e in entries)
    out = [_section("gate_entries", _("Gate log"),
                    [_("In"), _("Out"), _("Kind"), _("Full name"), _("Document"), _("Phone"), _("Purpose"),
                     _("Person visited"), _("Photo")],
                    [[_local(school, e.in_dt), _local(school, e.out_dt), ENTRY_KIND_LABELS[e.kind], e.name,
                      f"{DOC_TYPE_LABELS[e.doc_type]} …{e.doc_last4 or ''}", e.phone or "", e.purpose,
                      hosts.get(e.host_id, ""), _("yes") if e.photo_id else _("no")] for e in entries],
                    [_row_dict(GateEntry.__table__, _RowLike(e)) for e in entries])]
    out.append(_section("watchlist", _("Watchlist"), [_("Listed"), _("Full name"), _("Reason"), _("Note"), _("Active")],
                        [[_local(school, w.created_dt), w.name, w.reason.value, w.note,
                          _("yes") if w.is_active else _("no")] for w in found.watch],
                        [_row_dict(WatchlistEntry.__table__, _RowLike(w)) for w in found.watch]))
    phones = {e.phone for e in entries if e.phone}
    messages = list(db.session.scalars(sa.select(OutboundMessage).where(
        OutboundMessage.school_id == school.id, OutboundMessage.to_phone.in_(phones)))) if phones else []
    out.append(_messages_section(school, messages))
    consents = list(db.session.scalars(sa.select(Consent).where(
        Consent.school_id == school.id, Consent.gate_entry_id.in_([e.id for e in entries] or [0]))))
    out.append(_consents_section(school, consents))
    events = _events_about(school, object_type_of(GateEntry), [e.id for e in entries])
    events += _events_about(school, object_type_of(WatchlistEntry), [w.id for w in found.watch])
    out.append(_audit_section(school, _("Audit events about the person"), events))
    return out


def _yes(value) -> str:
    return _("yes") if value else _("no")


def _day(value) -> str:
    return value.isoformat() if value else ""


def _drill_label(school, drill: Drill) -> str:
    from ..drills.models import DRILL_KIND_LABELS

    what = _("Real emergency") if drill.is_real else _("Drill")
    return f"{_local(school, drill.started_dt)[:10]} · {what}: {DRILL_KIND_LABELS[drill.kind]}"


def _class_name(klass) -> str:
    return klass.name if klass is not None else ""


def _student_sections(school, found: Found, health: bool = False) -> list[Section]:
    """The child's dossier.  `health`: the reader may read injuries (the injury and the first aid are health
    data: the accidents area shows them to the director, the deputy director and the nurse only)."""
    from ..accidents.models import INCIDENT_LABELS
    from ..gate.models import ENTRY_KIND_LABELS
    from ..incidents.models import JOURNEY_LABELS, MODE_LABELS, SEVERITY_LABELS, STATUS_LABELS

    # road incidents first, as in the format's first version; then the records added since
    incidents = found.incidents
    out = [_section("road_incidents", _("Road incidents"),
                    [_("When"), _("Place"), _("Class"), _("Travelling as"), _("Journey"), _("Severity"),
                     _("What happened"), _("Measures taken"), _("Status")],
                    [[_local(school, i.occurred_dt), i.place, i.school_class.name if i.school_class else "",
                      MODE_LABELS[i.mode], JOURNEY_LABELS[i.journey], SEVERITY_LABELS[i.severity], i.description,
                      i.measures, STATUS_LABELS[i.status]] for i in incidents],
                    [_row_dict(RoadIncident.__table__, _RowLike(i)) for i in incidents])]
    students, guardians = found.students, found.guardians
    out.append(_section("class_list", _("Class lists for reunification"),
                        [_("Class"), _("Full name"), _("On the list"), _("Added"), _("Taken off the list")],
                        [[_class_name(s.school_class), s.full_name, _yes(s.is_active), _local(school, s.created_dt),
                          _local(school, s.left_dt)] for s in students],
                        [_row_dict(Student.__table__, _RowLike(s)) for s in students]))
    out.append(_section("guardians", _("Guardians"),
                        [_("Full name"), _("Relation to the child"), _("Phone"), _("Language of the SMS"),
                         _("Consent given on"), _("Consent paper"), _("Added")],
                        [[g.full_name, g.relation, g.phone, g.locale, _day(g.consent_on), g.consent_ref,
                          _local(school, g.created_dt)] for g in guardians],
                        [_row_dict(Guardian.__table__, _RowLike(g)) for g in guardians],
                        _("Kept only with the guardian's written consent (its date and paper).") if guardians else ""))
    staff = _user_names(h.staff_id for h in found.handovers)
    drill_ids = {h.drill_id for h in found.handovers}
    drills = {d.id: d for d in db.session.scalars(sa.select(Drill).where(
        Drill.school_id == school.id, Drill.id.in_(drill_ids)))} if drill_ids else {}
    out.append(_section("handovers", _("Hand-overs after an evacuation"),
                        [_("When"), _("Drill or emergency"), _("Taken by"), _("Relation to the child"),
                         _("Guardian on the list"), _("Document"), _("Handed over by")],
                        [[_local(school, h.handed_dt), _drill_label(school, drills[h.drill_id]), h.taken_by_name,
                          h.relation, _yes(h.is_guardian), f"…{h.doc_last4}" if h.doc_last4 else "",
                          staff.get(h.staff_id, "")] for h in found.handovers],
                        [_row_dict(Handover.__table__, _RowLike(h)) for h in found.handovers]))
    rolls = [(r, ", ".join(r.missing_names[a:b] for a, b in _missing_spans(r.missing_names, found.words,
                                                                           found.subject.exact)))
             for r in found.roll_calls]
    out.append(_section("roll_calls", _("Roll-calls that named the child as missing"),
                        [_("Drill or emergency"), _("Class"), _("Reported at"), _("Name as typed")],
                        [[_drill_label(school, r.drill), _class_name(r.school_class), _local(school, r.first_dt),
                          named] for r, named in rolls],
                        # the child's own name only: the same line names other children
                        [{"id": r.id, "school_id": r.school_id, "drill_id": r.drill_id, "class_id": r.class_id,
                          "first_dt": _plain(r.first_dt), "named_as_missing": named} for r, named in rolls]))
    aid_by = _user_names(i.first_aid_by_id for i in found.injuries)
    columns = [_("When"), _("Place"), _("Incident"), _("Class"), _("Full name"), _("Consent paper")]
    if health:
        columns += [_("Injury"), _("First aid"), _("First aid by")]
    rows, records = [], []
    for i in found.injuries:
        incident = i.incident
        row = [_local(school, incident.occurred_dt), incident.place, INCIDENT_LABELS[incident.kind],
               _class_name(i.klass), i.person_name, i.consent_paper]
        record_ = _row_dict(Injury.__table__, _RowLike(i))
        record_.update({"occurred": _plain(incident.occurred_dt), "place": incident.place,
                        "incident_kind": incident.kind.value})
        if health:
            row += [i.injury, i.first_aid, aid_by.get(i.first_aid_by_id, "")]
        else:
            record_.pop("injury", None)
            record_.pop("first_aid", None)
        rows.append(row)
        records.append(record_)
    out.append(_section("injuries", _("Injuries"), columns, rows, records,
                        "" if health or not rows else
                        _("Only the director, the deputy director and the nurse see the injury and the first aid "
                          "(health data): ask them for this part.")))
    out.append(_section("squad", _("Young traffic inspectors squad"),
                        [_("Class"), _("Full name"), _("Squad leader"), _("Consent paper"), _("Joined"), _("Left")],
                        [[_class_name(m.klass), m.student_name, _yes(m.is_leader), m.consent_paper, _day(m.joined_on),
                          _day(m.left_on)] for m in found.squad],
                        [_row_dict(SquadMember.__table__, _RowLike(m)) for m in found.squad]))
    hosts = _user_names(e.host_id for e in found.entries)
    out.append(_section("gate_log", _("Gate log: late arrivals and early leaves"),
                        [_("When"), _("Kind"), _("Full name"), _("Reason"), _("Allowed by")],
                        [[_local(school, e.in_dt), ENTRY_KIND_LABELS[e.kind], e.name, e.purpose,
                          hosts.get(e.host_id, "")] for e in found.entries],
                        [_row_dict(GateEntry.__table__, _RowLike(e)) for e in found.entries]))
    out.append(_consents_section(school, found.consents))
    events = _events_about(school, object_type_of(Student), [s.id for s in students])
    events += _events_about(school, object_type_of(Guardian), [g.id for g in guardians])
    events += _events_about(school, object_type_of(Handover), [h.id for h in found.handovers])
    events += _events_about(school, object_type_of(Injury), [i.id for i in found.injuries])
    events += _events_about(school, object_type_of(RoadIncident), [i.id for i in incidents])
    events += _events_about(school, object_type_of(SquadMember), [m.id for m in found.squad])
    events += _events_about(school, object_type_of(GateEntry), [e.id for e in found.entries])
    events += _events_about(school, object_type_of(Consent), [c.id for c in found.consents])
    events.sort(key=lambda e: e.seq)
    out.append(_audit_section(school, _("Audit events about the person"), events))
    return out


class _RowLike:
    """An ORM object read like a Core row (for _row_dict)."""

    def __init__(self, obj):
        self._mapping = {c.key: getattr(obj, attr.key) for attr in sa.inspect(type(obj)).column_attrs
                         for c in attr.columns}


def dossier(actor, school, found: Found, locale: str, *, health: bool = False) -> Dossier:
    """Everything held about the person, in the current locale (the caller forces the school's).  `health`:
    the reader may read injuries' health details (the view asks the accidents area's permission)."""
    if found.subject.kind == "staff":
        sections = _staff_sections(school, found.user)
    elif found.subject.kind == "visitor":
        sections = _visitor_sections(school, found)
    else:
        sections = _student_sections(school, found, health)
    return Dossier(found.subject.kind, found.label, school.name, now_utc(), sections, locale)


# --- correction and erasure --------------------------------------------------------------------------


def correct_name(actor, school, found: Found, new_name: str) -> int:
    """Correct a visitor's or a student's name in every record found; returns how many were changed.
    A staff member's account is corrected on their staff page (account rules apply there)."""
    new_name = (new_name or "").strip()
    if not new_name:
        raise ServiceError(_l("Type the correct name."), "new_name")
    if found.subject.kind == "visitor":
        rows = [e for e in found.entries if e.anonymised_dt is None]
        for e in rows:
            e.name, e.name_key = new_name[:200], name_key(new_name)
    elif found.subject.kind == "student":
        rows = _correct_student(school, found, " ".join(new_name.split()))
    else:
        raise ServiceError(_l("Correct a staff member's name or phone on their staff page."), "new_name")
    db.session.flush()
    record(actor, school, "privacy.correct", detail=found.audit_detail())
    return len(rows)


#: A class written in front of a child's name in the gate log ("5А: Асанов Бакыт"): kept on correction.
_CLASS_IN_FRONT = re.compile(r"^\s*\S*\d\S*\s+")


def _correct_student(school, found: Found, new_name: str) -> list:
    """The child's name corrected in every record found (not the guardians', not the adults' who took the
    child); a clash on a class list (one name per class) refuses the whole correction.  Returns the rows."""
    students = [s for s in found.students if s.anonymised_dt is None]
    classes = [s.class_id for s in students]
    if len(classes) != len(set(classes)) or (students and db.session.scalar(sa.select(Student.id).where(
            Student.school_id == school.id, Student.class_id.in_(classes), Student.full_name == new_name[:200],
            Student.id.not_in([s.id for s in students])).limit(1)) is not None):
        raise ServiceError(_l("This class already has a student with this name."), "new_name")
    for s in students:
        s.full_name, s.name_key = new_name[:200], name_key(new_name)
    injuries = [i for i in found.injuries if i.person_name]
    for i in injuries:
        i.person_name = new_name[:120]
    incidents = [i for i in found.incidents if not i.is_anonymised]
    for i in incidents:
        i.student_name = new_name[:120]
    squad = [m for m in found.squad if m.student_name not in ("", ANONYMISED)]
    for m in squad:
        m.student_name = new_name[:120]
    entries = [e for e in found.entries if e.anonymised_dt is None]
    for e in entries:
        front = _CLASS_IN_FRONT.match(e.name)
        e.name = ((front.group() if front else "") + new_name)[:200]
        e.name_key = name_key(e.name)
    for r in found.roll_calls:
        r.missing_names = _replace_spans(r.missing_names, found, new_name)
    consents = [c for c in found.consents if name_words(c.subject_name, found.subject.exact) == found.words]
    for c in consents:
        c.subject_name = new_name[:200]
    return [*students, *injuries, *incidents, *squad, *entries, *found.roll_calls, *consents]


def _replace_spans(text: str, found: Found, by: str) -> str:
    """A roll-call's names of the missing with the child's name replaced by `by` (the others' untouched)."""
    for start, end in reversed(_missing_spans(text, found.words, found.subject.exact)):
        text = text[:start] + by + text[end:]
    return text[:500]


@dataclass
class Erasure:
    erased: int
    kept: int
    reason_kept: str = ""


def erase(actor, school, found: Found, now: dt.datetime | None = None) -> Erasure:
    """Anonymise what the law allows; no row is deleted that another points at; the audit trail stays."""
    now = now or now_utc()
    kind = found.subject.kind
    detail = found.audit_detail()  # before: the erased guardians are gone after
    if kind == "visitor":
        keep = [e for e in found.entries if e.is_refused or e.watchlist_id is not None]
        wipe = [e for e in found.entries if e not in keep and e.anonymised_dt is None]
        _anonymise_entries(wipe, now)
        result = Erasure(len(wipe), len(keep) + len(found.watch),
                         _("Entries where the person was refused or matched the watchlist, and the watchlist "
                           "itself, are kept for the school's security; the director removes a watchlist "
                           "entry.") if keep or found.watch else "")
    elif kind == "student":
        result = _erase_student(school, found, now)
    else:
        user = found.user
        if user.is_enabled:
            raise ServiceError(_l("A person who still works here cannot be erased: deactivate the account "
                                  "first (the records of their work are kept)."))
        if not may_manage_account(actor, user):
            raise ServiceError(_l("This person also works at another school: ask their other director."))
        user.full_name = _("Former staff member %(n)s", n=user.id)
        user.username = f"erased-{user.id}-{secrets.token_hex(3)}"
        user.phone = None
        user.password_hash = "!erased"
        user.end_all_sessions()
        db.session.execute(sa.update(OutboundMessage).where(
            OutboundMessage.user_id == user.id, OutboundMessage.status.in_(list(FINAL_STATUSES)))
            .values(to_phone=""))
        _erase_consents(school, Consent.user_id == user.id)
        result = Erasure(1, 0)
    db.session.flush()
    record(actor, school, "privacy.erase", detail=f"{detail} erased={result.erased} kept={result.kept}")
    return result


def _erase_student(school, found: Found, now: dt.datetime) -> Erasure:
    """The child's personal data anonymised as the retention sweeps do it, at once; counts and times stay.

    - class list (drills.reunion.purge_expired): the child leaves the list, the name becomes "— <id>", the
      guardians are deleted; hand-overs: who took the child (name, relation, document) wiped, the time, the
      staff member and the drill stay (the after-action report's counts and times);
    - injuries (accidents.anonymise_injuries): the name and the consent paper wiped; the injury and the first
      aid stay, nameless, in the accident register until its retention wipes them;
    - road incidents: the name and the coordinates wiped, as before; the squad: as a member who left
      (roadsafety.member_left); the gate log: as the gate's retention; roll-calls: the child's name replaced
      by "—"; the consents: names and scan wiped, the paper's reference kept as proof."""
    students = [s for s in found.students if s.anonymised_dt is None]
    ids = [s.id for s in students]
    handovers = [h for h in found.handovers if h.anonymised_dt is None]
    guardians = found.guardians
    if handovers:
        db.session.execute(sa.update(Handover).where(Handover.school_id == school.id,
                                                     Handover.id.in_([h.id for h in handovers]))
                           .values(taken_by_name=ANONYMISED, relation="", doc_last4=None, guardian_id=None,
                                   anonymised_dt=now))
    for h in handovers:
        db.session.expire(h)
    if ids:
        db.session.execute(sa.delete(Guardian).where(Guardian.school_id == school.id, Guardian.student_id.in_(ids)))
    for s in students:
        s.full_name, s.name_key, s.anonymised_dt = f"{ANONYMISED} {s.id}", "", now
        s.is_active, s.left_dt = False, s.left_dt or now
        db.session.expire(s, ["guardians"])
    injuries = [i for i in found.injuries if i.person_name]
    for i in injuries:
        i.person_name, i.consent_paper = "", ""
    incidents = [i for i in found.incidents if not i.is_anonymised]
    for i in incidents:
        i.student_name, i.has_consent, i.latitude, i.longitude, i.anonymised_dt = "", False, None, None, now
    squad = [m for m in found.squad if m.student_name not in ("", ANONYMISED)]
    for m in squad:
        m.student_name, m.is_leader = ANONYMISED, False
        m.left_on = m.left_on or school_today(school)
    entries = [e for e in found.entries if e.anonymised_dt is None]
    _anonymise_entries(entries, now)
    for r in found.roll_calls:
        r.missing_names = _replace_spans(r.missing_names, found, ANONYMISED)
    consents = [c for c in found.consents if c.subject_name != ANONYMISED]
    _erase_consents(school, sa.or_(Consent.id.in_([c.id for c in consents] or [0]),
                                   Consent.incident_id.in_([i.id for i in incidents] or [0])))
    erased = [*students, *guardians, *handovers, *injuries, *incidents, *squad, *entries, *found.roll_calls,
              *consents]
    return Erasure(len(erased), 0, _(
        "Kept without the child's name: the time of each hand-over and who handed the child over (the "
        "after-action report's counts and times); the accident register keeps the injury and the first aid "
        "without the name until its retention period ends; road incidents, and the squad's dates, class and "
        "consent paper number, for the reports; the consent papers' numbers as proof; the audit log. The child "
        "is off the class list for reunification: if they still attend, put them back on it with the "
        "parents' agreement.") if erased else "")


def _anonymise_entries(entries, now) -> None:
    ids = [e.id for e in entries]
    if not ids:
        return
    photo_ids = [e.photo_id for e in entries if e.photo_id]
    db.session.execute(sa.update(GateEntry).where(GateEntry.id.in_(ids)).values(
        name=ANONYMISED, name_key="", doc_last4=None, phone=None, purpose="", vehicle_plate="", photo_id=None,
        has_photo_consent=False, anonymised_dt=now))
    db.session.execute(sa.delete(GateNameWord).where(GateNameWord.entry_id.in_(ids)))
    if photo_ids:
        db.session.execute(sa.delete(GatePhoto).where(GatePhoto.id.in_(photo_ids)))
    _erase_consents(None, Consent.gate_entry_id.in_(ids))
    for e in entries:
        db.session.expire(e)


def _erase_consents(school, condition) -> None:
    query = sa.select(Consent).where(condition)
    if school is None:  # retention: the consents of entries of any school being anonymised
        query = query.execution_options(cross_school="retention: consents of the entries being anonymised")
    else:
        query = query.where(Consent.school_id == school.id)
    consents = list(db.session.scalars(query))
    scan_ids = [c.scan_id for c in consents if c.scan_id]
    for c in consents:
        c.subject_name = c.given_by = ANONYMISED
        c.scan_id = None
    db.session.flush()
    if scan_ids:
        db.session.execute(sa.delete(ConsentScan).where(ConsentScan.id.in_(scan_ids)))


# --- the consent register ---------------------------------------------------------------------------------


def save_consent(actor, school, *, subject_kind, subject_name, given_by, given_by_relation="", purpose,
                 purpose_detail="", given_on, paper_ref, incident_id=None, gate_entry_id=None, user_id=None,
                 scan=None, today: dt.date | None = None) -> Consent:
    """Record a written consent (with the scan of the paper, if given)."""
    today = today or dt.datetime.now(zone(school.timezone)).date()
    subject_name, given_by, paper_ref = ((v or "").strip() for v in (subject_name, given_by, paper_ref))
    if not subject_name:
        raise ServiceError(_l("Whose data is it?"), "subject_name")
    if not given_by:
        raise ServiceError(_l("Who signed the consent?"), "given_by")
    if not paper_ref:
        raise ServiceError(_l("Which paper: its number, date or the file where it is kept."), "paper_ref")
    if given_on is None:
        raise ServiceError(_l("Choose a date."), "given_on")
    if given_on > today:
        raise ServiceError(_l("The date cannot be in the future."), "given_on")
    if incident_id and db.session.scalar(sa.select(RoadIncident.id).where(
            RoadIncident.school_id == school.id, RoadIncident.id == incident_id)) is None:
        raise ServiceError(_l("Choose a road incident of this school."), "incident_id")
    if gate_entry_id and db.session.scalar(sa.select(GateEntry.id).where(
            GateEntry.school_id == school.id, GateEntry.id == gate_entry_id)) is None:
        raise ServiceError(_l("No gate entry with this number at this school."), "gate_entry_id")
    if user_id and db.session.scalar(sa.select(Membership.id).where(
            Membership.school_id == school.id, Membership.user_id == user_id)) is None:
        raise ServiceError(_l("Choose a person who works at this school."), "user_id")
    consent = Consent(school_id=school.id, subject_kind=SubjectKind(subject_kind), subject_name=subject_name[:200],
                      given_by=given_by[:200], given_by_relation=(given_by_relation or "").strip()[:60],
                      purpose=Purpose(purpose), purpose_detail=(purpose_detail or "").strip()[:300],
                      given_on=given_on, paper_ref=paper_ref[:120], incident_id=incident_id or None,
                      gate_entry_id=gate_entry_id or None, user_id=user_id or None,
                      recorded_by_id=getattr(actor, "id", None))
    if has_upload(scan):
        image = clean_image(scan, field="scan")
        consent.scan = ConsentScan(school_id=school.id, content_type=image.content_type, data=image.data)
    db.session.add(consent)
    db.session.flush()
    record(actor, school, "consent.create", consent, detail=f"purpose={consent.purpose.value}")
    return consent


def withdraw_consent(actor, school, consent: Consent, *, withdrawn_on, note="", today: dt.date | None = None) -> list:
    """Record the withdrawal; the records that depended on the consent follow it.  Returns what changed."""
    from ..incidents.services import withdraw_name_consent

    today = today or dt.datetime.now(zone(school.timezone)).date()
    if consent.withdrawn_on is not None:
        raise ServiceError(_l("This consent was already withdrawn."))
    if withdrawn_on is None:
        raise ServiceError(_l("Choose a date."), "withdrawn_on")
    if withdrawn_on > today:
        raise ServiceError(_l("The date cannot be in the future."), "withdrawn_on")
    if withdrawn_on < consent.given_on:
        raise ServiceError(_l("A consent cannot be withdrawn before it was given."), "withdrawn_on")
    consent.withdrawn_on, consent.withdrawal_note = withdrawn_on, (note or "").strip()[:300]
    consent.withdrawn_by_id = getattr(actor, "id", None)
    changed = []
    if consent.purpose is Purpose.INCIDENT_NAME and consent.incident_id:
        incident = db.session.get(RoadIncident, consent.incident_id)
        if incident is not None and incident.school_id == school.id and withdraw_name_consent(actor, school,
                                                                                              incident):
            changed.append(_("The student's name was removed from road incident No. %(n)s.", n=incident.id))
    if consent.purpose is Purpose.VISITOR_PHOTO and consent.gate_entry_id:
        entry = db.session.get(GateEntry, consent.gate_entry_id)
        if entry is not None and entry.school_id == school.id and (entry.photo_id or entry.has_photo_consent):
            photo_id = entry.photo_id
            entry.photo_id, entry.has_photo_consent = None, False
            db.session.flush()
            if photo_id:
                db.session.execute(sa.delete(GatePhoto).where(GatePhoto.id == photo_id))
            record(actor, school, "gate.photo_removed", entry, detail="consent withdrawn")
            changed.append(_("The photo of gate entry No. %(n)s was deleted.", n=entry.id))
    if consent.purpose is Purpose.PUBLICATION:
        changed.append(_("Take the published data down from the school's website and notices."))
    db.session.flush()
    record(actor, school, "consent.withdraw", consent, detail=f"purpose={consent.purpose.value}")
    return changed


def consents(school, *, in_force: bool | None = None) -> list[Consent]:
    q = sa.select(Consent).where(Consent.school_id == school.id)
    if in_force is True:
        q = q.where(Consent.withdrawn_on.is_(None))
    elif in_force is False:
        q = q.where(Consent.withdrawn_on.is_not(None))
    return list(db.session.scalars(q.order_by(Consent.given_on.desc(), Consent.id.desc())))
