"""Demo: equipment, schedules, three weeks of history with failures, open and closed
deficiencies, overdue items.  Idempotent: a second run changes nothing."""

from __future__ import annotations

import datetime as dt
import random
import uuid

import sqlalchemy as sa

from ..extensions import db
from ..schools.demo import Demo
from ..schools.models import Zone, ZoneKind
from ..time import now_utc
from . import services
from .models import (
    ActionComment,
    ActionSource,
    ActionStatus,
    Answer,
    Asset,
    AssetType,
    CorrectiveAction,
    Result,
    Run,
    RunStatus,
    Schedule,
    Severity,
)
from .periods import current_occurrence, occurrences_between

OFFICE = "Директордун кабинети / Кабинет директора"
HISTORY_DAYS = 21

#: (code, type, zone name prefix, description, capacity)
ASSETS = [
    ("ОП-1", AssetType.FIRE_EXTINGUISHER, "1-кабат", "ОП-4(з) порошковый", "4 кг"),
    ("ОП-2", AssetType.FIRE_EXTINGUISHER, "1-кабат", "ОП-4(з) порошковый", "4 кг"),
    ("ОП-3", AssetType.FIRE_EXTINGUISHER, "2-кабат", "ОП-4(з) порошковый", "4 кг"),
    ("ОП-4", AssetType.FIRE_EXTINGUISHER, "3-кабат", "ОП-4(з) порошковый", "4 кг"),
    ("ОУ-1", AssetType.FIRE_EXTINGUISHER, "Электр щит", "ОУ-5 углекислотный", "5 л"),
    ("ОП-5", AssetType.FIRE_EXTINGUISHER, "Ашкана", "ОП-5(з) порошковый", "5 кг"),
    ("ППК-1", AssetType.FIRE_ALARM_PANEL, "Башкы кире бериш", "Гранит-16, пульт «101»", ""),
    ("ЩО-1", AssetType.ELECTRICAL_PANEL, "Электр щит", "ВРУ-1, главный щит", ""),
    ("ЩО-2", AssetType.ELECTRICAL_PANEL, "2-кабат", "Щит освещения 2 этажа", ""),
    ("ПГ-1", AssetType.HYDRANT, "Короо", "Пожарный гидрант у ворот", ""),
    ("АО-1", AssetType.EMERGENCY_LIGHT, "Чыгыш тепкич", "Аварийный светильник «Выход»", ""),
]


def _zone(demo: Demo, prefix: str) -> Zone:
    return next(z for z in demo.school.zones if z.name.startswith(prefix))


def inspections_demo(demo: Demo) -> None:
    school = demo.school
    if db.session.scalar(sa.select(Asset.id).where(Asset.school_id == school.id).limit(1)) is not None:
        return
    services.sync_templates()
    if not any(z.name == OFFICE for z in school.zones):
        school.zones.append(Zone(name=OFFICE, kind=ZoneKind.OFFICE, floor=1, building="А"))
        db.session.flush()
    rng = random.Random(95)
    today = demo.today
    assets = {}
    for code, kind, prefix, description, capacity in ASSETS:
        a = Asset(school_id=school.id, zone_id=_zone(demo, prefix).id, asset_type=kind, code=code,
                  description=description, capacity=capacity, serial=f"{rng.randint(100000, 999999)}",
                  commissioned_on=dt.date(2021, 8, 20), last_service_on=dt.date(today.year - 1, 8, 25),
                  next_service_on=dt.date(today.year, 8, 25) if code != "ОП-3" else today - dt.timedelta(days=12))
        db.session.add(a)
        assets[code] = a
    db.session.flush()

    start = today - dt.timedelta(days=HISTORY_DAYS + 7)
    made: list[Schedule] = []

    def add(key, zone=None, asset=None, **kw):
        made.append(services.schedule_from_template(None, school, key, zone=zone, asset=asset, starts_on=start, **kw))

    # The 2nd-floor walk runs every day with a long window, so there is always one to show.
    add("fire_daily_walk", zone=_zone(demo, "2-кабат"), frequency="daily", opens_time=dt.time(7, 0),
        due_time=dt.time(21, 0))
    for prefix in ("1-кабат", "3-кабат", "Чыгыш тепкич", "Спорт зал", "Химия"):
        add("fire_daily_walk", zone=_zone(demo, prefix))
    add("territory_daily_guard", zone=_zone(demo, "Короо"))
    add("lab_waste_weekly", zone=_zone(demo, "Химия"))
    add("canteen_sanitary_daily", zone=_zone(demo, "Ашкана"))
    add("documents_quarterly", zone=next(z for z in school.zones if z.name == OFFICE))
    for a in assets.values():
        key = {AssetType.FIRE_EXTINGUISHER: "extinguisher_monthly", AssetType.FIRE_ALARM_PANEL: "fire_alarm_monthly",
               AssetType.ELECTRICAL_PANEL: "electrical_monthly"}.get(a.asset_type)
        if key:
            add(key, asset=a)
    db.session.flush()
    _history(demo, made, rng)


def _history(demo: Demo, schedules: list[Schedule], rng: random.Random) -> None:
    school = demo.school
    today = demo.today
    tz = school.timezone
    now = now_utc()
    people = {"teacher": [demo.users[u] for u in ("teacher", "teacher2", "teacher3", "teacher4")],
              "guard": [demo.users["guard"], demo.users["guard2"]], "canteen": [demo.users["canteen"]],
              "safety_officer": [demo.users["safety_officer"]]}
    versions = services.current_versions()
    failures = 0
    for sched in schedules:
        version = versions[sched.template_key]
        current = current_occurrence(sched, today, tz)
        for occ in occurrences_between(sched, today - dt.timedelta(days=HISTORY_DAYS), today, tz):
            if current is not None and occ.start == current.start:
                continue  # today's (this period's) checks are left to do
            if sched.frequency in ("daily", "school_days") and rng.random() < 0.08:
                continue  # missed
            who = rng.choice(people.get(sched.assignee_role, people["teacher"]))
            started = min(occ.opens_dt + dt.timedelta(minutes=rng.randint(5, 80)), now - dt.timedelta(hours=1))
            run = Run(school_id=school.id, schedule_id=sched.id, period_start=occ.start, version_id=version.id,
                      zone_id=sched.zone_id or (sched.asset.zone_id if sched.asset else None),
                      asset_id=sched.asset_id, status=RunStatus.DONE, started_by_id=who.id, started_dt=started,
                      finished_dt=started + dt.timedelta(minutes=rng.randint(3, 12)), finished_by_id=who.id,
                      is_qr_verified=bool(sched.asset_id) and rng.random() < 0.8)
            db.session.add(run)
            db.session.flush()
            for item in version.items:
                result = Result.PASS
                roll = rng.random()
                if roll < 0.03 and item["severity"] != "critical" or roll < 0.006:
                    result = Result.FAIL
                elif roll > 0.97:
                    result = Result.NA
                note = "Кутулар коюлган / стоят коробки" if result is Result.FAIL else ""
                ans = Answer(school_id=school.id, run_id=run.id, item_id=item["id"], result=result, note=note,
                             client_uuid=str(uuid.uuid4()), answered_by_id=who.id, answered_dt=run.started_dt)
                db.session.add(ans)
                if result is Result.FAIL:
                    db.session.flush()
                    failures += 1
                    _demo_action(demo, run, ans, item, version, rng, now)
    # One fresh critical hazard report, visible on the director's page at once.
    db.session.add(CorrectiveAction(
        school_id=school.id, title="Эвакуациялык эшик кулпуланган / Эвакуационный выход заперт",
        description="Чыгыш тепкичтеги эшик кулпуда / Дверь у восточной лестницы на замке",
        severity=Severity.CRITICAL, area="fire_safety", zone_id=_zone(demo, "Чыгыш тепкич").id,
        source=ActionSource.HAZARD, status=ActionStatus.OPEN, assignee_id=demo.users["safety_officer"].id,
        created_by_id=demo.users["teacher2"].id, created_dt=now - dt.timedelta(hours=3),
        due_on=today + dt.timedelta(days=1)))
    db.session.flush()


def _demo_action(demo, run, ans, item, version, rng, now):
    school = demo.school
    severity = Severity(item["severity"])
    created = run.finished_dt
    created_day = created.astimezone(services.school_tz(school)).date()
    assignee = services.default_assignee(school, version.content["area"], created_day)
    age = (demo.today - created_day).days
    status = ActionStatus.VERIFIED if age > 10 and rng.random() < 0.8 else rng.choice(
        [ActionStatus.OPEN, ActionStatus.IN_PROGRESS, ActionStatus.FIXED, ActionStatus.OPEN])
    a = CorrectiveAction(
        school_id=school.id, title=item["text"]["ky"], description=ans.note, severity=severity,
        area=version.content["area"], zone_id=run.zone_id, asset_id=run.asset_id, run_id=run.id, answer_id=ans.id,
        source=ActionSource.FAILED_ITEM, status=status, assignee_id=assignee.id if assignee else None,
        created_by_id=run.started_by_id, created_dt=created,
        due_on=created_day + dt.timedelta(days=services.DUE_DAYS[severity]))
    if status in (ActionStatus.FIXED, ActionStatus.VERIFIED):
        a.fixed_dt = created + dt.timedelta(days=1)
    if status is ActionStatus.VERIFIED:
        a.verified_dt = created + dt.timedelta(days=2)
        a.verified_by_id = demo.users["director"].id
    db.session.add(a)
    db.session.flush()
    if status is not ActionStatus.OPEN:
        db.session.add(ActionComment(school_id=school.id, action_id=a.id, user_id=assignee.id if assignee else None,
                                     text="Иштеп жатабыз / Работаем", new_status=ActionStatus.IN_PROGRESS.value,
                                     created_dt=created + dt.timedelta(hours=5)))


