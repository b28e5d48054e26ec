"""Roster sweeps: the eve-of-duty SMS and the nudge for a missing check-in.

Both select by "due before now" over database state, so a scheduler that was down catches up,
and the outbox's idempotency key (kind:key:user) means a second run queues nothing.  Plain functions:
`safetyops.scheduler.catalogue` lists them by name."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..schools.calendar import calendars_for
from ..schools.models import School
from ..scoping import cross_school
from ..time import local_to_utc
from . import services
from .models import DaysRule, Shift

#: The eve-of-duty reminder goes out from this local time the day before.
EVE_AT = dt.time(18, 0)


def _schools(ids) -> dict[int, School]:
    return {s.id: s for s in db.session.scalars(sa.select(School).where(School.id.in_(list(ids))))} if ids else {}


@cross_school("the scheduler's sweep over every school")
def eve_reminders(now: dt.datetime) -> int:
    """SMS each person the evening before a duty (or as soon as possible after, until it starts)."""
    shifts = list(db.session.scalars(
        sa.select(Shift).options(selectinload(Shift.post), selectinload(Shift.user))
        .where(Shift.is_published.is_(True), Shift.start_dt > now, Shift.start_dt <= now + dt.timedelta(hours=40))))
    schools = _schools({s.school_id for s in shifts})
    calendars = calendars_for(schools)
    masks: dict[int, int] = {}
    queued = 0
    for s in shifts:
        school = schools[s.school_id]
        if local_to_utc(s.day - dt.timedelta(days=1), EVE_AT, school.timezone) > now:
            continue
        if s.post.days == DaysRule.SCHOOL_DAYS:  # a holiday entered after the roster was published
            if school.id not in masks:
                masks[school.id] = services.settings_of(school).school_weekday_mask
            if not s.post.runs_on(s.day, masks[school.id], calendars[school.id]):
                continue
        start = services.local(s.start_dt, school)
        params = {"date": start.strftime("%d.%m"), "time": start.strftime("%H:%M"),
                  "post": services.short_post_name(s.post.name)}
        queued += len(services.notify_people(school, [s.user], "rosters.eve", f"{s.id}:{s.day.isoformat()}", params))
    db.session.commit()
    return queued


@cross_school("the scheduler's sweep over every school")
def checkin_nudges(now: dt.datetime) -> int:
    """SMS a person who has not checked in `grace` minutes after their duty started (once per shift)."""
    ids = set(db.session.scalars(
        sa.select(Shift.school_id).where(Shift.is_published.is_(True), Shift.checked_in_dt.is_(None),
                                         Shift.start_dt <= now, Shift.end_dt > now).distinct()))
    queued = 0
    for school in _schools(ids).values():
        for s in services.missing_checkins(school, now):
            params = {"post": services.short_post_name(s.post.name), "time": services.local(s.start_dt, school)
                      .strftime("%H:%M")}
            queued += len(services.notify_people(school, [s.user], "rosters.nudge", f"{s.id}", params))
    db.session.commit()
    return queued
