"""The director's weekly digest by SMS (issue 14): on Monday from 08:00 (school-local), last week's
misses: checks missed and done late, and the critical deficiencies open now.

Counts only, no names (an SMS is read on a lock screen).  One message per director per week (the
outbox's key: school and Monday), in the director's language, one segment in each; nothing is sent
for a week with nothing to tell.  Catches up: a scheduler that was down on Monday sends it later in
the week.  `safetyops/scheduler/catalogue.py` lists it as "reports.weekly_digest"."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..auth.models import User
from ..auth.roles import Role
from ..extensions import db
from ..notifications.outbox import notify, register_text
from ..schools.models import Membership, School
from ..scoping import cross_school
from ..time import zone
from . import services

#: The digest goes out from this local time on Monday.
DIGEST_AT = dt.time(8, 0)

register_text(
    "reports.weekly",
    _l("SafetyOps, week of %(date)s: %(missed)s missed, %(late)s late, %(critical)s critical open"),
    {"date": "16.11", "missed": "999", "late": "999", "critical": "99"},
)


def last_week(school: School, now: dt.datetime) -> tuple[dt.date, dt.date]:
    """(Monday, Sunday) of the latest week whose digest is due: last week once Monday's DIGEST_AT has
    come, else the week before (whose digest was due a week ago: a catch-up sends it at most once)."""
    local = now.astimezone(zone(school.timezone))
    monday = local.date() - dt.timedelta(days=local.weekday())
    if local.weekday() == 0 and local.time() < DIGEST_AT:
        monday -= dt.timedelta(days=7)
    return monday - dt.timedelta(days=7), monday - dt.timedelta(days=1)


def digest_figures(school: School, first: dt.date, last: dt.date, now: dt.datetime) -> dict:
    """The week's figures, counted as the safety report counts them."""
    report = services.safety_report(school, "week", last, now, dates=("week", first, last))
    f = report.figures
    return {"missed": f["checks_missed"], "late": f["checks_late"], "critical": f["open_critical"]}


@cross_school("the scheduler's sweep over every school")
def weekly_digest(now: dt.datetime) -> int:
    queued = 0
    directors: dict[int, list[User]] = {}
    for school_id, user in db.session.execute(
        sa.select(Membership.school_id, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.role == Role.DIRECTOR, User.is_enabled.is_(True))
        .order_by(User.id)
    ):
        directors.setdefault(school_id, []).append(user)
    if not directors:
        return 0
    for school in db.session.scalars(sa.select(School).where(School.id.in_(list(directors))).order_by(School.id)):
        first, last = last_week(school, now)
        key = f"{school.id}:{first:%Y%m%d}"
        figures = digest_figures(school, first, last, now)
        if not any(figures.values()):
            continue
        queued += len(
            notify(
                school,
                directors[school.id],
                "reports.weekly",
                key,
                {"date": first.strftime("%d.%m"), **figures},
                subject=f"reports.weekly:{key}",
            )
        )
    db.session.commit()
    return queued
