"""The foundation of `safetyops demo`: a district, School No. 95 and a second school, one account per
role, the responsible persons' appointments.  `safetyops.demo.build_demo` runs this, then each area's
step (a function of the `Demo`, safe to run again: the demo is idempotent)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa

from ..auth.models import User
from ..auth.roles import ROLE_LABELS, Role
from ..extensions import db
from ..phones import normalize_phone
from ..security import hash_password
from ..time import school_today
from .models import Appointment, Area, District, DistrictMembership, Membership, School, Zone, ZoneKind

DISTRICT_NAME = "Бишкек ш., Октябрь району"
SCHOOL_NAME = "№95 мектеп-гимназия"
OTHER_SCHOOL_NAME = "№12 орто мектеп"

ZONES = [
    ("Башкы кире бериш / Главный вход", ZoneKind.GATE, 0),
    ("Короо / Территория", ZoneKind.YARD, None),
    ("1-кабат коридору / Коридор 1 этажа", ZoneKind.CORRIDOR, 1),
    ("2-кабат коридору / Коридор 2 этажа", ZoneKind.CORRIDOR, 2),
    ("3-кабат коридору / Коридор 3 этажа", ZoneKind.CORRIDOR, 3),
    ("Чыгыш тепкич / Восточная лестница", ZoneKind.STAIRWELL, None),
    ("Ашкана / Столовая", ZoneKind.CANTEEN, 1),
    ("Спорт зал / Спортзал", ZoneKind.GYM, 1),
    ("Химия лабораториясы / Кабинет химии", ZoneKind.LAB, 2),
    ("Электр щит бөлмөсү / Электрощитовая", ZoneKind.ELECTRICAL_ROOM, 0),
]

#: (username, full name, phone, locale, role)
PEOPLE = [
    ("director", "Асанова Гүлнара Токтогуловна", "0555 100 001", "ky", Role.DIRECTOR),
    ("deputy", "Бекмуратов Нурлан Асанович", "0555 100 002", "ky", Role.DEPUTY),
    ("safety_officer", "Жумабаев Эрлан Маратович", "0555 100 003", "ru", Role.SAFETY_OFFICER),
    ("teacher", "Сыдыкова Айгүл Бакытовна", "0555 100 004", "ky", Role.TEACHER),
    ("guard", "Токтосунов Бакыт Жээнбекович", "0555 100 005", "ky", Role.GUARD),
    ("canteen", "Иванова Ольга Петровна", "0555 100 006", "ru", Role.CANTEEN),
    ("nurse", "Абдыкадырова Нургүл Эсеновна", "0555 100 007", "ky", Role.NURSE),
    ("admin", "Осмонов Данияр Кубанычбекович", "0555 100 009", "en", Role.ADMIN),
]
MORE_TEACHERS = [
    ("teacher2", "Мамытова Жылдыз Сагынбековна", "0555 100 010"),
    ("teacher3", "Петров Сергей Иванович", "0555 100 011"),
    ("teacher4", "Кадырова Динара Алмазбековна", "0555 100 012"),
    ("teacher5", "Усенов Азамат Талантбекович", "0555 100 013"),
    ("teacher6", "Ким Елена Викторовна", "0555 100 014"),
    ("guard2", "Эшимов Талант Русланович", "0555 100 015"),
]


@dataclass
class Demo:
    password: str
    district: District
    school: School
    other_school: School
    users: dict[str, User] = field(default_factory=dict)
    logins: list[tuple[str, str]] = field(default_factory=list)

    @property
    def today(self) -> dt.date:
        return school_today(self.school)


def _user(demo: Demo, username, full_name, phone, locale, school, role) -> User:
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        user = User(username=username, full_name=full_name, phone=normalize_phone(phone, "KG"), locale=locale,
                    password_hash=hash_password(demo.password))
        db.session.add(user)
        if role is not Role.INSPECTOR:
            user.memberships.append(Membership(school=school, role=role))
    demo.users[username] = user
    return user


def base(password: str) -> Demo:
    """The district, the two schools and their people (found again by name on a second run)."""
    district = db.session.scalar(sa.select(District).where(District.name == DISTRICT_NAME))
    if district is None:
        district = District(name=DISTRICT_NAME, country="KG")
        db.session.add(district)
    school = db.session.scalar(sa.select(School).where(School.name == SCHOOL_NAME))
    if school is None:
        school = School(district=district, name=SCHOOL_NAME, address="Бишкек ш., Ахунбаев көч., 95",
                        timezone="Asia/Bishkek", default_locale="ky")
        db.session.add(school)
        for name, kind, floor in ZONES:
            school.zones.append(Zone(name=name, kind=kind, floor=floor, building="А"))
    other = db.session.scalar(sa.select(School).where(School.name == OTHER_SCHOOL_NAME))
    if other is None:
        other = School(district=district, name=OTHER_SCHOOL_NAME, address="Бишкек ш., Жибек Жолу пр., 12",
                       timezone="Asia/Bishkek", default_locale="ru")
        db.session.add(other)
        other.zones.append(Zone(name="Главный вход", kind=ZoneKind.GATE, floor=0))
    db.session.flush()
    demo = Demo(password=password, district=district, school=school, other_school=other)

    for username, full_name, phone, locale, role in PEOPLE:
        _user(demo, username, full_name, phone, locale, school, role)
        demo.logins.append((username, f"{ROLE_LABELS[role]} — {SCHOOL_NAME}"))
    for username, full_name, phone in MORE_TEACHERS:
        role = Role.GUARD if username.startswith("guard") else Role.TEACHER
        _user(demo, username, full_name, phone, "ky", school, role)
    inspector = _user(demo, "inspector", "Сатыбалдиев Марат Орозбекович", "0555 100 008", "ru", school,
                      Role.INSPECTOR)
    if not inspector.district_memberships:
        inspector.district_memberships.append(DistrictMembership(district=district))
    demo.logins.append(("inspector", f"{ROLE_LABELS[Role.INSPECTOR]} — {DISTRICT_NAME}"))
    _user(demo, "director2", "Кузнецова Марина Сергеевна", "0555 200 001", "ru", other, Role.DIRECTOR)
    demo.logins.append(("director2", f"{ROLE_LABELS[Role.DIRECTOR]} — {OTHER_SCHOOL_NAME}"))
    db.session.flush()
    return demo


def appointments(demo: Demo) -> None:
    """The responsible persons' appointments (orders) at School No. 95."""
    exists = db.session.scalar(sa.select(Appointment.id).where(Appointment.school_id == demo.school.id).limit(1))
    if exists:
        return
    start = dt.date(demo.today.year if demo.today.month >= 9 else demo.today.year - 1, 9, 1)
    # Safety appointments are orders on core activity: plain numbers, not the "-к" of personnel orders.
    for username, area, number in (
        ("safety_officer", Area.FIRE_SAFETY, "12"),
        ("safety_officer", Area.CIVIL_DEFENCE, "13"),
        ("deputy", Area.ELECTRICAL_SAFETY, "14"),
        ("canteen", Area.CANTEEN, "15"),
        ("admin", Area.INFORMATION_SECURITY, "16"),
    ):
        db.session.add(Appointment(school_id=demo.school.id, user_id=demo.users[username].id, area=area,
                                   order_number=number, order_date=start - dt.timedelta(days=3), starts_on=start))


def calendar(demo: Demo) -> None:
    """School No. 95's calendar for this school year (issue 14): the four usual terms, the winter and the
    spring breaks, and a shortened day before the winter break; the national holidays come from the
    `holidays` library.  Added once: a year that has its terms is left as the director wrote it.  A break
    that holds today is left out, so a demo made during it still has a school day to walk through."""
    from . import calendar as school_calendar
    from .models import CalendarKind

    start = school_calendar.school_year_start(demo.today)
    if school_calendar.calendar_for(demo.school).terms(start):
        return
    school_calendar.add_usual_terms(None, demo.school, start)
    winter = (dt.date(start.year, 12, 29), dt.date(start.year + 1, 1, 11))
    for name, first, last in (("Кышкы каникул / Зимние каникулы", *winter),
                              ("Жазгы каникул / Весенние каникулы", dt.date(start.year + 1, 3, 21),
                               dt.date(start.year + 1, 3, 29))):
        if first <= demo.today <= last:
            continue  # a demo made during a break still has today's duties and checks to show
        school_calendar.add_entry(None, demo.school, kind=CalendarKind.HOLIDAY, name=name, first_day=first,
                                  last_day=last)
    short = winter[0] - dt.timedelta(days=1)
    while short.weekday() >= 5:  # the last weekday before the break
        short -= dt.timedelta(days=1)
    school_calendar.add_entry(None, demo.school, kind=CalendarKind.SHORT_DAY,
                              name="Кыскартылган күн / Сокращённый день", first_day=short)
