"""Demo: School No. 95's young traffic inspectors squad and a term of road-safety work."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ..extensions import db
from ..schools.demo import Demo
from . import services
from .models import RoadEvent

#: (days ago, kind, topic, who took part, how many, result)
EVENTS = [
    (75, "squad", "ЖЖИ отрядынын жыйналышы: милдеттер бөлүштүрүлдү", "ЖЖИ отряды", 8, ""),
    (60, "police", "«Көңүл бургула, балдар!» айлыгы: жөө жүргүнчүлөрдүн өтмөгү", "1–4-класстар, ГУОБДД инспектору",
     96, ""),
    (40, "parents", "Родительское собрание: безопасный путь в школу, детские кресла",
     "Родители 1–4 классов, ГУОБДД", 58, "Памятки розданы, схемы маршрутов обновлены"),
    (20, "competition", "«Коопсуз дөңгөлөк» райондук мелдеши", "ЖЖИ отряды", 6, "Райондо 2-орун"),
]

#: (kind, what, how many, where kept): the teaching-material base.
MATERIALS = [
    ("corner", "«Жол кыймылынын эрежелери» бурчу", 1, "1-кабат, фойе"),
    ("poster", "Плакаттар «Жол белгилери»", 12, "12-кабинет"),
    ("book", "Методическое пособие по ПДД, 1–4 классы", 8, "Китепкана"),
    ("game", "Стол оюну «Коопсуз жол»", 3, "12-кабинет"),
]


def roadsafety_demo(demo: Demo) -> None:
    """Idempotent: nothing is added when the school has road-safety events."""
    school = demo.school
    if db.session.scalar(sa.select(RoadEvent.id).where(RoadEvent.school_id == school.id).limit(1)):
        return
    actor = demo.users["deputy"]
    today = demo.today
    classes = services.classes(school)
    start = dt.date(today.year if today.month >= 9 else today.year - 1, 9, 10)
    for i, (name, paper) in enumerate((("Асанов Бакыт", "№ 12, 05.09"), ("Токтогулова Айзада", "№ 13, 05.09"),
                                       ("Ким Даниил", "№ 14, 06.09"), ("Сыдыкова Мээрим", "№ 15, 06.09"))):
        klass = classes[i % len(classes)].id if classes else None
        services.add_member(actor, school, student_name=name, class_id=klass,
                            is_leader=i == 1, consent_paper=paper, joined_on=min(start, today))
    for days, kind, topic, who, count, result in EVENTS:
        services.add_event(actor, school, kind=kind, held_on=today - dt.timedelta(days=days), topic=topic,
                           participants=who, participants_count=count, result=result, act_number="")
    for kind, title, quantity, where in MATERIALS:
        services.add_material(actor, school, kind=kind, title=title, quantity=quantity, kept_where=where,
                              added_on=min(start, today))
