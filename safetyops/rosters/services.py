"""Duty rosters: the rules.  Services take the actor and the school; views, jobs, the CLI and
tests call the same functions.

Cross-area interface (other areas import these):
- `on_duty(school, day, zone_id=None, post_kind=None) -> list[User]`
- `duties_of(user, school, day) -> list[Shift]` (`.post.name`, `.post.zone_id`, `.start_dt`, `.end_dt`)
Both read published shifts whose (school-local) start date is `day`.

Duty swaps are in `swaps.py`, the calendar feed in `feed.py`.
"""

from __future__ import annotations

import datetime as dt
import time as _time
from typing import cast

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import selectinload

from ..audit.services import record
from ..auth.models import User
from ..auth.roles import Role, has_perm
from ..errors_service import ServiceError
from ..extensions import db
from ..notifications.outbox import notify, sms_name
from ..schools.calendar import calendar_for
from ..schools.models import Membership, School, Zone
from ..time import local_to_utc, now_utc, zone
from . import planner, sms_texts  # noqa: F401 - sms_texts gives the outbox this area's texts
from .models import (
    DaysRule,
    Post,
    PostKind,
    RosterRun,
    RosterSettings,
    Shift,
    Swap,
    Unavailability,
)
from .permissions import RosterPerm

#: Longest range one generation covers (a term is ~100 school days).
MAX_RANGE_DAYS = 200
#: "I'm at my post" can be pressed this long before the start.
CHECKIN_EARLY = dt.timedelta(minutes=30)

DEFAULT_ROLES = {
    PostKind.DUTY_ADMIN: "deputy,director,safety_officer",
    PostKind.DUTY_TEACHER: "teacher",
    PostKind.CANTEEN: "teacher",
    PostKind.GATE_DAY: "guard",
    PostKind.NIGHT_GUARD: "guard",
    PostKind.CUSTOM: "teacher",
}

REASON_LABELS = {
    planner.UNAVAILABLE: _l("unavailable"),
    planner.BUSY: _l("on another duty"),
    planner.WEEK_LIMIT: _l("at the weekly limit"),
    planner.REST: _l("resting after a night shift"),
}


# --- reading ------------------------------------------------------------------------------


def on_duty(school: School, day: dt.date, zone_id: int | None = None, post_kind: str | None = None) -> list[User]:
    """People on published duty at `school` on `day` (optionally on one zone's or one kind's posts)."""
    q = (sa.select(User).join(Shift, Shift.user_id == User.id).join(Post, Post.id == Shift.post_id)
         .where(Shift.school_id == school.id, Shift.day == day, Shift.is_published.is_(True))
         .order_by(Post.position, Post.name))
    if zone_id is not None:
        q = q.where(Post.zone_id == zone_id)
    if post_kind is not None:
        q = q.where(Post.kind == PostKind(post_kind))
    seen, out = set(), []
    for user in db.session.scalars(q):
        if user.id not in seen:
            seen.add(user.id)
            out.append(user)
    return out


def duties_of(user, school: School, day: dt.date) -> list[Shift]:
    """`user`'s published shifts at `school` starting on `day`, in time order."""
    return list(db.session.scalars(
        sa.select(Shift).options(selectinload(Shift.post))
        .where(Shift.school_id == school.id, Shift.user_id == user.id, Shift.day == day,
               Shift.is_published.is_(True))
        .order_by(Shift.start_dt)))


def shifts_between(school: School, first: dt.date, last: dt.date, *, published_only=True, kinds=None,
                   user_id: int | None = None) -> list[Shift]:
    q = (sa.select(Shift).options(selectinload(Shift.post), selectinload(Shift.user))
         .join(Post, Post.id == Shift.post_id)
         .where(Shift.school_id == school.id, Shift.day >= first, Shift.day <= last)
         .order_by(Shift.day, Post.position, Post.name))
    if published_only:
        q = q.where(Shift.is_published.is_(True))
    if kinds is not None:
        q = q.where(Post.kind.in_(list(kinds)))
    if user_id is not None:
        q = q.where(Shift.user_id == user_id)
    return list(db.session.scalars(q))


def posts_of(school: School, active_only=False) -> list[Post]:
    q = sa.select(Post).where(Post.school_id == school.id).order_by(Post.is_active.desc(), Post.position, Post.name)
    if active_only:
        q = q.where(Post.is_active.is_(True))
    return list(db.session.scalars(q))


def settings_of(school: School) -> RosterSettings:
    """The school's roster settings (defaults, not yet saved, when none were set)."""
    found = db.session.scalar(sa.select(RosterSettings).where(RosterSettings.school_id == school.id))
    if found is not None:
        return found
    return RosterSettings(school_id=school.id, school_weekday_mask=0b0011111, max_per_week=2,
                          rest_hours_after_night=24, is_swap_approval_required=True, checkin_grace_minutes=10)


def role_of(user, school: School) -> Role | None:
    return db.session.scalar(sa.select(Membership.role).where(Membership.user_id == user.id,
                                                              Membership.school_id == school.id))


def staff_of(school: School) -> list[tuple[User, Role]]:
    rows = db.session.execute(
        sa.select(User, Membership.role).join(Membership, Membership.user_id == User.id)
        .where(Membership.school_id == school.id, User.is_enabled.is_(True)).order_by(User.full_name))
    return [(u, r) for u, r in rows]


def shift_window(post: Post, day: dt.date, tz_name: str) -> tuple[dt.datetime, dt.datetime]:
    start = local_to_utc(day, post.start_time, tz_name)
    end_day = day + dt.timedelta(days=1) if post.crosses_midnight else day
    return start, local_to_utc(end_day, post.end_time, tz_name)


def local(value: dt.datetime, school: School) -> dt.datetime:
    return value.astimezone(zone(school.timezone))


# --- posts and settings -----------------------------------------------------------------------


def save_post(actor: User | None, school: School, post: Post | None, *, name, kind, zone_id, days, weekdays, start_time,
              end_time, eligible_roles, is_active=True, position=0) -> Post:
    name = (name or "").strip()
    if not name:
        raise ServiceError(_l("Give the post a name."), "name")
    clash = db.session.scalar(sa.select(Post.id).where(Post.school_id == school.id, Post.name == name,
                                                       Post.id != (post.id if post else -1)))
    if clash is not None:
        raise ServiceError(_l("A post with this name already exists."), "name")
    if zone_id and db.session.scalar(sa.select(Zone.id).where(Zone.id == zone_id, Zone.school_id == school.id)) is None:
        raise ServiceError(_l("Choose a zone of this school."), "zone_id")
    if start_time == end_time:
        raise ServiceError(_l("The end time must differ from the start time."), "end_time")
    roles = [r for r in eligible_roles if r in {x.value for x in Role}]
    if not roles:
        raise ServiceError(_l("Choose at least one role that may stand this post."), "eligible_roles")
    mask = 0
    for d in weekdays or []:
        mask |= 1 << int(d)
    if DaysRule(days) == DaysRule.WEEKDAYS and not mask:
        raise ServiceError(_l("Choose the weekdays."), "weekdays")
    creating = post is None
    if creating:
        post = Post(school_id=school.id)
        db.session.add(post)
    post.name, post.kind, post.zone_id, post.days = name, PostKind(kind), zone_id or None, DaysRule(days)
    post.weekday_mask = mask or 0b0011111
    post.start_time, post.end_time = start_time, end_time
    post.eligible_roles = ",".join(roles)
    post.is_active, post.position = bool(is_active), position or 0
    db.session.flush()
    record(actor, school, "roster_post.create" if creating else "roster_post.update", post)
    return post


def save_settings(actor: User | None, school: School, *, school_weekdays, max_per_week, rest_hours_after_night,
                  is_swap_approval_required, checkin_grace_minutes) -> RosterSettings:
    mask = 0
    for d in school_weekdays or []:
        mask |= 1 << int(d)
    if not mask:
        raise ServiceError(_l("Choose at least one school day."), "school_weekdays")
    s = settings_of(school)
    if s.id is None:
        db.session.add(s)
    s.school_weekday_mask, s.max_per_week = mask, max_per_week
    s.rest_hours_after_night, s.is_swap_approval_required = rest_hours_after_night, bool(is_swap_approval_required)
    s.checkin_grace_minutes = checkin_grace_minutes
    db.session.flush()
    record(actor, school, "roster_settings.update", s)
    return s


def add_unavailability(actor: User | None, school: School, *, user_id, starts_on, ends_on=None, weekdays=(),
                       note="") -> Unavailability:
    _check_person(school, user_id)
    if ends_on is not None and ends_on < starts_on:
        raise ServiceError(_l("The end date is before the start date."), "ends_on")
    mask = 0
    for d in weekdays or []:
        mask |= 1 << int(d)
    u = Unavailability(school_id=school.id, user_id=user_id, starts_on=starts_on, ends_on=ends_on,
                       weekday_mask=mask, note=(note or "").strip()[:200])
    db.session.add(u)
    db.session.flush()
    record(actor, school, "roster_unavailability.create", u)
    return u


def delete_unavailability(actor: User | None, school: School, unav: Unavailability) -> None:
    record(actor, school, "roster_unavailability.delete", unav)
    db.session.delete(unav)
    db.session.flush()


# --- shifts ------------------------------------------------------------------------------------


def overlapping_shift(school_user_id: int, start: dt.datetime, end: dt.datetime, exclude_id: int | None = None):
    q = sa.select(Shift).where(Shift.user_id == school_user_id, Shift.start_dt < end, Shift.end_dt > start) \
        .execution_options(cross_school="nobody is on duty at two schools at once")
    if exclude_id is not None:
        q = q.where(Shift.id != exclude_id)
    return db.session.scalar(q.limit(1))


def _is_deadlock(err: OperationalError) -> bool:
    """PostgreSQL may break a tie between two writers checking the exclusion constraint as a deadlock."""
    return getattr(err.orig, "sqlstate", None) == "40P01"


def flush_shift() -> None:
    """Flush in a savepoint; the database's own guards become a clear message."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except OperationalError as err:
        if _is_deadlock(err):
            raise ServiceError(_l("The roster changed while it was being made. Try again.")) from err
        raise
    except IntegrityError as err:
        text = str(err.orig).lower()
        if "overlap" in text or "exclusion" in text or "ex_roster_shifts" in text:
            raise ServiceError(_l("This person is already on duty at that time."), "user_id") from err
        if "unique" in text or "duplicate" in text:
            raise ServiceError(_l("This post already has someone on that day."), "user_id") from err
        raise


def _check_person(school: School, user_id: int) -> User:
    user = db.session.get(User, user_id) if user_id else None
    if user is None or not user.is_enabled or role_of(user, school) is None:
        raise ServiceError(_l("Choose a person who works at this school."), "user_id")
    return user


def assign(actor: User | None, school: School, post: Post, day: dt.date, user_id: int, *, publish=True) -> Shift:
    """A hand-made shift (kept by regeneration)."""
    if post.school_id != school.id:
        raise ServiceError(_l("Choose a post of this school."), "post_id")
    user = _check_person(school, user_id)
    start, end = shift_window(post, day, school.timezone)
    if db.session.scalar(sa.select(Shift.id).where(Shift.school_id == school.id, Shift.post_id == post.id,
                                                   Shift.day == day)) is not None:
        raise ServiceError(_l("This post already has someone on that day."), "user_id")
    clash = overlapping_shift(user.id, start, end)
    if clash is not None:
        raise ServiceError(_l("%(name)s is already on duty at that time (%(post)s).", name=user.full_name,
                              post=clash.post.name), "user_id")
    shift = Shift(school_id=school.id, post_id=post.id, user_id=user.id, day=day, start_dt=start, end_dt=end,
                  is_published=publish, is_manual=True)
    db.session.add(shift)
    flush_shift()
    record(actor, school, "roster_shift.create", shift, detail=f"user={user.id}")
    return shift


def reassign(actor: User | None, school: School, shift: Shift, user_id: int) -> Shift:
    """Put another person on a shift by hand."""
    user = _check_person(school, user_id)
    if shift.end_dt <= now_utc():
        raise ServiceError(_l("This duty is over; it cannot change."), "user_id")
    clash = overlapping_shift(user.id, shift.start_dt, shift.end_dt, exclude_id=shift.id)
    if clash is not None:
        raise ServiceError(_l("%(name)s is already on duty at that time (%(post)s).", name=user.full_name,
                              post=clash.post.name), "user_id")
    old = shift.user_id
    shift.user_id = user.id
    shift.is_manual = True
    shift.checked_in_dt = None
    flush_shift()
    record(actor, school, "roster_shift.update", shift, detail=f"user={old}->{user.id}")
    return shift


def delete_shift(actor: User | None, school: School, shift: Shift) -> None:
    if shift.end_dt <= now_utc():
        raise ServiceError(_l("This duty is over; it cannot change."))
    record(actor, school, "roster_shift.delete", shift, detail=f"user={shift.user_id}")
    db.session.delete(shift)
    db.session.flush()


# --- generation ------------------------------------------------------------------------------


def _unavailable_days(school: School, first: dt.date, last: dt.date) -> dict[int, set[dt.date]]:
    out: dict[int, set[dt.date]] = {}
    rows = db.session.scalars(sa.select(Unavailability).where(
        Unavailability.school_id == school.id, Unavailability.starts_on <= last,
        sa.or_(Unavailability.ends_on.is_(None), Unavailability.ends_on >= first)))
    for u in rows:
        day = max(first, u.starts_on)
        stop = min(last, u.ends_on) if u.ends_on else last
        while day <= stop:
            if u.covers(day):
                out.setdefault(u.user_id, set()).add(day)
            day += dt.timedelta(days=1)
    return out


def generate(actor: User | None, school: School, starts_on: dt.date, ends_on: dt.date, *, seed: int = 0) -> RosterRun:
    """Fill every post from `starts_on` to `ends_on` with draft shifts.

    Hand-made shifts and shifts already started are kept; other shifts in the range are
    replaced.  The run's report lists per-person counts, the spread and unfilled slots."""
    clock = _time.perf_counter()
    if ends_on < starts_on:
        raise ServiceError(_l("The end date is before the start date."), "ends_on")
    if (ends_on - starts_on).days + 1 > MAX_RANGE_DAYS:
        raise ServiceError(_l("Generate at most %(n)s days at a time.", n=MAX_RANGE_DAYS), "ends_on")
    settings = settings_of(school)
    posts = posts_of(school, active_only=True)
    if not posts:
        raise ServiceError(_l("Add the duty posts first."))
    now = now_utc()
    # Replace what regeneration may replace: future, not hand-made, not checked in.  Swaps of
    # those shifts were made by hand (is_manual), so they are kept.
    doomed = sa.select(Shift.id).where(Shift.school_id == school.id, Shift.day >= starts_on, Shift.day <= ends_on,
                                       Shift.is_manual.is_(False), Shift.start_dt > now,
                                       Shift.checked_in_dt.is_(None))
    doomed_ids = list(db.session.scalars(doomed))
    if doomed_ids:
        db.session.execute(sa.delete(Swap).where(Swap.shift_id.in_(doomed_ids)))
        db.session.execute(sa.delete(Shift).where(Shift.id.in_(doomed_ids)))
        db.session.expire_all()
    margin = dt.timedelta(days=settings.rest_hours_after_night // 24 + 2)
    kept_rows = db.session.execute(
        sa.select(Shift.user_id, Shift.day, Shift.start_dt, Shift.end_dt, Shift.post_id)
        .where(Shift.school_id == school.id, Shift.day >= starts_on - margin, Shift.day <= ends_on + margin)).all()
    night_posts = {p.id for p in db.session.scalars(sa.select(Post).where(Post.school_id == school.id))
                   if p.crosses_midnight}
    kept = [planner.Busy(r.user_id, r.day, r.start_dt, r.end_dt, r.post_id in night_posts) for r in kept_rows]
    taken = {(r.post_id, r.day) for r in kept_rows}
    kept_in_range = [b for b in kept if starts_on <= b.day <= ends_on]
    outside = [b for b in kept if not (starts_on <= b.day <= ends_on)]

    slots = []
    day = starts_on
    calendar = calendar_for(school)
    while day <= ends_on:
        for post in posts:
            if post.runs_on(day, settings.school_weekday_mask, calendar) and (post.id, day) not in taken:
                start, end = shift_window(post, day, school.timezone)
                slots.append(planner.Slot(post.id, day, start, end, frozenset(post.roles), post.crosses_midnight))
        day += dt.timedelta(days=1)
    unavailable = _unavailable_days(school, starts_on, ends_on)
    people = [planner.Person(u.id, r.value, frozenset(unavailable.get(u.id, ()))) for u, r in staff_of(school)]
    result = planner.plan(slots, people, kept_in_range + outside, planner.Rules(settings.max_per_week,
                                                                                settings.rest_hours_after_night), seed)
    # Counts for the report: kept shifts outside the range are not this term's load.
    counts = {pid: 0 for pid in result.counts}
    for b in kept_in_range:
        if b.person_id in counts:
            counts[b.person_id] += 1
    for _slot, pid in result.assigned:
        counts[pid] += 1
    rows = [{"school_id": school.id, "post_id": s.post_id, "user_id": pid, "day": s.day, "start_dt": s.start,
             "end_dt": s.end, "is_published": False, "is_manual": False, "created_dt": now}
            for s, pid in result.assigned]
    if rows:
        try:
            with db.session.begin_nested():
                db.session.execute(sa.insert(Shift), rows)
        except IntegrityError as err:  # a concurrent hand edit took a slot or a person meanwhile
            raise ServiceError(_l("The roster changed while it was being made. Try again.")) from err
        except OperationalError as err:
            if not _is_deadlock(err):
                raise
            raise ServiceError(_l("The roster changed while it was being made. Try again.")) from err
    # The load is shared within a role (teachers among teachers, guards among guards).
    by_role: dict[str, list[int]] = {}
    role_of_person = {p.id: p.role for p in people}
    for pid, n in counts.items():
        by_role.setdefault(role_of_person[pid], []).append(n)
    spreads = {role: max(v) - min(v) for role, v in by_role.items()}
    post_names = {p.id: p.name for p in posts}
    report = {
        "counts": {str(k): v for k, v in counts.items()},
        "spread": max(spreads.values(), default=0),
        "spreads": spreads,
        "slots": len(slots),
        "filled": len(result.assigned),
        "unfilled": [{"post_id": s.post_id, "post": post_names.get(s.post_id, ""), "day": s.day.isoformat(),
                      "reasons": reasons} for s, reasons in result.unfilled],
        "seconds": round(_time.perf_counter() - clock, 3),
    }
    run = RosterRun(school_id=school.id, starts_on=starts_on, ends_on=ends_on, created_by_id=getattr(actor, "id", None),
                    report=report)
    db.session.add(run)
    db.session.flush()
    record(actor, school, "roster.generate", run,
           detail=f"{starts_on}..{ends_on} filled={len(result.assigned)} unfilled={len(result.unfilled)}")
    return run


def publish(actor: User | None, school: School, run: RosterRun) -> int:
    """Make every draft shift in the run's range visible to staff."""
    result = cast(sa.CursorResult, db.session.execute(
        sa.update(Shift).where(Shift.school_id == school.id, Shift.day >= run.starts_on, Shift.day <= run.ends_on,
                               Shift.is_published.is_(False)).values(is_published=True)))
    run.published_dt = now_utc()
    db.session.expire_all()
    record(actor, school, "roster.publish", run, detail=f"shifts={result.rowcount}")
    return result.rowcount


def latest_run(school: School) -> RosterRun | None:
    return db.session.scalar(sa.select(RosterRun).where(RosterRun.school_id == school.id)
                             .order_by(RosterRun.id.desc()).limit(1))


def unfilled_reason_text(reasons: dict) -> str:
    if not reasons:
        return str(_l("no staff with a role allowed on this post"))
    return ", ".join(f"{n} {REASON_LABELS.get(k, k)}" for k, n in sorted(reasons.items(), key=lambda kv: -kv[1]))


# --- check-in ------------------------------------------------------------------------------------


def check_in(actor: User | None, school: School, shift: Shift, now: dt.datetime | None = None) -> Shift:
    now = now or now_utc()
    if shift.user_id != actor.id:
        raise ServiceError(_l("This is not your duty."))
    if not shift.is_published:
        raise ServiceError(_l("This duty is not published yet."))
    if now < shift.start_dt - CHECKIN_EARLY:
        raise ServiceError(_l("Too early: check in when your duty starts."))
    if now >= shift.end_dt:
        raise ServiceError(_l("This duty is over."))
    if shift.checked_in_dt is None:
        shift.checked_in_dt = now
        record(actor, school, "roster_shift.checkin", shift)
    return shift


def missing_checkins(school: School, now: dt.datetime | None = None) -> list[Shift]:
    """Published shifts running now whose holder has not checked in `grace` minutes after the start."""
    now = now or now_utc()
    grace = dt.timedelta(minutes=settings_of(school).checkin_grace_minutes)
    return list(db.session.scalars(
        sa.select(Shift).options(selectinload(Shift.post), selectinload(Shift.user))
        .where(Shift.school_id == school.id, Shift.is_published.is_(True), Shift.checked_in_dt.is_(None),
               Shift.start_dt <= now - grace, Shift.end_dt > now)
        .order_by(Shift.start_dt)))


def is_duty_admin_now(user, school: School, day: dt.date) -> bool:
    return any(u.id == user.id for u in on_duty(school, day, post_kind=PostKind.DUTY_ADMIN))


def may_oversee(user, school: School, role, day: dt.date) -> bool:
    """Directors, deputies and the duty administrator of the day see check-ins and approve swaps."""
    return has_perm(role, RosterPerm.APPROVE) or is_duty_admin_now(user, school, day)


# --- SMS (swaps and the check-in sweep) ----------------------------------------------------------


def notify_people(school: School, recipients, kind, key, params, urgent=False) -> list:
    """Queue SMS through the notifications outbox (in the current transaction)."""
    return notify(school, [r for r in recipients if r is not None], kind, key, params, urgent=urgent)


def short_post_name(text: str, n: int = 22):
    """A post name for an SMS: the reader's language part of a bilingual name, cut at a word boundary."""
    return sms_name(text, n)
