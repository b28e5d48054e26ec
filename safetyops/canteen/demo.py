"""Demo: canteen settings, an approved week schedule, the person in charge and a month of breakfast tallies."""

from __future__ import annotations

import datetime as dt
import random

import sqlalchemy as sa

from ..drills.models import SchoolClass
from ..extensions import db
from ..schools.demo import Demo
from ..time import now_utc
from .models import BreakfastTally, CanteenDuty, CanteenSettings, MealSchedule, ScheduleStatus, Sitting, is_primary

#: Used only when no other area made the school's classes.
FALLBACK_CLASSES = [("1А", 1, 28), ("2А", 2, 27), ("3А", 3, 30), ("4А", 4, 29), ("5А", 5, 26), ("6Б", 6, 25)]
#: Meal times (Mon–Fri) by grade.
TIMES = {1: ("09:00", "09:20"), 2: ("09:00", "09:20"), 3: ("09:20", "09:40"), 4: ("09:20", "09:40"),
         5: ("10:15", "10:35"), 6: ("10:15", "10:35"), 7: ("10:35", "10:55"), 8: ("10:35", "10:55"),
         9: ("12:10", "12:30"), 10: ("12:10", "12:30"), 11: ("12:30", "12:50")}


def _classes(demo: Demo) -> list[SchoolClass]:
    school = demo.school
    rows = list(db.session.scalars(sa.select(SchoolClass).where(SchoolClass.school_id == school.id)
                                   .order_by(SchoolClass.grade, SchoolClass.name)))
    if rows:
        return rows
    teacher = demo.users.get("teacher")
    for name, grade, students in FALLBACK_CLASSES:
        rows.append(SchoolClass(school_id=school.id, name=name, grade=grade, students=students,
                                homeroom_id=teacher.id if teacher and name == "5А" else None))
    db.session.add_all(rows)
    db.session.flush()
    return rows


def canteen_demo(demo: Demo) -> None:
    school = demo.school
    if db.session.scalar(sa.select(CanteenSettings.id).where(CanteenSettings.school_id == school.id)):
        return
    db.session.add(CanteenSettings(school_id=school.id, capacity=100, day_starts=dt.time(8, 0),
                                   day_ends=dt.time(17, 0)))
    classes = _classes(demo)
    director = demo.users["director"]
    schedule = MealSchedule(school_id=school.id, status=ScheduleStatus.APPROVED, approved_by_id=director.id,
                            approved_dt=now_utc() - dt.timedelta(days=60), created_dt=now_utc() - dt.timedelta(days=61))
    db.session.add(schedule)
    db.session.flush()
    for klass in classes:
        starts, ends = TIMES.get(klass.grade, ("13:00", "13:20"))
        for weekday in range(5):
            db.session.add(Sitting(school_id=school.id, schedule_id=schedule.id, class_id=klass.id, weekday=weekday,
                                   starts=dt.time.fromisoformat(starts), ends=dt.time.fromisoformat(ends)))
    today = demo.today
    manager = demo.users.get("canteen")
    if manager is not None:
        for i in range(-30, 15):
            day = today + dt.timedelta(days=i)
            if day.weekday() < 5:
                db.session.add(CanteenDuty(school_id=school.id, day=day, user_id=manager.id))
    rng = random.Random(95)
    primary = [c for c in classes if is_primary(c)]
    for i in range(31, 0, -1):  # a month of tallies, up to yesterday
        day = today - dt.timedelta(days=i)
        if day.weekday() >= 5:
            continue
        for klass in primary:
            absent = rng.choice([0, 0, 1, 1, 2, 3])
            served = klass.students - absent
            db.session.add(BreakfastTally(school_id=school.id, class_id=klass.id, day=day, served=served,
                                          absent=absent, substitutions=rng.choice([0, 0, 0, 2, 4]),
                                          class_size=klass.students, entered_by_id=manager.id if manager else None))
    db.session.flush()
