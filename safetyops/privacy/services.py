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

from ..audit.models import AuditEvent
from ..audit.services import object_type_of, record
from ..auth.models import User
from ..errors_service import ServiceError
from ..extensions import db
from ..gate.models import GateEntry, GateNameWord, GatePhoto, WatchlistEntry
from ..gate.names import name_key
from ..gate.services import ANONYMISED, clean_last4
from ..incidents.models import RoadIncident
from ..notifications.models import FINAL_STATUSES, OutboundMessage
from ..schools.authority import may_manage_account
from ..schools.models import AREA_LABELS, Appointment, Membership
from ..time import now_utc, zone
from ..uploads import clean_image, has_upload
from .models import Consent, ConsentScan, Purpose, SubjectKind

KINDS = ("staff", "visitor", "student")


def fold(name: str) -> str:
    """A name compared without case and extra spaces."""
    return re.sub(r"\s+", " ", (name or "").strip()).casefold()


# --- who is asked about -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """The person a request is about: a staff member (by account), a visitor (name + last characters
    of the document, as the gate log keeps them) or a student named in road incidents (name)."""

    kind: str
    user_id: int | None = None
    name: str = ""
    doc: str = ""


@dataclass
class Found:
    subject: Subject
    label: str
    user: User | None = None
    entries: list[GateEntry] = field(default_factory=list)
    watch: list[WatchlistEntry] = field(default_factory=list)
    incidents: list[RoadIncident] = field(default_factory=list)

    def audit_detail(self) -> str:
        """What the audit event names: kinds and ids, never the name asked for."""
        if self.subject.kind == "staff":
            return f"kind=staff user={self.user.id}"
        if self.subject.kind == "visitor":
            return "kind=visitor entries=" + ",".join(str(e.id) for e in self.entries)
        return "kind=student incidents=" + ",".join(str(i.id) for i in self.incidents)

    @property
    def is_empty(self) -> bool:
        return self.user is None and not self.entries and not self.watch and not self.incidents


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
        wanted = fold(name)
        rows = db.session.scalars(sa.select(RoadIncident).where(RoadIncident.school_id == school.id,
                                                                RoadIncident.student_name != "")
                                  .order_by(RoadIncident.occurred_dt))
        incidents = [i for i in rows if fold(i.student_name) == wanted]
        return Found(Subject("student", name=name), name, incidents=incidents)
    raise ServiceError(_l("Choose whose data is asked for."), "kind")


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
                    [_("Name"), _("Sign-in name"), _("Phone"), _("Language"), _("Role"), _("Account made"),
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
                    [_("In"), _("Out"), _("Kind"), _("Name"), _("Document"), _("Phone"), _("Purpose"),
                     _("Person visited"), _("Photo")],
                    [[_local(school, e.in_dt), _local(school, e.out_dt), ENTRY_KIND_LABELS[e.kind], e.name,
                      f"{DOC_TYPE_LABELS[e.doc_type]} …{e.doc_last4 or ''}", e.phone or "", e.purpose,
                      hosts.get(e.host_id, ""), _("yes") if e.photo_id else _("no")] for e in entries],
                    [_row_dict(GateEntry.__table__, _RowLike(e)) for e in entries])]
    out.append(_section("watchlist", _("Watchlist"), [_("Listed"), _("Name"), _("Reason"), _("Note"), _("Active")],
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


def _student_sections(school, found: Found) -> list[Section]:
    from ..incidents.models import JOURNEY_LABELS, MODE_LABELS, SEVERITY_LABELS, STATUS_LABELS

    incidents = found.incidents
    out = [_section("road_incidents", _("Road incidents"),
                    [_("When"), _("Place"), _("Class"), _("Travelling as"), _("Journey"), _("Severity"),
                     _("What happened"), _("Measures taken"), _("Status")],
                    [[_local(school, i.occurred_dt), i.place, i.school_class.name if i.school_class else "",
                      MODE_LABELS[i.mode], JOURNEY_LABELS[i.journey], SEVERITY_LABELS[i.severity], i.description,
                      i.measures, STATUS_LABELS[i.status]] for i in incidents],
                    [_row_dict(RoadIncident.__table__, _RowLike(i)) for i in incidents])]
    ids = [i.id for i in incidents]
    consents = list(db.session.scalars(sa.select(Consent).where(Consent.school_id == school.id,
                                                                Consent.incident_id.in_(ids or [0]))))
    out.append(_consents_section(school, consents))
    out.append(_audit_section(school, _("Audit events about the person"),
                              _events_about(school, object_type_of(RoadIncident), ids)))
    return out


class _RowLike:
    """An ORM object read like a Core row (for _row_dict)."""

    def __init__(self, obj):
        self._mapping = {c.key: getattr(obj, attr.key) for attr in sa.inspect(type(obj)).column_attrs
                         for c in attr.columns}


def dossier(actor, school, found: Found, locale: str) -> Dossier:
    """Everything held about the person, in the current locale (the caller forces the school's)."""
    if found.subject.kind == "staff":
        sections = _staff_sections(school, found.user)
    elif found.subject.kind == "visitor":
        sections = _visitor_sections(school, found)
    else:
        sections = _student_sections(school, found)
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
        rows = [i for i in found.incidents if not i.is_anonymised]
        for i in rows:
            i.student_name = new_name[:120]
    else:
        raise ServiceError(_l("Correct a staff member's name or phone on their staff page."), "new_name")
    db.session.flush()
    record(actor, school, "privacy.correct", detail=found.audit_detail())
    return len(rows)


@dataclass
class Erasure:
    erased: int
    kept: int
    reason_kept: str = ""


def erase(actor, school, found: Found, now: dt.datetime | None = None) -> Erasure:
    """Anonymise what the law allows; no row is deleted that another points at; the audit trail stays."""
    now = now or now_utc()
    kind = found.subject.kind
    if kind == "visitor":
        keep = [e for e in found.entries if e.is_refused or e.watchlist_id is not None]
        wipe = [e for e in found.entries if e not in keep and e.anonymised_dt is None]
        _anonymise_entries(wipe, now)
        result = Erasure(len(wipe), len(keep) + len(found.watch),
                         _("Entries where the person was refused or matched the watchlist, and the watchlist "
                           "itself, are kept for the school's security; the director removes a watchlist "
                           "entry.") if keep or found.watch else "")
    elif kind == "student":
        wipe = [i for i in found.incidents if not i.is_anonymised]
        for i in wipe:
            i.student_name, i.has_consent, i.latitude, i.longitude, i.anonymised_dt = "", False, None, None, now
        _erase_consents(school, Consent.incident_id.in_([i.id for i in wipe] or [0]))
        result = Erasure(len(wipe), 0)
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
    record(actor, school, "privacy.erase", detail=f"{found.audit_detail()} erased={result.erased} kept={result.kept}")
    return result


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
