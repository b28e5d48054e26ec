"""The incident register and the injuries in it."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..audit.services import record
from ..auth.models import User
from ..auth.roles import Role
from ..drills.models import SchoolClass
from ..errors_service import ServiceError
from ..extensions import db
from ..notifications import outbox
from ..schools.models import Membership, School
from ..scoping import cross_school
from ..time import now_utc, zone
from .models import INCIDENT_LABELS, IncidentKind, Injury, SchoolIncident

# --- the SMS to the director (issue 17) ----------------------------------------------------------------

INJURY_SMS = "accidents.injury"
#: No name, no class, no injury (health data; the phone may be seen by others): the kind of incident,
#: where, when (school time) and the register's number (the incident's page is /accidents/<number>).
INJURY_TEXT = _l("Injury (%(kind)s): %(place)s, %(time)s, No. %(num)s")
#: The kind of incident, short, as it reads inside the SMS.
SMS_KINDS = {
    IncidentKind.INJURY: _l("accident"),
    IncidentKind.FIGHT: _l("fight"),
    IncidentKind.PROPERTY: _l("damage"),
    IncidentKind.INTRUSION: _l("intrusion"),
    IncidentKind.OTHER: _l("other incident"),
}
#: The place is shortened to this many characters (at a word boundary).
SMS_PLACE_CHARS = 18
#: Longest-likely values, for the one-SMS test (tests/notifications/test_texts.py); every kind is checked in
#: tests/accidents/test_injury_sms.py.
SMS_SAMPLE = {"kind": SMS_KINDS[IncidentKind.INJURY], "place": "Ж" * SMS_PLACE_CHARS, "time": "23.11 10:40",
              "num": "999999"}


def register_texts() -> None:
    outbox.register_text(INJURY_SMS, INJURY_TEXT, sample=SMS_SAMPLE)


def directors(school: School) -> list[User]:
    """Who is told of an injury at once: the school's directors (enabled accounts)."""
    return list(db.session.scalars(
        sa.select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.school_id == school.id, Membership.role == Role.DIRECTOR, User.is_enabled.is_(True))
        .order_by(User.id)))


def alert_injury(school: School, injury: Injury, actor: User | None = None) -> list:
    """Queue the urgent SMS of `injury` to the directors (not to the one who recorded it), in each one's
    language. Once per injury (the outbox's key ``accidents.injury:<injury id>:<person>``): calling it
    again queues nothing. No commit."""
    incident = injury.incident
    people = [u for u in directors(school) if u.id != getattr(actor, "id", None)]
    if not people:
        return []
    when = incident.occurred_dt.astimezone(zone(school.timezone)).strftime("%d.%m %H:%M")
    return outbox.notify(school, people, INJURY_SMS, str(injury.id),
                         {"kind": SMS_KINDS[incident.kind], "place": outbox.sms_name(incident.place, SMS_PLACE_CHARS),
                          "time": when, "num": str(incident.id)}, urgent=True)


def classes(school: School) -> list[SchoolClass]:
    return list(db.session.scalars(sa.select(SchoolClass).where(SchoolClass.school_id == school.id)
                                   .order_by(SchoolClass.grade, SchoolClass.name)))


def record_incident(actor: User | None, school: School, *, kind: str, occurred_dt: dt.datetime, place: str,
                    description: str, parents_informed: bool, ambulance: bool, police: bool,
                    measures: str = "") -> SchoolIncident:
    if occurred_dt > now_utc() + dt.timedelta(minutes=5):
        raise ServiceError(_l("This time has not come yet."), "occurred_on")
    row = SchoolIncident(school_id=school.id, kind=IncidentKind(kind), occurred_dt=occurred_dt,
                         place=place.strip()[:200], description=description.strip(),
                         has_parents_informed=parents_informed, has_ambulance=ambulance, has_police=police,
                         measures=(measures or "").strip(), recorded_by_id=getattr(actor, "id", None))
    db.session.add(row)
    db.session.flush()
    record(actor, school, "accidents.incident", row)
    return row


def add_injury(actor: User | None, school: School, incident: SchoolIncident, *, class_id: int | None,
               person_name: str, consent_paper: str, injury: str, first_aid: str, alert: bool = True) -> Injury:
    """A name is kept only with the parent's explicit written consent (its paper named).  The directors
    get an SMS at once (`alert_injury`; `alert=False`: the demo's past injury)."""
    person_name, consent_paper = (person_name or "").strip(), (consent_paper or "").strip()
    if person_name and not consent_paper:
        raise ServiceError(_l("A name is kept only with the parent's written consent: name the paper, or leave "
                              "the name empty (the class is enough)."), "consent_paper")
    if class_id is not None and class_id not in {c.id for c in classes(school)}:
        raise ServiceError(_l("Choose a class of this school."), "class_id")
    row = Injury(school_id=school.id, incident_id=incident.id, class_id=class_id, person_name=person_name[:120],
                 consent_paper=consent_paper[:80] if person_name else "", injury=injury.strip()[:300],
                 first_aid=(first_aid or "").strip()[:300], first_aid_by_id=getattr(actor, "id", None))
    db.session.add(row)
    db.session.flush()
    record(actor, school, "accidents.injury", row)
    if alert:
        alert_injury(school, row, actor)
    return row


def incidents(school: School, kind: str | None = None, limit: int = 200) -> list[SchoolIncident]:
    q = sa.select(SchoolIncident).where(SchoolIncident.school_id == school.id)
    if kind in {k.value for k in IncidentKind}:
        q = q.where(SchoolIncident.kind == IncidentKind(kind))
    return list(db.session.scalars(q.order_by(SchoolIncident.occurred_dt.desc(), SchoolIncident.id.desc())
                                   .limit(limit)))


def injury_counts(school: School) -> dict[int, int]:
    rows = db.session.execute(sa.select(Injury.incident_id, sa.func.count()).where(Injury.school_id == school.id)
                              .group_by(Injury.incident_id))
    return {incident_id: n for incident_id, n in rows}


def recent_injuries(school: School, since: dt.datetime) -> list[tuple[SchoolIncident, int]]:
    """Incidents since `since` with people injured in them, newest first, with how many."""
    n = sa.func.count(Injury.id)
    rows = db.session.execute(
        sa.select(SchoolIncident, n).join(Injury, Injury.incident_id == SchoolIncident.id)
        .where(SchoolIncident.school_id == school.id, SchoolIncident.occurred_dt >= since)
        .group_by(SchoolIncident.id).order_by(SchoolIncident.occurred_dt.desc()))
    return [(i, count) for i, count in rows]


def by_kind(school: School, since: dt.datetime) -> list[tuple[IncidentKind, int]]:
    """How many incidents of each kind since `since` (the register's short analysis)."""
    rows = db.session.execute(sa.select(SchoolIncident.kind, sa.func.count())
                              .where(SchoolIncident.school_id == school.id, SchoolIncident.occurred_dt >= since)
                              .group_by(SchoolIncident.kind))
    return sorted(((IncidentKind(k), n) for k, n in rows), key=lambda r: -r[1])


# --- retention ---------------------------------------------------------------------------------------

#: Health details of an injury are kept this many months after the incident (config
#: ACCIDENTS_INJURY_RETENTION_MONTHS; 0 keeps them): then the name, the consent paper, the injury and
#: the first aid are wiped, and the class and the count stay for the register's figures.
DEFAULT_INJURY_RETENTION_MONTHS = 36
#: What a wiped injury's text reads.
ANONYMISED = "—"


def _months_before(now: dt.datetime, months: int) -> dt.datetime:
    y, m = divmod(now.year * 12 + now.month - 1 - months, 12)
    return now.replace(year=y, month=m + 1, day=min(now.day, 28))


@cross_school("retention runs over every school")
def anonymise_injuries(now: dt.datetime, months: int) -> int:
    """Wipe the health details of injuries in incidents older than `months` months.  Idempotent: an
    injury already wiped is not touched again.  Returns how many were wiped."""
    if months <= 0:
        return 0
    cutoff = _months_before(now, months)
    rows = db.session.execute(
        sa.select(Injury.id, Injury.school_id).join(SchoolIncident, SchoolIncident.id == Injury.incident_id)
        .where(SchoolIncident.occurred_dt < cutoff, Injury.injury != ANONYMISED)).all()
    if not rows:
        return 0
    ids = [r.id for r in rows]
    for chunk in range(0, len(ids), 1000):
        db.session.execute(sa.update(Injury).where(Injury.id.in_(ids[chunk:chunk + 1000])).values(
            person_name="", consent_paper="", injury=ANONYMISED, first_aid=""))
    per_school: dict[int, int] = {}
    for r in rows:
        per_school[r.school_id] = per_school.get(r.school_id, 0) + 1
    for school_id, n in sorted(per_school.items()):
        record(None, db.session.get(School, school_id), "accidents.retention",
               detail=f"injuries anonymised={n} before={cutoff.date().isoformat()}")
    return len(ids)


# --- the filtered list and the analysis (charts) -------------------------------------------------------------------

MONTH_NAMES = [_l("Jan"), _l("Feb"), _l("Mar"), _l("Apr"), _l("May"), _l("Jun"), _l("Jul"), _l("Aug"), _l("Sep"),
               _l("Oct"), _l("Nov"), _l("Dec")]


@dataclass
class Filters:
    """What a bar of a chart opens: the register filtered (every field optional)."""

    kind: str = ""
    year: int | None = None
    #: "YYYY-MM"
    month: str = ""
    place: str = ""
    grade: int | None = None

    def as_args(self) -> dict:
        return {k: v for k, v in (("kind", self.kind), ("year", self.year), ("month", self.month),
                                  ("place", self.place), ("grade", self.grade)) if v not in ("", None)}


def _local_range(school: School, first: dt.date, after: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = zone(school.timezone)
    return (dt.datetime.combine(first, dt.time(), tzinfo=tz).astimezone(dt.UTC),
            dt.datetime.combine(after, dt.time(), tzinfo=tz).astimezone(dt.UTC))


def filtered(school: School, flt: Filters, limit: int = 200) -> list[SchoolIncident]:
    """The register with a chart's filter: kind, school-local year or month, place, a grade injured."""
    q = sa.select(SchoolIncident).where(SchoolIncident.school_id == school.id)
    if flt.kind in {k.value for k in IncidentKind}:
        q = q.where(SchoolIncident.kind == IncidentKind(flt.kind))
    if flt.month:
        y, m = (int(p) for p in flt.month.split("-"))
        a, b = _local_range(school, dt.date(y, m, 1), dt.date(y + (m == 12), m % 12 + 1, 1))
        q = q.where(SchoolIncident.occurred_dt >= a, SchoolIncident.occurred_dt < b)
    elif flt.year:
        a, b = _local_range(school, dt.date(flt.year, 1, 1), dt.date(flt.year + 1, 1, 1))
        q = q.where(SchoolIncident.occurred_dt >= a, SchoolIncident.occurred_dt < b)
    if flt.place:
        q = q.where(SchoolIncident.place == flt.place)
    if flt.grade is not None:
        hurt = (sa.select(Injury.incident_id).join(SchoolClass, SchoolClass.id == Injury.class_id)
                .where(Injury.school_id == school.id, SchoolClass.grade == flt.grade))
        q = q.where(SchoolIncident.id.in_(hurt))
    return list(db.session.scalars(q.order_by(SchoolIncident.occurred_dt.desc(), SchoolIncident.id.desc())
                                   .limit(limit)))


@dataclass
class Bar:
    label: str
    count: int
    #: The register's filter behind the bar.
    args: dict


@dataclass
class Chart:
    key: str
    title: str
    bars: list[Bar]

    @property
    def max(self) -> int:
        return max((b.count for b in self.bars), default=0)


@dataclass
class Analysis:
    year: int
    incidents: int
    injured: int
    ambulance: int
    with_measures: int
    charts: list[Chart] = field(default_factory=list)


def analyse(school: School, year: int) -> Analysis:
    """The year's incidents and the people injured in them: by month, by kind, by place, by grade (counts only:
    no name, no injury).  Two queries."""
    a, b = _local_range(school, dt.date(year, 1, 1), dt.date(year + 1, 1, 1))
    incidents = db.session.execute(
        sa.select(SchoolIncident.id, SchoolIncident.occurred_dt, SchoolIncident.kind, SchoolIncident.place,
                  SchoolIncident.has_ambulance, SchoolIncident.measures)
        .where(SchoolIncident.school_id == school.id, SchoolIncident.occurred_dt >= a,
               SchoolIncident.occurred_dt < b)).all()
    hurt = db.session.execute(
        sa.select(Injury.incident_id, SchoolClass.grade).outerjoin(SchoolClass, SchoolClass.id == Injury.class_id)
        .join(SchoolIncident, SchoolIncident.id == Injury.incident_id)
        .where(Injury.school_id == school.id, SchoolIncident.occurred_dt >= a, SchoolIncident.occurred_dt < b)).all()
    tz = zone(school.timezone)
    by_incident = {r.id: r for r in incidents}
    month_hurt: Counter[int] = Counter()
    place_hurt: Counter[str] = Counter()
    grades: Counter[int] = Counter()
    for incident_id, grade in hurt:
        row = by_incident[incident_id]
        _aware = row.occurred_dt if row.occurred_dt.tzinfo else row.occurred_dt.replace(tzinfo=dt.UTC)
        month_hurt[_aware.astimezone(tz).month] += 1
        place_hurt[row.place] += 1
        if grade is not None:
            grades[grade] += 1
    kinds = Counter(IncidentKind(r.kind) for r in incidents)
    injury = IncidentKind.INJURY.value
    charts = [
        Chart("month", str(_l("People injured by month")),
              [Bar(str(MONTH_NAMES[m - 1]), month_hurt[m], {"kind": injury, "month": f"{year}-{m:02d}"})
               for m in range(1, 13)]),
        Chart("kind", str(_l("Incidents by kind")),
              [Bar(str(INCIDENT_LABELS[k]), kinds[k], {"year": year, "kind": k.value}) for k in IncidentKind]),
        Chart("place", str(_l("Where people were injured (most frequent)")),
              [Bar(p, n, {"year": year, "kind": injury, "place": p}) for p, n in place_hurt.most_common(10)]),
        Chart("grade", str(_l("People injured by grade")),
              [Bar(str(_l("Grade %(n)s", n=g)), grades[g], {"year": year, "kind": injury, "grade": g})
               for g in sorted(grades)]),
    ]
    return Analysis(year=year, incidents=len(incidents), injured=len(hurt),
                    ambulance=sum(1 for r in incidents if r.has_ambulance),
                    with_measures=sum(1 for r in incidents if (r.measures or "").strip()), charts=charts)
