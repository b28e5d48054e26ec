"""Demo: duty posts, a generated and published term roster, today's duties for the demo accounts,
and a swap waiting for approval.  Idempotent: each part is made only when missing."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ..auth.models import User
from ..auth.roles import Role
from ..extensions import db
from ..phones import normalize_phone
from ..schools.demo import Demo
from ..schools.models import Membership, Zone, ZoneKind
from ..scoping import cross_school
from . import services
from .models import DaysRule, Post, PostKind, RosterSettings, Shift, Swap, SwapStatus

#: More staff so the roster has people to share the load (no sign-in: password_hash "!").
EXTRA = [
    ("teacher7", "Алиева Мээрим Кубатовна", "0555 100 051", Role.TEACHER),
    ("teacher8", "Токтогулов Эмил Нурланович", "0555 100 052", Role.TEACHER),
    ("teacher9", "Шаршеева Назира Бакыевна", "0555 100 053", Role.TEACHER),
    ("teacher10", "Сидоров Андрей Павлович", "0555 100 054", Role.TEACHER),
    ("guard3", "Мамбетов Улан Жолдошевич", "0555 100 055", Role.GUARD),
    ("guard4", "Исаков Руслан Бекович", "0555 100 056", Role.GUARD),
    ("guard5", "Орозов Нурбек Асанович", "0555 100 057", Role.GUARD),
]

#: (name, kind, zone kind, floor, start, end, days, roles)
POSTS = [
    ("Нөөмөтчү администратор / Дежурный администратор", PostKind.DUTY_ADMIN, ZoneKind.OFFICE, None, "07:30",
     "18:00", DaysRule.SCHOOL_DAYS, "deputy,safety_officer"),
    ("1-кабат / 1 этаж", PostKind.DUTY_TEACHER, ZoneKind.CORRIDOR, 1, "07:45", "13:30", DaysRule.SCHOOL_DAYS,
     "teacher"),
    ("2-кабат / 2 этаж", PostKind.DUTY_TEACHER, ZoneKind.CORRIDOR, 2, "07:45", "13:30", DaysRule.SCHOOL_DAYS,
     "teacher"),
    ("3-кабат / 3 этаж", PostKind.DUTY_TEACHER, ZoneKind.CORRIDOR, 3, "07:45", "13:30", DaysRule.SCHOOL_DAYS,
     "teacher"),
    ("Ашкана / Столовая", PostKind.CANTEEN, ZoneKind.CANTEEN, 1, "14:00", "16:00", DaysRule.SCHOOL_DAYS, "teacher"),
    ("Күндүзгү күзөт / Охрана днём", PostKind.GATE_DAY, ZoneKind.GATE, 0, "07:00", "19:00", DaysRule.EVERY_DAY,
     "guard"),
    ("Түнкү күзөт / Ночная охрана", PostKind.NIGHT_GUARD, ZoneKind.YARD, None, "19:00", "07:00", DaysRule.EVERY_DAY,
     "guard"),
]


def _zone(demo: Demo, kind, floor):
    zones = [z for z in demo.school.zones if z.kind == kind]
    return next((z for z in zones if z.floor == floor), zones[0] if zones else None)


def rosters(demo: Demo) -> None:
    school = demo.school
    for username, name, phone, role in EXTRA:
        if db.session.scalar(sa.select(User.id).where(User.username == username)) is None:
            user = User(username=username, full_name=name, phone=normalize_phone(phone, "KG"), locale="ky",
                        password_hash="!")
            user.memberships.append(Membership(school_id=school.id, role=role))
            db.session.add(user)
    if db.session.scalar(sa.select(RosterSettings.id).where(RosterSettings.school_id == school.id)) is None:
        db.session.add(RosterSettings(school_id=school.id, school_weekday_mask=0b0011111, max_per_week=3,
                                      rest_hours_after_night=24, is_swap_approval_required=True,
                                      checkin_grace_minutes=10))
    if db.session.scalar(sa.select(Post.id).where(Post.school_id == school.id).limit(1)) is None:
        if _zone(demo, ZoneKind.OFFICE, None) is None:
            db.session.add(Zone(school_id=school.id, name="Мугалимдер бөлмөсү / Учительская", kind=ZoneKind.OFFICE,
                                floor=1, building="А"))
            db.session.flush()
            db.session.expire(school, ["zones"])
        for i, (name, kind, zkind, floor, start, end, days, roles) in enumerate(POSTS):
            zone = _zone(demo, zkind, floor)
            db.session.add(Post(school_id=school.id, name=name, kind=kind, zone_id=zone.id if zone else None,
                                days=days, weekday_mask=0b0011111, start_time=dt.time.fromisoformat(start),
                                end_time=dt.time.fromisoformat(end), eligible_roles=roles, position=i))
    db.session.flush()

    today = demo.today
    if db.session.scalar(sa.select(Shift.id).where(Shift.school_id == school.id).limit(1)) is None:
        monday = today - dt.timedelta(days=today.weekday())
        run = services.generate(None, school, monday, monday + dt.timedelta(days=41))
        services.publish(None, school, run)
    _ensure_today(demo, "teacher", PostKind.DUTY_TEACHER)
    _ensure_today(demo, "guard", PostKind.GATE_DAY)
    _pending_swap(demo)


@cross_school("the demo builds every school")
def _ensure_today(demo: Demo, username: str, kind: PostKind) -> None:
    """Give a demo account a duty today (by hand, on a post of `kind` that runs today)."""
    user, school, today = demo.users[username], demo.school, demo.today
    if services.duties_of(user, school, today):
        return
    settings = services.settings_of(school)
    for post in db.session.scalars(sa.select(Post).where(Post.school_id == school.id, Post.kind == kind)
                                   .order_by(Post.position)):
        if not post.runs_on(today, settings.school_weekday_mask):
            continue
        shift = db.session.scalar(sa.select(Shift).where(Shift.post_id == post.id, Shift.day == today))
        start, end = services.shift_window(post, today, school.timezone)
        if services.overlapping_shift(user.id, start, end, exclude_id=shift.id if shift else None) is not None:
            continue
        if shift is None:
            db.session.add(Shift(school_id=school.id, post_id=post.id, user_id=user.id, day=today, start_dt=start,
                                 end_dt=end, is_published=True, is_manual=True))
        else:
            shift.user_id, shift.is_manual, shift.checked_in_dt = user.id, True, None
        db.session.flush()
        return


def _pending_swap(demo: Demo) -> None:
    school = demo.school
    if db.session.scalar(sa.select(Swap.id).where(Swap.school_id == school.id).limit(1)) is not None:
        return
    giver, taker = demo.users["teacher2"], demo.users["teacher3"]
    later = demo.today + dt.timedelta(days=2)
    for shift in db.session.scalars(sa.select(Shift).where(Shift.school_id == school.id, Shift.user_id == giver.id,
                                                           Shift.day >= later).order_by(Shift.day)):
        if services.overlapping_shift(taker.id, shift.start_dt, shift.end_dt, exclude_id=shift.id) is None:
            db.session.add(Swap(school_id=school.id, shift_id=shift.id, from_user_id=giver.id, to_user_id=taker.id,
                                status=SwapStatus.ACCEPTED))
            db.session.flush()
            return
