"""Duty swaps: a person offers their published duty, a colleague who may stand the post takes it, and the
duty administrator or the director approves (or the school needs no approval); the SMS that tell each
side.  Plain functions: the actor and the school are arguments."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ..audit.services import record
from ..auth.models import User
from ..auth.roles import has_perm
from ..errors_service import ServiceError
from ..extensions import db
from ..schools.models import School
from ..time import now_utc, school_today
from .models import Shift, Swap, SwapStatus
from .permissions import RosterPerm
from .services import (
    flush_shift,
    local,
    may_oversee,
    notify_people,
    overlapping_shift,
    role_of,
    settings_of,
    short_post_name,
)


def _swap_params(school: School, shift) -> dict:
    start = local(shift.start_dt, school)
    return {"date": start.strftime("%d.%m"), "time": start.strftime("%H:%M"), "post": short_post_name(shift.post.name)}


def open_swap_of(shift: Shift) -> Swap | None:
    return db.session.scalar(sa.select(Swap).where(Swap.school_id == shift.school_id, Swap.shift_id == shift.id,
                                                   Swap.status.in_([SwapStatus.OFFERED, SwapStatus.ACCEPTED])))


def offer(actor: User | None, school: School, shift: Shift, now: dt.datetime | None = None) -> Swap:
    now = now or now_utc()
    if shift.user_id != actor.id:
        raise ServiceError(_l("You can offer only your own duty."))
    if not shift.is_published:
        raise ServiceError(_l("This duty is not published yet."))
    if shift.start_dt <= now:
        raise ServiceError(_l("This duty has already started; it cannot be swapped."))
    if open_swap_of(shift) is not None:
        raise ServiceError(_l("This duty is already offered."))
    swap = Swap(school_id=school.id, shift_id=shift.id, from_user_id=actor.id, status=SwapStatus.OFFERED)
    db.session.add(swap)
    db.session.flush()
    record(actor, school, "roster_swap.offer", swap)
    return swap


def _apply(actor: User | None, school: School, swap: Swap, now: dt.datetime) -> None:
    shift = swap.shift
    if shift.start_dt <= now:
        raise ServiceError(_l("This duty has already started; it cannot be swapped."))
    if shift.user_id != swap.from_user_id:
        raise ServiceError(_l("This duty has changed hands already."))
    clash = overlapping_shift(swap.to_user_id, shift.start_dt, shift.end_dt, exclude_id=shift.id)
    if clash is not None:
        raise ServiceError(_l("%(name)s is already on duty at that time (%(post)s).", name=swap.to_user.full_name,
                              post=clash.post.name))
    shift.user_id = swap.to_user_id
    shift.is_manual = True
    shift.checked_in_dt = None
    flush_shift()
    swap.status = SwapStatus.APPROVED
    swap.decided_by_id = getattr(actor, "id", None)
    swap.decided_dt = now
    params = _swap_params(school, shift)
    notify_people(school, [swap.from_user], "rosters.swap_done", f"swap{swap.id}", params)
    notify_people(school, [swap.to_user], "rosters.swap_taken", f"swap{swap.id}", params)


def accept(actor: User | None, school: School, swap: Swap, now: dt.datetime | None = None) -> Swap:
    now = now or now_utc()
    if swap.status != SwapStatus.OFFERED:
        raise ServiceError(_l("This offer is no longer open."))
    if swap.from_user_id == actor.id:
        raise ServiceError(_l("You cannot take your own duty."))
    shift = swap.shift
    role = role_of(actor, school)
    if role is None or role.value not in shift.post.roles:
        raise ServiceError(_l("This post is not one you can stand."))
    if shift.start_dt <= now:
        raise ServiceError(_l("This duty has already started; it cannot be swapped."))
    clash = overlapping_shift(actor.id, shift.start_dt, shift.end_dt, exclude_id=shift.id)
    if clash is not None:
        raise ServiceError(_l("You are already on duty at that time (%(post)s).", post=clash.post.name))
    swap.to_user_id = actor.id
    swap.to_user = actor
    swap.status = SwapStatus.ACCEPTED
    record(actor, school, "roster_swap.accept", swap)
    if settings_of(school).is_swap_approval_required:
        params = _swap_params(school, shift)
        notify_people(school, [swap.from_user], "rosters.swap_accepted", f"swap{swap.id}", params)
    else:
        _apply(actor, school, swap, now)
    db.session.flush()
    return swap


def approve(actor: User | None, school: School, swap: Swap, role, now: dt.datetime | None = None) -> Swap:
    now = now or now_utc()
    if not may_oversee(actor, school, role, school_today(school)):
        raise ServiceError(_l("Only the duty administrator or the director can approve a swap."))
    if swap.status != SwapStatus.ACCEPTED:
        raise ServiceError(_l("This swap is not waiting for approval."))
    if actor.id in (swap.from_user_id, swap.to_user_id) and not has_perm(role, RosterPerm.APPROVE):
        raise ServiceError(_l("You cannot approve your own swap."))
    _apply(actor, school, swap, now)
    record(actor, school, "roster_swap.approve", swap)
    db.session.flush()
    return swap


def decline(actor: User | None, school: School, swap: Swap, role, now: dt.datetime | None = None) -> Swap:
    """The offerer withdraws, or an approver declines."""
    now = now or now_utc()
    if swap.status not in (SwapStatus.OFFERED, SwapStatus.ACCEPTED):
        raise ServiceError(_l("This swap is already closed."))
    if swap.from_user_id == actor.id:
        swap.status = SwapStatus.CANCELLED
    elif swap.status == SwapStatus.ACCEPTED and may_oversee(actor, school, role, school_today(school)):
        swap.status = SwapStatus.DECLINED
        params = _swap_params(school, swap.shift)
        notify_people(school, [swap.from_user, swap.to_user], "rosters.swap_declined", f"swap{swap.id}", params)
    else:
        raise ServiceError(_l("Only the duty administrator or the director can decline a swap."))
    swap.decided_by_id, swap.decided_dt = actor.id, now
    record(actor, school, f"roster_swap.{swap.status.value}", swap)
    db.session.flush()
    return swap


def open_swaps(school: School) -> list[Swap]:
    return list(db.session.scalars(
        sa.select(Swap).options(selectinload(Swap.shift).selectinload(Shift.post))
        .join(Shift, Shift.id == Swap.shift_id)
        .where(Swap.school_id == school.id, Swap.status.in_([SwapStatus.OFFERED, SwapStatus.ACCEPTED]),
               Shift.start_dt > now_utc())
        .order_by(Shift.start_dt)))
