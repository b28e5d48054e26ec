"""What the gate's sweeps (`jobs.py`) do for one school: the SMS for missed night rounds (at once or the
morning summary) and for visitors still inside after closing, and the anonymisation of entries past the
school's retention period."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ..audit.services import record
from ..extensions import db
from ..schools.models import School
from ..time import local_to_utc
from .models import GateEntry, GateNameWord, GatePhoto, RoundAlertMode
from .rounds import current_night, night_rounds
from .services import ANONYMISED, directors, duty_admins, notify, open_visits
from .settings import day_bounds, local_now, settings_for

#: Alerts due while the scheduler was down are still sent this long after (later, they are news no more).
CATCH_UP = dt.timedelta(hours=12)


def alert_missed_rounds(school: School, now: dt.datetime) -> int:
    """At-once mode: one SMS per round whose grace passed with checkpoints not scanned."""
    settings = settings_for(school)
    if settings.round_alert_mode is not RoundAlertMode.AT_ONCE:
        return 0
    queued = 0
    night = current_night(school, now)
    for n in (night - dt.timedelta(days=1), night):
        for slot in night_rounds(school, n, now):
            if slot.deadline > now or now - slot.deadline > CATCH_UP:
                continue
            missed = sum(1 for _cp, scan, _s in slot.results if scan is None or scan.scanned_dt > slot.deadline)
            if not missed:
                continue
            people = duty_admins(school, n) or directors(school)
            queued += len(notify(school, people, "gate.round_missed", f"{school.id}:{slot.start:%Y%m%d%H%M}",
                                 {"time": local_now(school, slot.start).strftime("%H:%M"), "count": missed,
                                  "total": len(slot.results)}, urgent=True))
    return queued


def morning_summary(school: School, now: dt.datetime) -> int:
    """Morning mode: after the morning time, one SMS with last night's rounds."""
    settings = settings_for(school)
    if settings.round_alert_mode is not RoundAlertMode.MORNING:
        return 0
    local = local_now(school, now)
    due = dt.datetime.combine(local.date(), settings.morning_time, tzinfo=local.tzinfo)
    if not due <= local < due + CATCH_UP:
        return 0
    night = local.date() - dt.timedelta(days=1)
    slots = night_rounds(school, night, now)
    if not slots or not slots[0].results:
        return 0
    done = sum(s.count("done") for s in slots)
    late = sum(s.count("late") for s in slots)
    missed = sum(s.count("missed") for s in slots)
    people = {u.id: u for u in duty_admins(school, local.date()) + directors(school)}
    return len(notify(school, list(people.values()), "gate.rounds_summary", f"{school.id}:{night:%Y%m%d}",
                      {"done": done, "late": late, "missed": missed}))


def alert_after_closing(school: School, now: dt.datetime) -> int:
    """Visitors still inside after closing time: one SMS per day to the duty administrator."""
    settings = settings_for(school)
    local_today = local_now(school, now).date()
    queued = 0
    for day in (local_today - dt.timedelta(days=1), local_today):
        closing = local_to_utc(day, settings.closing_time, school.timezone)
        if now < closing:
            continue
        start, _end = day_bounds(school, day)
        count = db.session.scalar(sa.select(sa.func.count()).select_from(
            open_visits(school).where(GateEntry.in_dt >= start, GateEntry.in_dt < closing)
            .where(GateEntry.is_refused.is_(False)).subquery())) or 0
        if count:
            queued += len(notify(school, duty_admins(school, day), "gate.after_closing",
                                 f"{school.id}:{day:%Y%m%d}",
                                 {"time": settings.closing_time.strftime("%H:%M"), "count": count}, urgent=True))
    return queued


def anonymise_expired(school: School, now: dt.datetime) -> int:
    """Wipe the personal fields of entries older than the school's retention period (idempotent)."""
    cutoff = now - dt.timedelta(days=settings_for(school).retention_days)
    old = (sa.select(GateEntry.id).where(GateEntry.school_id == school.id, GateEntry.in_dt < cutoff,
                                         GateEntry.anonymised_dt.is_(None)))
    ids = list(db.session.scalars(old))
    if not ids:
        return 0
    photo_ids = [p for p in db.session.scalars(sa.select(GateEntry.photo_id).where(
        GateEntry.school_id == school.id, GateEntry.id.in_(ids), GateEntry.photo_id.is_not(None)))]
    for chunk in range(0, len(ids), 1000):
        db.session.execute(
            sa.update(GateEntry).where(GateEntry.id.in_(ids[chunk:chunk + 1000]))
            .values(name=ANONYMISED, name_key="", doc_last4=None, phone=None, purpose="", vehicle_plate="",
                    photo_id=None, anonymised_dt=now))
    for chunk in range(0, len(ids), 1000):
        db.session.execute(sa.delete(GateNameWord).where(GateNameWord.entry_id.in_(ids[chunk:chunk + 1000])))
    if photo_ids:
        db.session.execute(sa.delete(GatePhoto).where(GatePhoto.id.in_(photo_ids)))
    record(None, school, "gate.retention", detail=f"anonymised={len(ids)}")
    return len(ids)
