"""Demo: a year of road incidents (some places repeat), briefing plans and records, and an upcoming event
whose briefing is missing (the deputy and the director see a warning)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ..drills.models import SchoolClass
from ..extensions import db
from ..schools.demo import Demo
from ..time import local_to_utc
from .models import (
    Briefing,
    BriefingKind,
    BriefingPlanItem,
    EventKind,
    IncidentStatus,
    Journey,
    RoadIncident,
    SchoolEvent,
    Severity,
    TravelMode,
)
from .services import place_key, school_year_of

P, PS, C, S = TravelMode.PEDESTRIAN, TravelMode.PASSENGER, TravelMode.CYCLIST, TravelMode.SCOOTER
#: (days ago, time, place, class name, mode, journey, severity, name with consent, measures)
INCIDENTS = [
    (12, "07:40", "Ахунбаев / Токтогул кесилиши", "5А", P, Journey.TO_SCHOOL, Severity.LIGHT, "Асанов Б.",
     "Жол коопсуздугу боюнча класстык саат; ЖАИ менен кат / Письмо в ГАИ о светофоре"),
    (41, "13:20", "Ахунбаев / Токтогул кесилиши", "2А", P, Journey.FROM_SCHOOL, Severity.NONE, "", ""),
    (95, "07:50", "ахунбаев - токтогул кесилиши", "7В", S, Journey.TO_SCHOOL, Severity.LIGHT, "", "Самокат эрежелери"),
    (130, "18:10", "Жибек Жолу / Айни", "9Б", C, Journey.OTHER, Severity.SERIOUS, "Ким Д.",
     "Ата-энелер жыйыны; велосипед шлемдери"),
    (160, "13:40", "Жибек Жолу / Айни", "4А", P, Journey.FROM_SCHOOL, Severity.LIGHT, "", ""),
    (200, "08:05", "Мектептин алдындагы аялдама", "1А", PS, Journey.TO_SCHOOL, Severity.NONE, "", "Аялдамада кезметчи"),
    (240, "16:30", "Манас пр. 40", "10А", S, Journey.OTHER, Severity.LIGHT, "", ""),
    (275, "07:35", "Ахунбаев / Токтогул кесилиши", "3А", P, Journey.TO_SCHOOL, Severity.SERIOUS, "",
     "ЖАИ жөө жүргүнчүлөр өткөөлүн сызды / ГАИ обновила разметку"),
    (300, "14:00", "Мектептин алдындагы аялдама", "6Б", P, Journey.FROM_SCHOOL, Severity.NONE, "", ""),
    (340, "19:20", "Чүй пр. / Исанов", "11А", PS, Journey.OTHER, Severity.LIGHT, "", ""),
]
TOPICS = ["Мектепке коопсуз жол / Безопасный путь в школу", "Жол белгилери / Дорожные знаки",
          "Кышкы жол: муз, караңгылык / Зимняя дорога: гололёд, темнота",
          "Велосипед жана самокат / Велосипед и самокат"]
PLAN_DATES = [(9, 10), (11, 14), (1, 20), (4, 22)]


def _classes(school) -> dict[str, SchoolClass]:
    return {c.name: c for c in db.session.scalars(sa.select(SchoolClass).where(SchoolClass.school_id == school.id))}


def incidents_demo(demo: Demo) -> None:
    school = demo.school
    if db.session.scalar(sa.select(RoadIncident.id).where(RoadIncident.school_id == school.id).limit(1)):
        return
    classes = _classes(school)
    today = demo.today
    nurse, deputy = demo.users.get("nurse"), demo.users.get("deputy")
    for days, at, place, cls, mode, journey, severity, name, measures in INCIDENTS:
        day = today - dt.timedelta(days=days)
        occurred = local_to_utc(day, dt.time.fromisoformat(at), school.timezone)
        klass = classes.get(cls)
        db.session.add(RoadIncident(
            school_id=school.id, occurred_dt=occurred, place=place, place_key=place_key(place), student_name=name,
            has_consent=bool(name), class_id=klass.id if klass else None, grade=klass.grade if klass else None,
            mode=mode, journey=journey, severity=severity, description="", police_report=f"ЖАИ-{2000 + days}"
            if severity != Severity.NONE else "", parents_informed_dt=occurred + dt.timedelta(minutes=40),
            parents_informed_by_id=nurse.id if nurse else None, measures=measures,
            status=IncidentStatus.CLOSED if measures else IncidentStatus.OPEN,
            created_by_id=deputy.id if deputy else None))

    year = school_year_of(today)
    for i, (month, day_of_month) in enumerate(PLAN_DATES):
        planned = dt.date(year if month >= 9 else year + 1, month, day_of_month)
        for klass in classes.values():
            item = BriefingPlanItem(school_id=school.id, class_id=klass.id, topic=TOPICS[i], planned_on=planned)
            db.session.add(item)
            # Held when its date has passed, except for two classes that are late.
            if planned < today and klass.name not in ("8А", "11Б"):
                held_by = klass.homeroom_id or (deputy.id if deputy else None)
                db.session.add(Briefing(school_id=school.id, kind=BriefingKind.ROAD, class_id=klass.id,
                                        held_on=planned, topic=TOPICS[i], held_by_id=held_by,
                                        students_present=max(klass.students - 2, 0), plan_item=item))
    five_a, six_b = classes.get("5А"), classes.get("6Б")
    if five_a is not None:
        past = SchoolEvent(school_id=school.id, kind=EventKind.EXCURSION, title="Тарых музейи / Исторический музей",
                           held_on=today - dt.timedelta(days=20), classes=[five_a])
        db.session.add(past)
        db.session.add(Briefing(school_id=school.id, kind=BriefingKind.EVENT, class_id=five_a.id,
                                held_on=today - dt.timedelta(days=21), topic=past.title,
                                held_by_id=five_a.homeroom_id, students_present=five_a.students - 1, event=past))
    upcoming_classes = [c for c in (five_a, six_b) if c is not None]
    if upcoming_classes:
        db.session.add(SchoolEvent(school_id=school.id, kind=EventKind.HIKE, title="Ала-Арча / Ала-Арча поход",
                                   held_on=today + dt.timedelta(days=5), classes=upcoming_classes))
    db.session.flush()
