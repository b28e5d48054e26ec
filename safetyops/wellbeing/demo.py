"""Demo: School No. 95's psychologist (a teacher appointed by order) and a few anonymous reports:
one new, one being dealt with (a note, an answer the reporter can read), one closed."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ..extensions import db
from ..schools.demo import Demo
from ..schools.models import Appointment, Area
from ..time import now_utc
from . import services
from .models import Report

#: (kind, who, text, place, what was done, answer, outcome)
REPORTS = [
    ("bullying", "student", "7-А класстагы бир кызды социалдык тармакта шылдыңдап, сүрөтүн жайышты.", "7-А класс",
     "Класс жетекчиси жана ата-энелер менен жолугушуу өттү; сүрөттөр өчүрүлдү.",
     "Рахмат, билдирүүңүз алынды. Класс менен иш жүргүзүлүп жатат.", ""),
    ("substances", "parent", "У школьных ворот после уроков старшеклассники курят насвай.", "Дарбаза",
     "Нөөмөтчү мугалимдер жана күзөт кабардар кылынды; милициянын инспектору менен жолугушуу.",
     "Спасибо. Дежурство у ворот усилено, проведена беседа.",
     "Дежурство у ворот после уроков, беседа с 10–11 классами."),
    ("violence", "student", "Дене тарбия сабагынан кийин кийим алмаштыруучу жайда 8-класстын балдары мушташты.",
     "Спорт зал", "", "", ""),
]


def wellbeing_demo(demo: Demo) -> None:
    """The psychologist's appointment and three cases (idempotent)."""
    school = demo.school
    if db.session.scalar(sa.select(Report.id).where(Report.school_id == school.id).limit(1)):
        return
    start = dt.date(demo.today.year if demo.today.month >= 9 else demo.today.year - 1, 9, 1)
    psychologist = demo.users.get("teacher2") or demo.users["teacher"]
    if not services.psychologists(school, demo.today):
        db.session.add(Appointment(school_id=school.id, user_id=psychologist.id, area=Area.PSYCHOLOGY,
                                   order_number="18", order_date=start - dt.timedelta(days=3), starts_on=start))
    services.link_for(school)
    for i, (kind, who, body, place, note, reply, outcome) in enumerate(REPORTS):
        report, _code = services.submit_report(school, kind=kind, reporter_kind=who, body=body, place=place,
                                               locale="ru" if who == "parent" else "ky", alert=False)
        report.received_on = demo.today - dt.timedelta(days=12 - 5 * i)
        if note:
            services.add_note(psychologist, school, report, note)
        if reply:
            services.set_reply(psychologist, school, report, reply, now_utc())
        if outcome:
            services.set_status(demo.users["director"], school, report, "closed", outcome)
    db.session.flush()
