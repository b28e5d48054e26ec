"""Personal data on request: correction and erasure, and the consent register.

Plain functions of (actor, school, …): views, the CLI and tests call them alike.  Nothing here
deletes a row another row points at: erasure overwrites the personal fields (as the retention
jobs do) and the audit trail stays.  Who a request is about and the records found: `search`; the
subject-access export: `subject_access`."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..audit.services import record
from ..drills.models import Guardian, Handover, Student
from ..errors_service import ServiceError
from ..extensions import db
from ..gate.models import GateEntry, GateNameWord, GatePhoto
from ..gate.names import name_key
from ..gate.services import ANONYMISED
from ..incidents.models import RoadIncident
from ..notifications.models import FINAL_STATUSES, OutboundMessage
from ..schools.authority import may_manage_account
from ..schools.models import Membership
from ..time import now_utc, school_today, zone
from ..uploads import clean_image, has_upload
from .models import Consent, ConsentScan, Purpose, SubjectKind
from .search import Found, missing_spans, name_words

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
    for start, end in reversed(missing_spans(text, found.words, found.subject.exact)):
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
