"""Posts, shifts, unavailability, swaps, roster runs, settings and iCal feed tokens.

No one is on two overlapping shifts: enforced by the database itself, on PostgreSQL by an
exclusion constraint over (user, [start, end)), on SQLite by triggers (SQLite has one writer
at a time, so a trigger's check cannot race).  A post is filled at most once a day:
unique (post_id, day).  The migration must carry `OVERLAP_DDL` (see docs/rosters.md).
"""

from __future__ import annotations

import datetime as dt
import secrets
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..extensions import db
from ..models_base import enum_column, intpk, school_fk
from ..schools.models import Zone
from ..time import now_utc


class PostKind(StrEnum):
    DUTY_ADMIN = "duty_admin"
    DUTY_TEACHER = "duty_teacher"
    CANTEEN = "canteen"
    GATE_DAY = "gate_day"
    NIGHT_GUARD = "night_guard"
    CUSTOM = "custom"


POST_KIND_LABELS = {
    PostKind.DUTY_ADMIN: _l("Duty administrator"),
    PostKind.DUTY_TEACHER: _l("Duty teacher"),
    PostKind.CANTEEN: _l("Canteen duty"),
    PostKind.GATE_DAY: _l("Gate guard (day)"),
    PostKind.NIGHT_GUARD: _l("Night guard"),
    PostKind.CUSTOM: _l("Other post"),
}

#: Posts a guard sees (gate and night).
GUARD_POST_KINDS = {PostKind.GATE_DAY, PostKind.NIGHT_GUARD}


class DaysRule(StrEnum):
    SCHOOL_DAYS = "school_days"
    EVERY_DAY = "every_day"
    WEEKDAYS = "weekdays"


DAYS_RULE_LABELS = {
    DaysRule.SCHOOL_DAYS: _l("School days"),
    DaysRule.EVERY_DAY: _l("Every day"),
    DaysRule.WEEKDAYS: _l("Chosen weekdays"),
}


def mask_of(weekdays) -> int:
    """Weekday numbers (Monday = 0) as a bit mask."""
    m = 0
    for d in weekdays:
        m |= 1 << int(d)
    return m


def days_of(mask: int) -> list[int]:
    return [d for d in range(7) if mask & (1 << d)]


class Post(db.Model):
    """A duty post: who stands where, on which days, at what hours."""

    __tablename__ = "roster_posts"
    __table_args__ = (sa.UniqueConstraint("school_id", "name"),)

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: Name staff use ("Duty teacher, 2nd floor").
    name: Mapped[str] = mapped_column(sa.String(120))
    #: What kind of post it is (decides default roles and who sees it).
    kind: Mapped[PostKind] = enum_column(PostKind)
    #: The zone the post watches; its checks are linked from "my duty".
    zone_id: Mapped[int | None] = mapped_column(sa.ForeignKey("zones.id", ondelete="SET NULL"), index=True)
    #: Which days the post is staffed.
    days: Mapped[DaysRule] = enum_column(DaysRule, default=DaysRule.SCHOOL_DAYS)
    #: With days = weekdays: bit mask of weekdays (Monday = bit 0).
    weekday_mask: Mapped[int] = mapped_column(default=0b0011111)
    #: Local start time.
    start_time: Mapped[dt.time]
    #: Local end time; at or before the start means the shift ends the next day (night).
    end_time: Mapped[dt.time]
    #: Comma-separated roles whose staff may stand this post.
    eligible_roles: Mapped[str] = mapped_column(sa.String(200), default="teacher")
    #: Order on the roster.
    position: Mapped[int] = mapped_column(default=0)
    #: Retired posts keep their history but get no new shifts.
    is_active: Mapped[bool] = mapped_column(default=True)

    zone: Mapped[Zone | None] = relationship()

    @property
    def crosses_midnight(self) -> bool:
        return self.end_time <= self.start_time

    @property
    def roles(self) -> set[str]:
        return {r for r in self.eligible_roles.split(",") if r}

    def runs_on(self, day: dt.date, school_mask: int, calendar=None) -> bool:
        """Whether the post is staffed on `day`.  `calendar` (the school's `SchoolCalendar`): a post on
        school days is not staffed on holidays, days off and between terms."""
        if not self.is_active:
            return False
        if self.days == DaysRule.EVERY_DAY:
            return True
        if self.days == DaysRule.SCHOOL_DAYS and calendar is not None:
            return calendar.is_school_day(day, school_mask)
        mask = school_mask if self.days == DaysRule.SCHOOL_DAYS else self.weekday_mask
        return bool(mask & (1 << day.weekday()))


class Shift(db.Model):
    """A person on a post on a date."""

    __tablename__ = "roster_shifts"
    __table_args__ = (
        sa.UniqueConstraint("post_id", "day"),
        sa.CheckConstraint("end_dt > start_dt", name="ends_after_start"),
        sa.Index("ix_roster_shifts_user_start", "user_id", "start_dt"),
        sa.Index("ix_roster_shifts_school_day", "school_id", "day"),
    )

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: The post.
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("roster_posts.id", ondelete="CASCADE"), index=True)
    #: The person on duty.
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    #: The school-local date the shift starts on.
    day: Mapped[dt.date]
    #: Start (UTC).
    start_dt: Mapped[dt.datetime]
    #: End (UTC); after the start.
    end_dt: Mapped[dt.datetime]
    #: Visible to staff; drafts are only in the director's preview.
    is_published: Mapped[bool] = mapped_column(default=False)
    #: Made or changed by hand (or by a swap): regeneration keeps it.
    is_manual: Mapped[bool] = mapped_column(default=False)
    #: "I'm at my post" pressed.
    checked_in_dt: Mapped[dt.datetime | None]
    #: When the row was made.
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)

    post: Mapped[Post] = relationship()
    user: Mapped[User] = relationship()


#: DDL that makes "no one on two overlapping shifts" hold in the database.
OVERLAP_DDL = {
    "postgresql": [
        "ALTER TABLE roster_shifts ADD CONSTRAINT ex_roster_shifts_user_overlap EXCLUDE USING gist "
        "(int4range(user_id, user_id, '[]') WITH =, tstzrange(start_dt, end_dt) WITH &&)",
    ],
    "sqlite": [
        "CREATE TRIGGER tr_roster_shifts_overlap_ins BEFORE INSERT ON roster_shifts "
        "WHEN EXISTS (SELECT 1 FROM roster_shifts s WHERE s.user_id = NEW.user_id "
        "AND s.start_dt < NEW.end_dt AND NEW.start_dt < s.end_dt) "
        "BEGIN SELECT RAISE(ABORT, 'roster_shift_overlap'); END",
        "CREATE TRIGGER tr_roster_shifts_overlap_upd BEFORE UPDATE OF user_id, start_dt, end_dt ON roster_shifts "
        "WHEN EXISTS (SELECT 1 FROM roster_shifts s WHERE s.user_id = NEW.user_id AND s.id != NEW.id "
        "AND s.start_dt < NEW.end_dt AND NEW.start_dt < s.end_dt) "
        "BEGIN SELECT RAISE(ABORT, 'roster_shift_overlap'); END",
    ],
}
for _dialect, _statements in OVERLAP_DDL.items():
    for _sql in _statements:
        sa.event.listen(Shift.__table__, "after_create", sa.DDL(_sql).execute_if(dialect=_dialect))


class Unavailability(db.Model):
    """When a person cannot be on duty: leave (a date range), part-time days (weekdays), one-off dates."""

    __tablename__ = "roster_unavailability"
    __table_args__ = (sa.CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="dates_ordered"),)

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: The person.
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: First day.
    starts_on: Mapped[dt.date]
    #: Last day; None = open-ended (part-time days).
    ends_on: Mapped[dt.date | None]
    #: 0 = every day in the range; else only these weekdays (Monday = bit 0).
    weekday_mask: Mapped[int] = mapped_column(default=0)
    #: Why (leave, part-time, course…).
    note: Mapped[str] = mapped_column(sa.String(200), default="")

    user: Mapped[User] = relationship()

    def covers(self, day: dt.date) -> bool:
        if day < self.starts_on or (self.ends_on is not None and day > self.ends_on):
            return False
        return not self.weekday_mask or bool(self.weekday_mask & (1 << day.weekday()))


class SwapStatus(StrEnum):
    OFFERED = "offered"
    ACCEPTED = "accepted"  # waiting for approval
    APPROVED = "approved"  # done: the shift changed hands
    DECLINED = "declined"
    CANCELLED = "cancelled"


SWAP_STATUS_LABELS = {
    SwapStatus.OFFERED: _l("Offered"),
    SwapStatus.ACCEPTED: _l("Waiting for approval"),
    SwapStatus.APPROVED: _l("Done"),
    SwapStatus.DECLINED: _l("Declined"),
    SwapStatus.CANCELLED: _l("Cancelled"),
}


class Swap(db.Model):
    """A shift offered by its holder to a colleague."""

    __tablename__ = "roster_swaps"

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: The shift offered.
    shift_id: Mapped[int] = mapped_column(sa.ForeignKey("roster_shifts.id", ondelete="CASCADE"), index=True)
    #: Who offered it (the holder then).
    from_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    #: Who took it (None while offered).
    to_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    #: Where it stands.
    status: Mapped[SwapStatus] = enum_column(SwapStatus, default=SwapStatus.OFFERED)
    #: Who approved or declined.
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: When offered.
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)
    #: When approved, declined or cancelled.
    decided_dt: Mapped[dt.datetime | None]

    shift: Mapped[Shift] = relationship()
    from_user: Mapped[User] = relationship(foreign_keys=[from_user_id])
    to_user: Mapped[User | None] = relationship(foreign_keys=[to_user_id])


class RosterSettings(db.Model):
    """Per-school roster rules."""

    __tablename__ = "roster_settings"

    id: Mapped[intpk]
    #: Owning school (one row each).
    school_id: Mapped[int] = school_fk(unique=True)
    #: School days (Monday = bit 0); Monday–Friday by default.
    school_weekday_mask: Mapped[int] = mapped_column(default=0b0011111)
    #: Most shifts one person stands in a week.
    max_per_week: Mapped[int] = mapped_column(default=2)
    #: Hours off after a night shift ends.
    rest_hours_after_night: Mapped[int] = mapped_column(default=24)
    #: A swap needs the duty administrator's or the director's approval.
    is_swap_approval_required: Mapped[bool] = mapped_column(default=True)
    #: Minutes after the start before a missing check-in is flagged.
    checkin_grace_minutes: Mapped[int] = mapped_column(default=10)


class RosterRun(db.Model):
    """One generation of a draft roster: its range and its report (counts, spread, unfilled slots)."""

    __tablename__ = "roster_runs"

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: First day of the range.
    starts_on: Mapped[dt.date]
    #: Last day of the range.
    ends_on: Mapped[dt.date]
    #: Who generated it.
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: When.
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)
    #: When published (None = still a draft).
    published_dt: Mapped[dt.datetime | None]
    #: The report as JSON: {"counts": {user_id: n}, "unfilled": [{post, day, reasons}], "seconds": s}.
    report: Mapped[dict] = mapped_column(sa.JSON, default=dict)


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)


class FeedToken(db.Model):
    """The secret in a person's iCal URL; deleting it revokes the URL."""

    __tablename__ = "roster_feed_tokens"
    __table_args__ = (sa.UniqueConstraint("user_id", "school_id"),)

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: Whose duties the feed lists.
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: The secret (URL-safe, 32 characters).
    token: Mapped[str] = mapped_column(sa.String(64), unique=True, default=new_feed_token)
    #: When made.
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)
    #: Last time a calendar app fetched it.
    last_used_dt: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship()
