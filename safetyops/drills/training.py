"""Staff safety training: the certificates of each person (course, dates, electrical safety group), who is
valid, expiring or expired, and the SMS reminder before a certificate expires.  The actor and the school are
arguments."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..audit.services import record
from ..auth.models import User
from ..errors_service import ServiceError
from ..extensions import db
from ..notifications import outbox
from ..schools.calendar import reminder_day
from ..schools.models import School
from ..time import zone
from .models import Course, TrainingRecord
from .staff import member_of, staff_of

EXPIRY_WARNING_DAYS = 30


def save_training(actor: User | None, school: School, rec: TrainingRecord | None, *, user_id: int, course,
                  taken_on: dt.date, expires_on: dt.date | None, certificate_no: str = "",
                  electrical_group: int | None = None) -> TrainingRecord:
    if not member_of(school, user_id):
        raise ServiceError(_l("Choose a person who works at this school."), "user_id")
    course = Course(course)
    if expires_on is not None and expires_on < taken_on:
        raise ServiceError(_l("The expiry date is before the course date."), "expires_on")
    if course is Course.ELECTRICAL:
        if electrical_group is None or not 1 <= electrical_group <= 5:
            raise ServiceError(_l("Choose the electrical safety group (I–V)."), "electrical_group")
    else:
        electrical_group = None
    creating = rec is None
    if creating:
        rec = TrainingRecord(school_id=school.id)
        db.session.add(rec)
    rec.user_id, rec.course, rec.taken_on, rec.expires_on = user_id, course, taken_on, expires_on
    rec.certificate_no, rec.electrical_group = (certificate_no or "").strip()[:40], electrical_group
    db.session.flush()
    record(actor, school, "training.create" if creating else "training.update", rec)
    return rec


def current_records(school: School) -> dict[tuple[int, Course], TrainingRecord]:
    """The latest record per (person, course) at the school."""
    latest: dict[tuple[int, Course], TrainingRecord] = {}
    rows = db.session.scalars(sa.select(TrainingRecord).where(TrainingRecord.school_id == school.id)
                              .order_by(TrainingRecord.taken_on, TrainingRecord.id))
    for rec in rows:
        latest[(rec.user_id, rec.course)] = rec
    return latest


def is_valid(rec: TrainingRecord, today: dt.date) -> bool:
    return rec.expires_on is None or rec.expires_on >= today


def training_overview(school: School, today: dt.date) -> dict:
    staff = staff_of(school)
    latest = current_records(school)
    ids = {u.id for u in staff}
    per_course = {}
    for course in Course:
        valid = sum(1 for (uid, c), r in latest.items() if c is course and uid in ids and is_valid(r, today))
        per_course[course] = {"valid": valid, "total": len(staff),
                              "percent": round(100 * valid / len(staff)) if staff else 0}
    horizon = today + dt.timedelta(days=EXPIRY_WARNING_DAYS)
    expiring = sorted((r for (uid, _c), r in latest.items()
                       if uid in ids and r.expires_on is not None and today <= r.expires_on <= horizon),
                      key=lambda r: r.expires_on)
    expired = sorted((r for (uid, _c), r in latest.items()
                      if uid in ids and r.expires_on is not None and r.expires_on < today),
                     key=lambda r: r.expires_on)
    return {"per_course": per_course, "expiring": expiring, "expired": expired, "staff": len(staff)}


def my_expiring(user, school: School, today: dt.date) -> list[TrainingRecord]:
    horizon = today + dt.timedelta(days=EXPIRY_WARNING_DAYS)
    return [r for (uid, _c), r in current_records(school).items()
            if uid == user.id and r.expires_on is not None and r.expires_on <= horizon]


def training_reminders(now: dt.datetime) -> int:
    """Queue one SMS per current certificate that expires within 30 days (idempotent; catches up)."""
    queued = 0
    for school in db.session.scalars(sa.select(School)):
        today = now.astimezone(zone(school.timezone)).date()
        if not reminder_day(school, today):
            continue  # a weekend or a holiday: the next working day's sweep sends it
        for rec in training_overview(school, today)["expiring"]:
            if not rec.user.is_enabled:
                continue
            rows = outbox.notify(school, [rec.user], "drills.training", f"{rec.id}:{rec.expires_on.isoformat()}",
                                 {"number": rec.certificate_no or "-", "date": rec.expires_on.strftime("%d.%m.%Y")})
            queued += len(rows or [])
    return queued
