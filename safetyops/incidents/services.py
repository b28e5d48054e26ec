"""Road-incident register, its export and retention; briefing plans, records and events.

The register's analysis (the year's charts) is in `analysis.py`."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..audit.services import record
from ..canteen.services import school_class
from ..drills.models import SchoolClass
from ..errors_service import ServiceError
from ..extensions import db
from ..schools.models import Membership
from ..scoping import cross_school
from ..time import now_utc, zone
from .models import (
    DEFAULT_RETENTION_MONTHS,
    JOURNEY_LABELS,
    MODE_LABELS,
    SEVERITY_LABELS,
    STATUS_LABELS,
    Briefing,
    BriefingKind,
    BriefingPlanItem,
    EventKind,
    IncidentSettings,
    IncidentStatus,
    Journey,
    RoadIncident,
    SchoolEvent,
    Severity,
    TravelMode,
)

# --- the register ----------------------------------------------------------------------------------------------


def place_key(place: str) -> str:
    """Fold a place for grouping: lower case, punctuation to spaces, single spaces."""
    return re.sub(r"\s+", " ", re.sub(r"[^\w]+", " ", (place or "").lower())).strip()[:200]


def age_group(grade: int | None) -> str:
    if grade is None:
        return "unknown"
    if grade <= 4:
        return "primary"
    if grade <= 9:
        return "middle"
    return "senior"


AGE_GROUP_LABELS = {
    "primary": _l("Grades 1–4 (7–10 years)"),
    "middle": _l("Grades 5–9 (11–15 years)"),
    "senior": _l("Grades 10–11 (16–17 years)"),
    "unknown": _l("Class not known"),
}

TIME_BANDS = [
    ("night", 0, 6, _l("Night (0–6)")),
    ("morning", 6, 9, _l("Morning, to school (6–9)")),
    ("day", 9, 13, _l("School day (9–13)")),
    ("afternoon", 13, 17, _l("Afternoon, home (13–17)")),
    ("evening", 17, 24, _l("Evening (17–24)")),
]


def time_band(hour: int) -> str:
    return next(key for key, a, b, _label in TIME_BANDS if a <= hour < b)


def retention_months(school) -> int:
    found = db.session.scalar(sa.select(IncidentSettings.retention_months)
                              .where(IncidentSettings.school_id == school.id))
    return found or DEFAULT_RETENTION_MONTHS


def save_retention(actor, school, months: int) -> None:
    if months is None or not 1 <= months <= 240:
        raise ServiceError(_l("Between 1 and 240 months."), "retention_months")
    found = db.session.scalar(sa.select(IncidentSettings).where(IncidentSettings.school_id == school.id))
    if found is None:
        found = IncidentSettings(school_id=school.id)
        db.session.add(found)
    found.retention_months = months
    db.session.flush()
    record(actor, school, "incident.retention", found, detail=f"months={months}")


def _staff_member(school, user_id) -> bool:
    return db.session.scalar(sa.select(Membership.id).where(Membership.school_id == school.id,
                                                            Membership.user_id == user_id)) is not None


FIELDS = ("occurred_dt", "place", "latitude", "longitude", "student_name", "has_consent", "class_id", "mode",
          "journey", "severity", "description", "police_report", "parents_informed_dt", "parents_informed_by_id",
          "measures", "status")


def save_incident(actor, school, incident: RoadIncident | None, *, now: dt.datetime | None = None,
                  **fields) -> RoadIncident:
    """Register or correct an incident.  Refuses a date in the future, a class of another school, parents
    informed before the incident; keeps the name only with the parents' consent."""
    now = now or now_utc()
    occurred = fields["occurred_dt"]
    if occurred is None:
        raise ServiceError(_l("When did it happen?"), "occurred_date")
    if occurred > now + dt.timedelta(minutes=5):
        raise ServiceError(_l("The incident cannot be in the future."), "occurred_date")
    klass: SchoolClass | None = None
    if fields.get("class_id"):
        klass = school_class(school, fields["class_id"])
    place = (fields.get("place") or "").strip()
    if not place:
        raise ServiceError(_l("Where did it happen?"), "place")
    lat, lon = fields.get("latitude"), fields.get("longitude")
    if (lat is None) != (lon is None):
        raise ServiceError(_l("Give both coordinates or neither."), "latitude")
    informed = fields.get("parents_informed_dt")
    if informed is not None and informed < occurred:
        raise ServiceError(_l("The parents cannot have been informed before the incident."), "informed_date")
    if informed is not None and informed > now + dt.timedelta(minutes=5):
        raise ServiceError(_l("This time is in the future."), "informed_date")
    by = fields.get("parents_informed_by_id")
    if by and not _staff_member(school, by):
        raise ServiceError(_l("Choose a person who works at this school."), "parents_informed_by_id")
    name = (fields.get("student_name") or "").strip()
    consent = bool(fields.get("has_consent"))
    if name and not consent:
        raise ServiceError(_l("A name is kept only with the parents' written consent. Tick the consent or "
                              "leave the name empty."), "student_name")
    creating = incident is None
    if creating:
        incident = RoadIncident(school_id=school.id, created_by_id=getattr(actor, "id", None))
        db.session.add(incident)
    elif incident.is_anonymised:
        name, consent, lat, lon = "", False, None, None  # wiped data never comes back
    incident.occurred_dt = occurred
    incident.place, incident.place_key = place[:200], place_key(place)
    incident.latitude, incident.longitude = lat, lon
    incident.student_name, incident.has_consent = name[:120], consent
    incident.class_id = klass.id if klass else None
    incident.grade = klass.grade if klass else None
    incident.mode = TravelMode(fields["mode"])
    incident.journey = Journey(fields["journey"])
    incident.severity = Severity(fields["severity"])
    incident.description = (fields.get("description") or "").strip()
    incident.police_report = (fields.get("police_report") or "").strip()[:40]
    incident.parents_informed_dt = informed
    incident.parents_informed_by_id = by or None
    incident.measures = (fields.get("measures") or "").strip()
    incident.status = IncidentStatus(fields.get("status") or IncidentStatus.OPEN)
    db.session.flush()
    record(actor, school, "incident.create" if creating else "incident.update", incident)
    return incident


def withdraw_name_consent(actor, school, incident: RoadIncident) -> bool:
    """The parents withdrew their consent (privacy consent register): the name goes, the incident stays.
    Returns whether a name was removed."""
    if not incident.student_name and not incident.has_consent:
        return False
    incident.student_name, incident.has_consent = "", False
    db.session.flush()
    record(actor, school, "incident.consent_withdrawn", incident)
    return True


def read_incident(actor, school, incident: RoadIncident) -> RoadIncident:
    """Every read of an incident (it may carry a student's name) is audited."""
    record(actor, school, "incident.read", incident)
    return incident


@dataclass
class Filters:
    year: int | None = None
    month: str = ""  # "2026-03"
    place: str = ""  # place_key
    mode: str = ""
    severity: str = ""
    age: str = ""
    grade: int | None = None
    band: str = ""
    journey: str = ""

    def as_args(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v not in ("", None)}

    @property
    def active(self) -> bool:
        return bool(set(self.as_args()) - {"year"})


def parse_filters(args) -> Filters:
    from ..converters import DB_INT_MAX, DB_INT_MIN, MAX_YEAR, MIN_YEAR

    def num(key, lo=DB_INT_MIN, hi=DB_INT_MAX):
        try:
            value = int(args.get(key, ""))
        except ValueError:
            return None
        return value if lo <= value <= hi else None  # a filter no query can hold is no filter

    f = Filters(year=num("year", MIN_YEAR, MAX_YEAR), month=args.get("month", "")[:7],
                place=args.get("place", "")[:200], mode=args.get("mode", ""), severity=args.get("severity", ""),
                age=args.get("age", ""),
                grade=num("grade"), band=args.get("band", ""), journey=args.get("journey", ""))
    if f.mode not in set(TravelMode):
        f.mode = ""
    if f.severity not in set(Severity):
        f.severity = ""
    if f.journey not in set(Journey):
        f.journey = ""
    if f.age not in AGE_GROUP_LABELS:
        f.age = ""
    if f.band not in {b[0] for b in TIME_BANDS}:
        f.band = ""
    month = re.fullmatch(r"(\d{4})-(\d{2})", f.month or "")
    if not month or not (MIN_YEAR <= int(month[1]) <= MAX_YEAR and 1 <= int(month[2]) <= 12):
        f.month = ""
    return f


def year_range(school, year: int) -> tuple[dt.datetime, dt.datetime]:
    tz = zone(school.timezone)
    return (dt.datetime(year, 1, 1, tzinfo=tz).astimezone(dt.UTC),
            dt.datetime(year + 1, 1, 1, tzinfo=tz).astimezone(dt.UTC))


def incident_query(school, filters: Filters):
    """The SQL part of the filters (year, month, place, mode, severity, journey, grade/age)."""
    q = sa.select(RoadIncident).where(RoadIncident.school_id == school.id)
    tz = zone(school.timezone)
    if filters.month:
        y, m = map(int, filters.month.split("-"))
        if 1 <= m <= 12:
            start = dt.datetime(y, m, 1, tzinfo=tz)
            end = dt.datetime(y + (m == 12), m % 12 + 1, 1, tzinfo=tz)
            q = q.where(RoadIncident.occurred_dt >= start.astimezone(dt.UTC),
                        RoadIncident.occurred_dt < end.astimezone(dt.UTC))
    elif filters.year:
        a, b = year_range(school, filters.year)
        q = q.where(RoadIncident.occurred_dt >= a, RoadIncident.occurred_dt < b)
    if filters.place:
        q = q.where(RoadIncident.place_key == filters.place)
    if filters.mode:
        q = q.where(RoadIncident.mode == TravelMode(filters.mode))
    if filters.severity:
        q = q.where(RoadIncident.severity == Severity(filters.severity))
    if filters.journey:
        q = q.where(RoadIncident.journey == Journey(filters.journey))
    if filters.grade is not None:
        q = q.where(RoadIncident.grade == filters.grade)
    if filters.age == "unknown":
        q = q.where(RoadIncident.grade.is_(None))
    elif filters.age:
        lo, hi = {"primary": (0, 4), "middle": (5, 9), "senior": (10, 12)}[filters.age]
        q = q.where(RoadIncident.grade.between(lo, hi))
    return q.order_by(RoadIncident.occurred_dt.desc())


def list_incidents(school, filters: Filters) -> list[RoadIncident]:
    rows = list(db.session.scalars(incident_query(school, filters)))
    if filters.band:
        tz = zone(school.timezone)
        rows = [r for r in rows if time_band(r.occurred_dt.astimezone(tz).hour) == filters.band]
    return rows


# --- export (never names) -------------------------------------------------------------------------------------

EXPORT_HEADER = [_l("No."), _l("Date"), _l("Time"), _l("Place"), _l("Grade"), _l("Travelling as"), _l("Journey"),
                 _l("Severity"), _l("Police report"), _l("Parents informed"), _l("Measures taken"), _l("Status")]


def export_rows(school, incidents) -> list[list]:
    """Rows for the district or the traffic police: no names, no coordinates, no class letter."""
    tz = zone(school.timezone)
    out = []
    for i in incidents:
        local = i.occurred_dt.astimezone(tz)
        informed = i.parents_informed_dt.astimezone(tz).strftime("%Y-%m-%d %H:%M") if i.parents_informed_dt else ""
        out.append([i.id, local.strftime("%Y-%m-%d"), local.strftime("%H:%M"), i.place,
                    i.grade if i.grade is not None else "", str(MODE_LABELS[i.mode]), str(JOURNEY_LABELS[i.journey]),
                    str(SEVERITY_LABELS[i.severity]), i.police_report, informed, i.measures,
                    str(STATUS_LABELS[i.status])])
    return out


def export_csv(school, incidents) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([str(h) for h in EXPORT_HEADER])
    for row in export_rows(school, incidents):
        w.writerow([_csv_safe(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel opens Cyrillic correctly


def _csv_safe(value):
    """Defuse spreadsheet formulas in free text (=, +, -, @ at the start)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def export_xlsx(school, incidents, title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append([str(h) for h in EXPORT_HEADER])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in export_rows(school, incidents):
        ws.append([_csv_safe(v) for v in row])
    for col, width in zip("ABCDEFGHIJKL", (6, 11, 7, 40, 7, 14, 24, 16, 14, 17, 50, 18), strict=True):
        ws.column_dimensions[col].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- retention ---------------------------------------------------------------------------------------------------


def _months_ago(now: dt.datetime, months: int) -> dt.datetime:
    y, m = divmod(now.year * 12 + now.month - 1 - months, 12)
    day = min(now.day, 28)
    return now.replace(year=y, month=m + 1, day=day)


@cross_school("retention runs over every school")
def anonymise_due(now: dt.datetime, school=None) -> int:
    """Wipe the name and coordinates of incidents older than their school's retention period.
    Idempotent: an incident already wiped is not touched again.  Returns how many were wiped."""
    from ..schools.models import School

    schools = [school] if school is not None else list(db.session.scalars(sa.select(School)))
    settings = dict(db.session.execute(sa.select(IncidentSettings.school_id, IncidentSettings.retention_months)).all())
    wiped = 0
    for s in schools:
        cutoff = _months_ago(now, settings.get(s.id, DEFAULT_RETENTION_MONTHS))
        ids = list(db.session.scalars(sa.select(RoadIncident.id).where(
            RoadIncident.school_id == s.id, RoadIncident.anonymised_dt.is_(None), RoadIncident.occurred_dt < cutoff)))
        if not ids:
            continue
        db.session.execute(sa.update(RoadIncident).where(RoadIncident.id.in_(ids)).values(
            student_name="", has_consent=False, latitude=None, longitude=None, anonymised_dt=now))
        record(None, s, "incident.anonymise", detail=f"count={len(ids)} before={cutoff.date().isoformat()}")
        wiped += len(ids)
    db.session.flush()
    return wiped


# --- briefings ----------------------------------------------------------------------------------------------------


def school_year_of(day: dt.date) -> int:
    """The school year a day belongs to, named by its first calendar year (Sept–Aug)."""
    return day.year if day.month >= 9 else day.year - 1


def school_year_bounds(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 9, 1), dt.date(year + 1, 8, 31)


def save_plan_item(actor, school, item: BriefingPlanItem | None, *, class_ids, topic, planned_on):
    topic = (topic or "").strip()
    if not topic:
        raise ServiceError(_l("What is the topic?"), "topic")
    if planned_on is None:
        raise ServiceError(_l("Choose a date."), "planned_on")
    if item is not None:
        class_ids = [class_ids[0]] if class_ids else [item.class_id]
    if not class_ids:
        raise ServiceError(_l("Choose at least one class."), "class_ids")
    made = []
    for cid in class_ids:
        klass = school_class(school, cid)
        target = item or BriefingPlanItem(school_id=school.id)
        if item is None:
            db.session.add(target)
        target.class_id, target.topic, target.planned_on = klass.id, topic[:200], planned_on
        made.append(target)
    db.session.flush()
    for m in made:
        record(actor, school, "briefing_plan.save", m)
    return made


def plan_for_year(school, year: int, class_id: int | None = None) -> list[BriefingPlanItem]:
    a, b = school_year_bounds(year)
    q = sa.select(BriefingPlanItem).where(BriefingPlanItem.school_id == school.id,
                                          BriefingPlanItem.planned_on.between(a, b))
    if class_id:
        q = q.where(BriefingPlanItem.class_id == class_id)
    return list(db.session.scalars(q.order_by(BriefingPlanItem.planned_on, BriefingPlanItem.class_id)))


def record_briefing(actor, school, *, class_id, held_on, topic, held_by_id, students_present, plan_item_id=None,
                    event_id=None, today: dt.date | None = None) -> Briefing:
    klass = school_class(school, class_id)
    if held_on is None:
        raise ServiceError(_l("Choose a date."), "held_on")
    if today is not None and held_on > today:
        raise ServiceError(_l("A briefing is recorded once it has been held."), "held_on")
    if students_present is None or students_present < 0:
        raise ServiceError(_l("Enter a whole number, 0 or more."), "students_present")
    if students_present > klass.students:
        raise ServiceError(_l("%(n)s present, but class %(cls)s has %(size)s students.", n=students_present,
                              cls=klass.name, size=klass.students), "students_present")
    if held_by_id and not _staff_member(school, held_by_id):
        raise ServiceError(_l("Choose a person who works at this school."), "held_by_id")
    plan_item = event = None
    if plan_item_id:
        plan_item = db.session.scalar(sa.select(BriefingPlanItem).where(
            BriefingPlanItem.school_id == school.id, BriefingPlanItem.id == plan_item_id))
        if plan_item is None or plan_item.class_id != klass.id:
            raise ServiceError(_l("This plan line is for another class."), "class_id")
    if event_id:
        event = db.session.scalar(sa.select(SchoolEvent).where(SchoolEvent.school_id == school.id,
                                                               SchoolEvent.id == event_id))
        if event is None or klass not in event.classes:
            raise ServiceError(_l("This class does not take part in the event."), "class_id")
        if held_on > event.held_on:
            raise ServiceError(_l("The briefing must be held before the event."), "held_on")
    topic = (topic or "").strip() or (plan_item.topic if plan_item else "") or (event.title if event else "")
    if not topic:
        raise ServiceError(_l("What is the topic?"), "topic")
    briefing = Briefing(school_id=school.id, kind=BriefingKind.EVENT if event else BriefingKind.ROAD,
                        class_id=klass.id, held_on=held_on, topic=topic[:200], held_by_id=held_by_id or None,
                        students_present=students_present, plan_item=plan_item, event=event)
    db.session.add(briefing)
    db.session.flush()
    record(actor, school, "briefing.record", briefing, detail=f"class={klass.id} present={students_present}")
    return briefing


def briefings_for_year(school, year: int, kind: BriefingKind | None = None) -> list[Briefing]:
    a, b = school_year_bounds(year)
    q = sa.select(Briefing).where(Briefing.school_id == school.id, Briefing.held_on.between(a, b))
    if kind:
        q = q.where(Briefing.kind == kind)
    return list(db.session.scalars(q.order_by(Briefing.held_on.desc(), Briefing.id.desc())))


def save_event(actor, school, event: SchoolEvent | None, *, kind, title, held_on, class_ids) -> SchoolEvent:
    title = (title or "").strip()
    if not title:
        raise ServiceError(_l("What is the event?"), "title")
    if held_on is None:
        raise ServiceError(_l("Choose a date."), "held_on")
    if not class_ids:
        raise ServiceError(_l("Choose at least one class."), "class_ids")
    chosen = [school_class(school, cid) for cid in class_ids]
    creating = event is None
    if creating:
        event = SchoolEvent(school_id=school.id, created_by_id=getattr(actor, "id", None))
        db.session.add(event)
    event.kind, event.title, event.held_on = EventKind(kind), title[:200], held_on
    event.classes = chosen
    db.session.flush()
    record(actor, school, "event.create" if creating else "event.update", event)
    return event


def events_missing_briefing(school, today: dt.date, ahead_days: int = 14, behind_days: int = 7) -> list:
    """Events from a week ago to two weeks ahead where some class has no briefing: (event, classes)."""
    rows = db.session.scalars(sa.select(SchoolEvent).where(
        SchoolEvent.school_id == school.id,
        SchoolEvent.held_on.between(today - dt.timedelta(days=behind_days), today + dt.timedelta(days=ahead_days)))
        .order_by(SchoolEvent.held_on))
    out = []
    for e in rows:
        missing = e.unbriefed_classes()
        if missing:
            out.append((e, missing))
    return out


def overdue_plan_items(school, today: dt.date) -> list[BriefingPlanItem]:
    """Plan lines of this school year whose date has passed with no briefing held for them."""
    a, _b = school_year_bounds(school_year_of(today))
    return list(db.session.scalars(
        sa.select(BriefingPlanItem).where(BriefingPlanItem.school_id == school.id,
                                          BriefingPlanItem.planned_on.between(a, today - dt.timedelta(days=1)),
                                          ~BriefingPlanItem.briefings.any())
        .order_by(BriefingPlanItem.planned_on)))
