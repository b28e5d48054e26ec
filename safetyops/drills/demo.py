"""Demo data: classes, assembly points, a year's drill plan, three past drills, training records, civil defence."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ..extensions import db
from ..schools.demo import Demo
from ..schools.models import Appointment, Area
from ..time import local_to_utc
from .models import (
    AssemblyPoint,
    CdFunction,
    CdMember,
    ClassReport,
    Course,
    Drill,
    DrillFinding,
    DrillKind,
    DrillTarget,
    Guardian,
    PlannedDrill,
    SchoolClass,
    Student,
    TrainingRecord,
)
from .planning import school_year_start
from .reunion import name_key

POINTS = [("Стадион (түндүк) / Стадион (север)", "Футбол талаасы, дарбазанын жанында"),
          ("Короо (чыгыш) / Двор (восток)", "Ашкананын артында")]
#: (class, grade, students, homeroom username or None, point index)
CLASSES = [
    ("1А", 1, 28, None, 0), ("2А", 2, 27, None, 0), ("3А", 3, 30, None, 0), ("4А", 4, 29, None, 0),
    ("5А", 5, 26, "teacher", 0), ("6Б", 6, 25, "teacher2", 0), ("7В", 7, 27, "teacher3", 1),
    ("8А", 8, 24, "teacher4", 1), ("9Б", 9, 23, "teacher5", 1), ("10А", 10, 22, "teacher6", 1),
    ("11А", 11, 21, None, 1), ("11Б", 11, 20, None, 1),
]
#: Class lists for reunification: class -> (student, [(guardian, relation, phone, language)]).
STUDENTS = {
    "5А": [("Жумабаев Нурбек", [("Жумабаева Айгүл", "апасы / мать", "+996555100201", "ky"),
                                ("Жумабаев Талант", "атасы / отец", "+996555100202", "ky")]),
           ("Иванова Мария", [("Иванова Ольга", "мать", "+996555100203", "ru")]),
           ("Токтогулов Эмир", [("Токтогулова Динара", "апасы / мать", "+996555100204", "ky")]),
           ("Сапарова Айпери", [("Сапаров Бакыт", "атасы / отец", "+996555100205", "ky")]),
           ("Ким Александр", [])],
    "6Б": [("Абдыраева Элина", [("Абдыраев Марат", "атасы / отец", "+996555100206", "ky")]),
           ("Петров Даниил", [("Петрова Анна", "мать", "+996555100207", "ru")]),
           ("Осмонов Актан", [("Осмонова Гүлнара", "чоң апасы / бабушка", "+996555100208", "ky")])],
    "7В": [("Мамытова Асель", [("Мамытов Эрлан", "атасы / отец", "+996555100209", "kk")]),
           ("Юсупов Тимур", [("Юсупова Лейла", "мать", "+996555100210", "ru")])],
}
#: (month, day, kind, announced)
PLAN = [(9, 15, DrillKind.FIRE, True), (10, 20, DrillKind.EARTHQUAKE, True), (11, 25, DrillKind.LOCKDOWN, False),
        (12, 10, DrillKind.FIRE, False), (2, 12, DrillKind.EARTHQUAKE, True), (3, 5, DrillKind.CHEMICAL, True),
        (4, 14, DrillKind.FIRE, True), (5, 12, DrillKind.EARTHQUAKE, False)]


def drills_demo(demo: Demo) -> None:
    school = demo.school
    if db.session.scalar(sa.select(SchoolClass.id).where(SchoolClass.school_id == school.id).limit(1)):
        return
    today = demo.today
    year = school_year_start(today)
    created = local_to_utc(year - dt.timedelta(days=7), dt.time(9, 0), school.timezone)
    points = [AssemblyPoint(school_id=school.id, name=n, description=d) for n, d in POINTS]
    db.session.add_all(points)
    db.session.add_all([DrillTarget(school_id=school.id, kind=DrillKind.FIRE, seconds=180),
                        DrillTarget(school_id=school.id, kind=DrillKind.EARTHQUAKE, seconds=210)])
    db.session.flush()
    classes = []
    for name, grade, students, username, point in CLASSES:
        homeroom = demo.users.get(username) if username else None
        classes.append(SchoolClass(school_id=school.id, name=name, grade=grade, students=students,
                                   homeroom_id=homeroom.id if homeroom else None,
                                   assembly_point_id=points[point].id, created_dt=created))
    db.session.add_all(classes)
    plans = []
    for month, day, kind, announced in PLAN:
        when = dt.date(year.year if month >= 9 else year.year + 1, month, day)
        plans.append(PlannedDrill(school_id=school.id, kind=kind, target_date=when, is_announced=announced))
    db.session.add_all(plans)
    db.session.flush()

    # Three past drills, before today, with results: on time, late, and one with a missing child found later.
    director = demo.users["director"]
    past = [p for p in plans if p.target_date < today][:3]
    extra_days = [40, 75, 110]
    held = [(p, p.target_date) for p in past]
    while len(held) < 3:  # early in the school year: drills of last year's spring, outside the plan
        d = today - dt.timedelta(days=extra_days[len(held)])
        held.append((None, d))
    delays = [(70, 95, 120, 140, 150, 160, 165, 170, 172, 175, 176, 178),
              (80, 110, 150, 170, 190, 200, 205, 215, 230, 240, 250, 262),
              (60, 75, 90, 100, 115, 120, 130, 135, 140, 150, 155, 158)]
    for i, (plan, day) in enumerate(held):
        kind = plan.kind if plan else (DrillKind.FIRE, DrillKind.EARTHQUAKE, DrillKind.FIRE)[i]
        start = local_to_utc(day, dt.time(10, 30), school.timezone)
        drill = Drill(school_id=school.id, kind=kind, plan_id=plan.id if plan else None,
                      is_announced=plan.is_announced if plan else True,
                      target_seconds=210 if kind is DrillKind.EARTHQUAKE else 180 if kind is DrillKind.FIRE else 300,
                      started_dt=start, started_by_id=director.id, ended_by_id=director.id,
                      ended_dt=start + dt.timedelta(seconds=delays[i][-1] + 60),
                      participants="Өрт өчүрүү кызматы / Пожарная часть №3" if i == 0 else "",
                      observers_notes="Чыгыш тепкич тар, 2-кабатта тыгын / Узко на восточной лестнице" if i == 1
                      else "")
        db.session.add(drill)
        db.session.flush()
        for klass, delay in zip(classes, delays[i], strict=True):
            present = klass.students - (i + klass.grade) % 3
            at = start + dt.timedelta(seconds=delay)
            db.session.add(ClassReport(school_id=school.id, drill_id=drill.id, class_id=klass.id,
                                       reporter_id=klass.homeroom_id or director.id, on_register=klass.students,
                                       present=present, evacuated=present, injured=0, first_dt=at, updated_dt=at))
        if i == 1:
            db.session.add(DrillFinding(school_id=school.id, drill_id=drill.id, severity="major",
                                        text="Чыгыш тепкичте парталар / Парты на восточной лестнице",
                                        created_by_id=director.id))

    # Class lists with guardians (each with the date and number of their written consent) for reunification.
    consent_on = year - dt.timedelta(days=2)
    by_name = {c.name: c for c in classes}
    for class_name, pupils in STUDENTS.items():
        for n, (pupil, guardians) in enumerate(pupils):
            student = Student(school_id=school.id, class_id=by_name[class_name].id, full_name=pupil,
                              name_key=name_key(pupil), created_dt=created)
            db.session.add(student)
            db.session.flush()
            for full_name, relation, phone, locale in guardians:
                db.session.add(Guardian(school_id=school.id, student_id=student.id, full_name=full_name,
                                        relation=relation, phone=phone, locale=locale, consent_on=consent_on,
                                        consent_ref=f"№ {class_name}-{n + 1}, папка 4"))
    db.session.flush()

    # Training: most staff trained, some certificates expire within a month, one expired.
    people = ["director", "deputy", "safety_officer", "teacher", "teacher2", "teacher3", "teacher4", "teacher5",
              "guard", "canteen", "nurse"]
    for n, username in enumerate(people):
        user = demo.users.get(username)
        if user is None:
            continue
        taken = today - dt.timedelta(days=200 + 30 * n)
        expires = taken + dt.timedelta(days=365 * 3)
        if username in ("teacher2", "guard"):
            expires = today + dt.timedelta(days=12 + n)  # expires soon
        if username == "canteen":
            expires = today - dt.timedelta(days=5)  # expired
        db.session.add(TrainingRecord(school_id=school.id, user_id=user.id, course=Course.FIRE_SAFETY,
                                      taken_on=taken, expires_on=expires, certificate_no=f"ПБ-{101 + n}"))
        if n % 2 == 0:
            db.session.add(TrainingRecord(school_id=school.id, user_id=user.id, course=Course.FIRST_AID,
                                          taken_on=taken, expires_on=taken + dt.timedelta(days=365 * 2),
                                          certificate_no=f"ПМ-{201 + n}"))
    for username in ("director", "safety_officer", "deputy"):
        db.session.add(TrainingRecord(school_id=school.id, user_id=demo.users[username].id,
                                      course=Course.CIVIL_DEFENCE, taken_on=today - dt.timedelta(days=150),
                                      expires_on=today + dt.timedelta(days=(25 if username == "deputy" else 900)),
                                      certificate_no=f"ГО-{username[:3]}"))
    db.session.add(TrainingRecord(school_id=school.id, user_id=demo.users["deputy"].id, course=Course.ELECTRICAL,
                                  taken_on=today - dt.timedelta(days=100), expires_on=today + dt.timedelta(days=265),
                                  certificate_no="ЭБ-3", electrical_group=3))

    # Civil-defence staff: functions for the appointments in force, plus two more members.
    order_date = year - dt.timedelta(days=3)
    appts = list(db.session.scalars(sa.select(Appointment).where(Appointment.school_id == school.id,
                                                                 Appointment.area == Area.CIVIL_DEFENCE)))
    members = [("director", CdFunction.HEAD, "Штабды жетектейт / Руководит штабом"),
               ("teacher3", CdFunction.EVACUATION, "1–2-кабаттар / 1–2 этажи"),
               ("nurse", CdFunction.FIRST_AID, "Медпункт, аптечкалар / Медпункт, аптечки")]
    for username, function, duties in members:
        appt = Appointment(school_id=school.id, user_id=demo.users[username].id, area=Area.CIVIL_DEFENCE,
                           order_number="13", order_date=order_date, starts_on=year)
        db.session.add(appt)
        appts.append(appt)
        db.session.flush()
        db.session.add(CdMember(school_id=school.id, appointment_id=appt.id, function=function, duties=duties))
    for appt in appts:
        if appt.user_id == demo.users["safety_officer"].id:
            db.session.add(CdMember(school_id=school.id, appointment_id=appt.id, function=CdFunction.CHIEF_OF_STAFF,
                                    duties="Байланыш, отчеттор / Связь, отчёты"))
    db.session.flush()
