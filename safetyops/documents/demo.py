"""Demo: School No. 95's safety paperwork, with small generated PDFs: the anti-terror passport
due for review, the fire action plan expired, orders that put the appointments in place,
contracts with licences, and the fire-safety instruction journal."""

from __future__ import annotations

import datetime as dt
import io

import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from ..extensions import db
from ..schools.demo import Demo
from ..schools.models import Appointment, Area
from ..scoping import cross_school
from . import pdf, services
from .models import DocKind, Document, Instruction, InstructionEntry

#: (number, Kyrgyz title, Russian title, what it is about)
ORDERS = [
    ("12", "Өрт коопсуздугуна жооптуу адамды дайындоо жөнүндө",
     "О назначении ответственного за пожарную безопасность", "fire_safety"),
    ("13", "Жарандык коргонуунун жана өзгөчө кырдаалдардын штабын түзүү жөнүндө",
     "О создании штаба гражданской защиты и чрезвычайных ситуаций", "civil_defence"),
    ("14", "Электр чарбасына жооптуу адамды дайындоо жөнүндө",
     "О назначении ответственного за электрохозяйство", "electrical_safety"),
    ("15", "Ашкананын тамактануу графигин бекитүү жана жооптууну дайындоо жөнүндө",
     "Об утверждении графика питания и назначении ответственного", "canteen"),
    ("16", "Маалыматтык коопсуздукка жооптуу адамды дайындоо жөнүндө",
     "О назначении ответственного за информационную безопасность", "information_security"),
    ("17", "Антитеррордук коргоого жооптуу адамды дайындоо жөнүндө",
     "О назначении ответственного за антитеррористическую защищённость", "anti_terror"),
]


def _pdf_file(demo: Demo, title: str, lines: list[str], name: str) -> FileStorage:
    data = pdf.title_page(demo.school.name, title, lines)
    return FileStorage(io.BytesIO(data), filename=name, content_type="application/pdf")


def _doc(demo: Demo, kind: DocKind, ky: str, ru: str, approved_on: dt.date, *, review_on=None, files=True, **data):
    actor = demo.users["director"]
    if "responsible_id" not in data:
        person = services.default_responsible(demo.school, kind, demo.today)
        data["responsible_id"] = person.id if person else None
    attached = [_pdf_file(demo, ky, [ru, f"{approved_on:%d.%m.%Y}"], f"{kind.value}.pdf")] if files else []
    data.setdefault("status", "in_force")
    return services.save_document(actor, demo.school, None, files=attached, kind=kind, title_local=ky, title_ru=ru,
                                  approved_on=approved_on, review_on=review_on, **data)


def documents_demo(demo: Demo) -> None:
    """The register, contracts and the instruction journal of School No. 95 (idempotent)."""
    school = demo.school
    if db.session.scalar(sa.select(Document.id).where(Document.school_id == school.id).limit(1)):
        return
    today = demo.today
    year_start = dt.date(today.year if today.month >= 9 else today.year - 1, 9, 1)
    order_day = year_start - dt.timedelta(days=3)
    director = demo.users["director"]

    if not db.session.scalar(sa.select(Appointment.id).where(Appointment.school_id == school.id,
                                                             Appointment.area == Area.ANTI_TERROR)):
        db.session.add(Appointment(school_id=school.id, user_id=demo.users["deputy"].id, area=Area.ANTI_TERROR,
                                   order_number="17", order_date=order_day, starts_on=year_start))
    db.session.flush()

    orders = {}
    for number, ky, ru, topic in ORDERS:
        orders[topic] = _doc(demo, DocKind.ORDER, ky, ru, order_day, number=number, responsible_id=director.id,
                             details={"topic": ru})

    # The anti-terror passport: a year old, its review falls due in three weeks.
    passport_review = today + dt.timedelta(days=20)
    _doc(demo, DocKind.ANTITERROR_PASSPORT, "№95 мектеп-гимназиянын антитеррордук коргоо паспорту",
         "Паспорт антитеррористической защищённости школы-гимназии №95",
         services.add_months(passport_review, -12), review_on=passport_review, approved_by_id=orders["anti_terror"].id,
         number="АТ-1", details={
             "staff": "1 240 окуучу, 96 кызматкер; эки окуу имараты.",
             "forces": "Күндүз лицензияланган күзөт (келишим боюнча), түнкүсүн мектептин күзөтчүлөрү; дабыл баскычы.",
             "life_support": "Жылуулук, суу, электр: өчүрүүчү жерлери схемада белгиленген.",
             "cooperation": "Октябрь райондук ИИБ, ӨКМ, 101/102/103/112.",
         })
    _doc(demo, DocKind.SAFETY_MEASURES_PLAN,
         "Объекттин эксплуатациясынын коопсуздугун камсыз кылуу боюнча иш-чаралар планы",
         "План мероприятий по обеспечению безопасной эксплуатации объекта", year_start,
         approved_by_id=orders["anti_terror"].id)
    for floor in (1, 2, 3):
        _doc(demo, DocKind.EVACUATION_PLAN, f"Эвакуация планы, А имараты, {floor}-кабат",
             f"План эвакуации, корпус А, {floor} этаж", year_start, approved_by_id=orders["fire_safety"].id,
             details={"building": "А", "floor": str(floor)})
    # Expired: the fire action plan was due for review ten days ago.
    expired_review = today - dt.timedelta(days=10)
    _doc(demo, DocKind.FIRE_ACTION_PLAN, "Өрт чыкканда администрациянын жана кызматкерлердин иш-аракет планы",
         "План действий администрации и персонала при пожаре", services.add_months(expired_review, -12),
         review_on=expired_review, approved_by_id=orders["fire_safety"].id)
    _doc(demo, DocKind.FIRE_INSTRUCTION, "Өрт коопсуздугунун чаралары боюнча нускама №1",
         "Инструкция о мерах пожарной безопасности №1", year_start, number="1",
         approved_by_id=orders["fire_safety"].id)
    _doc(demo, DocKind.FIRE_MEMO, "Өрт коопсуздугу боюнча эскертме", "Памятка о пожарной безопасности", year_start)
    _doc(demo, DocKind.LOCAL_ACT, "Окуу процессинин коопсуздугун камсыздоо боюнча иштерди уюштуруу жөнүндө жобо",
         "Положение об организации работы по обеспечению безопасности учебного процесса", order_day,
         approval_note="Педагогикалык кеңештин 1-протоколу", details={"council": "№1, 28.08"})
    _doc(demo, DocKind.ROAD_SAFETY_PLAN, "Балдардын жол-транспорттук жаракаттарынын алдын алуу планы",
         "План профилактики детского дорожно-транспортного травматизма", year_start)
    # Still a draft: the route is being surveyed with the traffic police (ГУОБДД).
    _doc(demo, DocKind.ROUTE_PASSPORT, "Мектептин коопсуз каттам паспорту", "Паспорт безопасного маршрута школы",
         year_start, files=False, status="draft")
    # Contracts and licences.
    contracts = [
        (DocKind.CONTRACT_SECURITY, "Күзөт кызматын көрсөтүү келишими", "Договор на охранные услуги",
         "ОсОО «Калкан-Күзөт»", "КЛ-0457", today + dt.timedelta(days=200)),
        (DocKind.CONTRACT_ALARM, "Өрт дабылын «101» пультуна туташтыруу келишими",
         "Договор на вывод пожарной сигнализации на пульт «101»", "ОсОО «Сигнал-Сервис»", "ЛП-1120", None),
        (DocKind.CONTRACT_EXTINGUISHERS, "Өрт өчүргүчтөрдү кайра толтуруу жана сыноо келишими",
         "Договор на перезарядку и испытание огнетушителей", "ЖЧК «Өрт-Техника»", "", None),
        (DocKind.CONTRACT_WASTE, "Таштандыны чыгаруу келишими", "Договор на вывоз мусора", "МИ «Тазалык»", "", None),
        (DocKind.CONTRACT_CANTEEN, "Ашканага азык-түлүк жеткирүү келишими", "Договор на поставку продуктов в столовую",
         "ОсОО «Азык Ордо»", "", None),
    ]
    # The security company employs the school's two guards: the gate phone offers them at a change of shift.
    company_guards = [demo.users[u].id for u in ("guard", "guard2") if u in demo.users]
    for n, (kind, ky, ru, contractor, licence, licence_until) in enumerate(contracts, start=1):
        _doc(demo, kind, ky, ru, year_start - dt.timedelta(days=10), number=f"{n}/{year_start.year}",
             review_on=dt.date(year_start.year + 1, 6, 30), contractor=contractor, licence_number=licence,
             licence_expires_on=licence_until,
             guard_ids=company_guards if kind is DocKind.CONTRACT_SECURITY else None)
    _instructions(demo, year_start)


@cross_school("the demo builds every school")
def _instructions(demo: Demo, year_start: dt.date) -> None:
    school = demo.school
    if db.session.scalar(sa.select(Instruction.id).where(Instruction.school_id == school.id).limit(1)):
        return
    officer = demo.users["safety_officer"]
    staff = [demo.users[u] for u in ("teacher", "teacher2", "teacher3", "teacher4", "guard", "canteen", "nurse")]
    # The repeat instruction of the start of the year: falls due again in about two weeks.
    held = services.add_months(demo.today + dt.timedelta(days=10), -services.REPEAT_MONTHS)
    repeat = services.record_instruction(officer, school, kind="repeat", held_on=held, instructor_id=officer.id,
                                         topic="Өрт коопсуздугунун чаралары боюнча нускама №1",
                                         user_ids=[u.id for u in staff])
    signed_at = dt.datetime.combine(held, dt.time(9, 30), tzinfo=dt.UTC)
    for entry in db.session.scalars(sa.select(InstructionEntry).where(InstructionEntry.instruction_id == repeat.id)):
        if entry.user_id != demo.users["teacher"].id:  # the demo teacher still has to confirm
            entry.signed_dt = signed_at
    services.record_instruction(officer, school, kind="introductory", held_on=demo.today - dt.timedelta(days=3),
                                instructor_id=officer.id, topic="Вводный противопожарный инструктаж",
                                user_ids=[demo.users["teacher5"].id, demo.users["teacher6"].id])
