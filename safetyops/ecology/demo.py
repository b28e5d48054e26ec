"""Demo: School No. 95's waste removal on the contract's weekly schedule (the last one a few days
late), waste paper and polyethylene handed over, chemistry-lab residues disposed of, the greening plan."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from ..extensions import db
from ..schools.demo import Demo
from . import services
from .models import RemovalSchedule


def ecology_demo(demo: Demo) -> None:
    """Idempotent: nothing is added when the school has a removal schedule."""
    school = demo.school
    if db.session.scalar(sa.select(RemovalSchedule.id).where(RemovalSchedule.school_id == school.id)):
        return
    today = demo.today
    actor = demo.users["safety_officer"]
    contracts = services.waste_contracts(school)
    contract = contracts[0] if contracts else None
    services.save_schedule(actor, school, contract_id=contract.id if contract else None, every_days=7,
                           starts_on=today - dt.timedelta(days=60))
    contractor = "" if contract and contract.contractor else "МП «Тазалык»"
    for weeks_ago in (6, 5, 4, 3, 2):
        services.add_removal(actor, school, removed_on=today - dt.timedelta(days=7 * weeks_ago + 2),
                             contract_id=contract.id if contract else None, contractor=contractor,
                             volume_m3=Decimal("8"), kind="mixed", note=f"№ {120 - weeks_ago}")
    services.add_collection(actor, school, handed_on=today - dt.timedelta(days=30), kind="paper",
                            quantity_kg=Decimal("230"), receiver="«Эко-Кагаз» кабыл алуу пункту", act_number="41")
    services.add_collection(actor, school, handed_on=today - dt.timedelta(days=12), kind="plastic",
                            quantity_kg=Decimal("35.5"), receiver="«Эко-Кагаз» кабыл алуу пункту", act_number="57")
    chemist = demo.users.get("teacher3") or demo.users["teacher"]
    services.add_lab_disposal(actor, school, disposed_on=today - dt.timedelta(days=20),
                              substances="Кислота жана щелочь калдыктары (лабораториялык иш №4)", quantity="1,5 л",
                              method="Нейтралдаштырылып, көп суу менен агызылды", act_number="2",
                              responsible_id=chemist.id)
    spring = dt.date(today.year if today.month >= 3 else today.year - 1, 4, 15)
    for kind, title, place, planned, done in (
        ("planting", "Карагач көчөттөрү, 20 даана", "Мектептин короосу, түштүк тарабы", spring, True),
        ("care", "Гүлзарларды сугаруу жана отоо", "Борбордук кире бериш", spring + dt.timedelta(days=45), True),
        ("care", "Дарактарды акиташ менен агартуу", "Короо", today - dt.timedelta(days=10), False),
        ("planting", "Арча көчөттөрү, 10 даана", "Спорт аянтчасынын жанында", today + dt.timedelta(days=20), False),
    ):
        item = services.add_greening(actor, school, kind=kind, title=title, place=place, planned_on=planned)
        if done:
            item.done_on = planned
    db.session.flush()
