"""The subject-access export: everything the school holds about a person (`dossier()`), section by
section for a staff member, a visitor or a student, as tables to read and as JSON (`Dossier.as_json`).
A staff member's records are shown without the personal data of the other people in them."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import re
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..accidents.models import Injury
from ..audit.models import AuditEvent
from ..audit.services import object_type_of
from ..auth.models import User
from ..drills.models import Drill, Guardian, Handover, Student
from ..extensions import db
from ..gate.models import GateEntry, WatchlistEntry
from ..incidents.models import RoadIncident
from ..notifications.models import OutboundMessage
from ..roadsafety.models import SquadMember
from ..schools.models import AREA_LABELS, Appointment, Membership
from ..time import now_utc, zone
from .models import Consent
from .search import Found, missing_spans


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
    rolls = [(r, ", ".join(r.missing_names[a:b] for a, b in missing_spans(r.missing_names, found.words,
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
