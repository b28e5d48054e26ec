"""Demo: School No. 95's incident register: an injury in the gym with the nurse's first aid, a fight at
break time, a broken window."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ..extensions import db
from ..schools.demo import Demo
from ..time import local_to_utc
from . import services
from .models import SchoolIncident


def accidents_demo(demo: Demo) -> None:
    """Idempotent: nothing is added when the school has incidents in the register."""
    school = demo.school
    if db.session.scalar(sa.select(SchoolIncident.id).where(SchoolIncident.school_id == school.id).limit(1)):
        return
    today, tz = demo.today, school.timezone
    officer, nurse = demo.users["safety_officer"], demo.users["nurse"]
    gym = services.record_incident(
        officer, school, kind="injury", occurred_dt=local_to_utc(today - dt.timedelta(days=9), dt.time(10, 40), tz),
        place="Спорт зал", description="Дене тарбия сабагында окуучу секирүүдө бутун бурап алды.",
        parents_informed=True, ambulance=False, police=False,
        measures="Спорт залдагы төшөнчүлөр алмаштырылды; мугалимдер менен нускама өткөрүлдү.")
    classes = services.classes(school)
    services.add_injury(nurse, school, gym, class_id=classes[0].id if classes else None, person_name="",
                        consent_paper="", injury="Оң тамандын чыгышы",
                        first_aid="Муз басылды, бинт; ата-энеси алып кетти", alert=False)  # long past: no SMS
    services.record_incident(
        officer, school, kind="fight", occurred_dt=local_to_utc(today - dt.timedelta(days=4), dt.time(11, 25), tz),
        place="2-кабат, чыгыш коридор", description="Танапис учурунда 8-класстын эки окуучусу мушташты.",
        parents_informed=True, ambulance=False, police=False,
        measures="Класс жетекчиси жана психолог менен маек; ата-энелер чакырылды.")
    services.record_incident(
        officer, school, kind="property", occurred_dt=local_to_utc(today - dt.timedelta(days=2), dt.time(7, 50), tz),
        place="1-кабат, 104-кабинет", description="Терезенин айнеги сынган.", parents_informed=False,
        ambulance=False, police=False, measures="Айнек алмаштырылды.")
