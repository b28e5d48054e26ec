"""The director's weekly digest by SMS (issue 14): on Monday from 08:00 (school-local), last week's
misses: checks missed and done late, and the critical deficiencies open now.

Counts only, no names (an SMS is read on a lock screen).  One message per director per week (the
outbox's key: school and Monday), in the director's language, one segment in each; nothing is sent
for a week with nothing to tell.  Catches up: a scheduler that was down on Monday sends it later in
the week.  `safetyops/scheduler/catalogue.py` lists it as "reports.weekly_digest".

`week_digest` is the one computation of the week's figures: the SMS sends it and the director's home
card (`reports/cards.py`) shows it, so the two can never disagree."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..auth.models import User
from ..auth.roles import Role
from ..extensions import db
from ..inspections import services as inspections
from ..inspections.models import OPEN_STATUSES, CorrectiveAction, Frequency, Run, RunStatus, Severity
from ..inspections.periods import occurrences_between
from ..notifications.outbox import notify, register_text
from ..schools.models import Membership, School
from ..scoping import cross_school
from ..time import zone
from .services import aware_utc  # SQLite gives naive UTC datetimes back

#: The digest goes out from this local time on Monday.
DIGEST_AT = dt.time(8, 0)



def register_texts() -> None:
    """Give the outbox this area's texts (idempotent)."""
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


def week_digest(school: School, now: dt.datetime | None = None) -> tuple[dt.date, dt.date, dict]:
    """(Monday, Sunday, figures) of the week the digest tells at `now` (None: the clock of the web request,
    the one the inspections dues of the home page use).  The SMS and the home card both call this."""
    dues = inspections.dues_of(school, now)
    first, last = last_week(school, dues.now)
    return first, last, _figures(school, first, last, dues)


def digest_figures(school: School, first: dt.date, last: dt.date, now: dt.datetime) -> dict:
    """The figures of the week [first, last] at `now` (see `_figures`)."""
    return _figures(school, first, last, inspections.dues_of(school, now))


def _figures(school: School, first: dt.date, last: dt.date, dues) -> dict:
    """{"missed", "late", "critical"}: the checks due in [first, last] (by `now`) not done, and done after their
    due time; the critical deficiencies open now.  Counted as the safety report counts them
    (`services.school_figures`: its "checks_missed", "checks_late", "open_critical"; tests/reports/
    test_digest_card.py compares them), but only these three, in two statements: the runs of the week's
    periods and the count of open critical deficiencies.  The school's active schedules and its calendar are
    the inspections dues' (`dues`): in a web request the ones the home page's other cards already read (the
    unit of work's memo), so they cost nothing more there."""
    now = dues.now
    pairs = [(s, o) for s in dues.schedules
             for o in occurrences_between(s, first, last, school.timezone,
                                          dues.calendar if s.frequency == Frequency.SCHOOL_DAYS else None)
             if o.due_day >= first and o.due_dt <= now]
    missed = late = 0
    if pairs:
        runs = {(sid, start): (status, fin) for sid, start, status, fin in db.session.execute(
            sa.select(Run.schedule_id, Run.period_start, Run.status, Run.finished_dt)
            .where(Run.school_id == school.id, Run.period_start >= min(o.start for _s, o in pairs),
                   Run.period_start <= last))}
        for s, o in pairs:
            status, fin = runs.get((s.id, o.start), (None, None))
            if status != RunStatus.DONE:
                missed += 1
            elif fin is None or aware_utc(fin) > o.due_dt:
                late += 1
    critical = db.session.scalar(
        sa.select(sa.func.count()).select_from(CorrectiveAction)
        .where(CorrectiveAction.school_id == school.id, CorrectiveAction.status.in_(OPEN_STATUSES),
               CorrectiveAction.severity == Severity.CRITICAL))
    return {"missed": missed, "late": late, "critical": critical or 0}


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
        first, last, figures = week_digest(school, now)
        key = f"{school.id}:{first:%Y%m%d}"
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
