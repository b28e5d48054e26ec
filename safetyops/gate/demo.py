"""Demo data for the gate: yesterday's traffic, two visitors on site now, a watchlist entry,
four checkpoints and two nights of rounds (one checkpoint missed).  Runs once: a second
`safetyops demo` finds the demo entries and changes nothing."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ..extensions import db
from ..schools.demo import Demo
from ..scoping import cross_school
from ..time import local_to_utc, now_utc
from . import phone, rounds
from . import settings as gate_settings
from .models import EVENT_KINDS, Checkpoint, CheckpointScan, DocType, EntryKind, GateEntry, WatchlistEntry, WatchReason
from .names import name_key, names_match

CHECKPOINTS = [("DEMO01", "Башкы кире бериш / Главный вход"), ("DEMO02", "От казан / Котельная"),
               ("DEMO03", "Спорт зал эшиги / Дверь спортзала"), ("DEMO04", "Арткы эшик / Запасный выход")]
WATCH_NAME = "Сидоров Пётр Иванович"
DEMO_PIN = "2580"

#: (local time, kind, name, doc type, last 4, purpose, host username, plate, minutes inside or None)
TRAFFIC = [
    ("07:55", EntryKind.DELIVERY, "Нурбеков Адилет", DocType.DRIVER_LICENCE, "4471", "Нан / Хлеб", "canteen",
     "01KG123ABC", 20),
    ("08:20", EntryKind.STAFF_LATE, "Петров Сергей Иванович", DocType.NONE, None, "Автобус кечикти", None, "", None),
    ("08:45", EntryKind.STUDENT_LATE, "7Б: Алымкулов Эмир", DocType.NONE, None, "Доктор", "teacher", "", None),
    ("09:10", EntryKind.PARENT, "Омурбекова Айжан", DocType.ID_CARD, "0932", "Ата-энелер жолугушуусу", "teacher",
     "", 45),
    ("10:05", EntryKind.CONTRACTOR, "Ли Виктор", DocType.PASSPORT, "5567", "Электр / Электрика", "deputy",
     "01KG555DEF", 140),
    ("11:30", EntryKind.VISITOR, "Жумабаев Эрлан", DocType.PASSPORT, "1180", "Райбилим / РОО", "director", "", 60),
    ("12:40", EntryKind.STUDENT_EARLY, "4А: Сатыбалдиева Алина", DocType.NONE, None, "Ата-энеси алып кетти",
     "teacher2", "", None),
    ("13:15", EntryKind.VEHICLE, "Мусор ташуучу / Вывоз мусора", DocType.NONE, None, "Таштанды / Мусор", None,
     "01KG777GHI", 15),
    ("14:00", EntryKind.PARENT, "Сидоров Петр", DocType.PASSPORT, "3321", "Баласын алып кетүү", "teacher", "", 0),
    ("15:20", EntryKind.VISITOR, "Ким Елена Викторовна", DocType.ID_CARD, "2290", "Китепкана / Библиотека",
     "teacher3", "", 35),
    ("16:45", EntryKind.STAFF_EARLY, "Кадырова Динара Алмазбековна", DocType.NONE, None, "Оорукана / Больница",
     None, "", None),
    ("17:30", EntryKind.CONTRACTOR, "Асанов Нурбек", DocType.ID_CARD, "7712", "Суу түтүгү / Сантехника", "deputy",
     "", None),
]


@cross_school("the demo builds every school")
def gate_demo(demo: Demo) -> None:
    school = demo.school
    if db.session.scalar(sa.select(GateEntry.id).where(GateEntry.school_id == school.id,
                                                       GateEntry.client_id.like("demo-%")).limit(1)):
        return
    users = demo.users
    guard, guard2 = users["guard"], users.get("guard2", users["guard"])
    # checkpoints, the watchlist, a PIN for the demo guard
    checkpoints = []
    for code, name in CHECKPOINTS:
        cp = db.session.scalar(sa.select(Checkpoint).where(Checkpoint.code == code))
        if cp is None:
            cp = Checkpoint(school_id=school.id, name=name, code=code, position=len(checkpoints) + 1)
            db.session.add(cp)
        checkpoints.append(cp)
    watch = WatchlistEntry(school_id=school.id, name=WATCH_NAME, name_key=name_key(WATCH_NAME), doc_last4="3321",
                           reason=WatchReason.CUSTODY, created_by_id=users["director"].id,
                           note="Сотто чечими №2-15/2026: баланы алып кетүүгө болбойт. / Решение суда: "
                                "забирать ребёнка запрещено.")
    db.session.add(watch)
    db.session.flush()
    if not phone.has_pin(guard, school):
        phone.set_pin(guard, school, DEMO_PIN)

    today = demo.today
    yesterday = today - dt.timedelta(days=1)
    tz = school.timezone
    for n, (at, kind, name, doc, last4, purpose, host, plate, minutes) in enumerate(TRAFFIC):
        in_dt = local_to_utc(yesterday, dt.time.fromisoformat(at), tz)
        hit = names_match(name_key(name), watch.name_key, last4, watch.doc_last4)
        if kind in EVENT_KINDS:
            out_dt = in_dt
        elif minutes is not None:
            out_dt = in_dt + dt.timedelta(minutes=minutes)
        else:
            out_dt = None  # never signed out: shows in the report
        db.session.add(GateEntry(
            school_id=school.id, client_id=f"demo-{n}", kind=kind, name=name, name_key=name_key(name), doc_type=doc,
            doc_last4=last4, purpose=purpose, host_id=users[host].id if host else None, vehicle_plate=plate,
            in_dt=in_dt, out_dt=out_dt, guard_id=guard.id, out_guard_id=guard.id if out_dt else None,
            watchlist_id=watch.id if hit else None, is_refused=bool(hit)))
    # two visitors on site now
    now = now_utc()
    for n, (name, kind, purpose, host, minutes) in enumerate([
        ("Осмонова Бермет", EntryKind.PARENT, "Директорго / К директору", "director", 25),
        ("Токтогулов Бакыт", EntryKind.CONTRACTOR, "Терезе / Окна", "deputy", 70),
    ]):
        db.session.add(GateEntry(
            school_id=school.id, client_id=f"demo-now-{n}", kind=kind, name=name, name_key=name_key(name),
            doc_type=DocType.ID_CARD, doc_last4=f"{4100 + n}", purpose=purpose, host_id=users[host].id,
            in_dt=now - dt.timedelta(minutes=minutes), guard_id=guard.id))
    # two nights of rounds: all done the night before last; last night one checkpoint missed at 04:00
    settings = gate_settings.settings_for(school)
    for night, skip_last in ((yesterday - dt.timedelta(days=1), False), (yesterday, True)):
        for i, slot in enumerate(rounds.night_slots(school, night, settings)):
            if slot.start > now:
                continue
            for k, cp in enumerate(checkpoints):
                if skip_last and i == 2 and k == 3:
                    continue
                late = 50 if (not skip_last and i == 1 and k == 2) else 0
                db.session.add(CheckpointScan(
                    school_id=school.id, checkpoint_id=cp.id, guard_id=guard2.id,
                    scanned_dt=slot.start + dt.timedelta(minutes=5 + 6 * k + late), method="qr",
                    client_id=f"demo-{night:%Y%m%d}-{i}-{k}"))
    db.session.flush()
