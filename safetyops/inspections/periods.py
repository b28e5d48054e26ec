"""When a schedule falls due: periods, windows and the status computed from the clock.

Nothing here is stored: status is a function of the schedule, the time now and whether
a finished run exists for the period (no cron moves anything from "due" to "overdue").

- a period is one day (daily, school_days), a Monday-Sunday week, a month, a quarter
  or a calendar year; `school_days` has no period on a day that is not a school day: the school's
  calendar decides (`schools.calendar`: weekends, national holidays, the school's holidays and days
  off, days between its terms); without a calendar, Saturday and Sunday;
- the window opens on the first day of the period at `opens_time`, the check is due
  on the due day (the first day for daily checks, a few days in for longer periods)
  at `due_time`, and it is missed when the period ends without a finished run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from flask_babel import lazy_gettext as _l

from ..time import local_to_utc
from .models import Frequency

#: How far back to look for the school day before (a calendar with none at all).
MAX_SEARCH_DAYS = 400
#: Days after the period's first day on which a longer check is due.
GRACE_DAYS = {
    Frequency.DAILY: 0,
    Frequency.SCHOOL_DAYS: 0,
    Frequency.WEEKLY: 4,  # Friday
    Frequency.MONTHLY: 14,
    Frequency.QUARTERLY: 30,
    Frequency.YEARLY: 60,
}


class Status(StrEnum):
    UPCOMING = "upcoming"
    DUE = "due"
    OVERDUE = "overdue"
    MISSED = "missed"
    DONE = "done"


STATUS_LABELS = {
    Status.UPCOMING: _l("Upcoming"),
    Status.DUE: _l("Due"),
    Status.OVERDUE: _l("Overdue"),
    Status.MISSED: _l("Missed"),
    Status.DONE: _l("Done"),
}


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def period_start(frequency: str, day: dt.date, calendar=None) -> dt.date | None:
    """First day of the period that contains `day` (None: no period that day).  `calendar`: the
    school's (`schools.calendar.SchoolCalendar`), for checks that follow school days."""
    f = Frequency(frequency)
    if f is Frequency.DAILY:
        return day
    if f is Frequency.SCHOOL_DAYS:
        school_day = calendar.is_school_day(day) if calendar is not None else day.weekday() < 5
        return day if school_day else None
    if f is Frequency.WEEKLY:
        return day - dt.timedelta(days=day.weekday())
    if f is Frequency.MONTHLY:
        return day.replace(day=1)
    if f is Frequency.QUARTERLY:
        return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return dt.date(day.year, 1, 1)


def period_end(frequency: str, start: dt.date) -> dt.date:
    """The day after the period's last day."""
    f = Frequency(frequency)
    if f in (Frequency.DAILY, Frequency.SCHOOL_DAYS):
        return start + dt.timedelta(days=1)
    if f is Frequency.WEEKLY:
        return start + dt.timedelta(days=7)
    if f is Frequency.MONTHLY:
        return _add_months(start, 1)
    if f is Frequency.QUARTERLY:
        return _add_months(start, 3)
    return dt.date(start.year + 1, 1, 1)


def previous_start(frequency: str, start: dt.date, calendar=None) -> dt.date:
    """First day of the period before the one starting on `start` (for school days: the school day
    before; a calendar with none in MAX_SEARCH_DAYS gives the day before)."""
    day = start - dt.timedelta(days=1)
    found = period_start(frequency, day, calendar)
    searched = 1
    while found is None:  # weekend or holidays before a school day
        day -= dt.timedelta(days=1)
        searched += 1
        if searched > MAX_SEARCH_DAYS:
            return day
        found = period_start(frequency, day, calendar)
    return found


@dataclass(frozen=True)
class Occurrence:
    """One period of one schedule, with its window in UTC."""

    schedule_id: int
    start: dt.date
    due_day: dt.date
    opens_dt: dt.datetime
    due_dt: dt.datetime
    end_dt: dt.datetime

    def status(self, now: dt.datetime, done: bool) -> Status:
        if done:
            return Status.DONE
        if now < self.opens_dt:
            return Status.UPCOMING
        if now < self.due_dt:
            return Status.DUE
        if now < self.end_dt:
            return Status.OVERDUE
        return Status.MISSED


def occurrence(schedule, start: dt.date, tz_name: str) -> Occurrence:
    f = Frequency(schedule.frequency)
    end = period_end(f, start)
    due_day = min(start + dt.timedelta(days=GRACE_DAYS[f]), end - dt.timedelta(days=1))
    return Occurrence(
        schedule_id=schedule.id,
        start=start,
        due_day=due_day,
        opens_dt=local_to_utc(start, schedule.opens_time, tz_name),
        due_dt=local_to_utc(due_day, schedule.due_time, tz_name),
        end_dt=local_to_utc(end, dt.time(0, 0), tz_name),
    )


def current_occurrence(schedule, today: dt.date, tz_name: str, calendar=None) -> Occurrence | None:
    """The occurrence of the period containing `today` (school-local), if the schedule runs then."""
    start = period_start(schedule.frequency, today, calendar)
    if start is None or period_end(schedule.frequency, start) <= schedule.starts_on:
        return None
    return occurrence(schedule, start, tz_name)


def occurrences_between(schedule, first: dt.date, last: dt.date, tz_name: str, calendar=None) -> list[Occurrence]:
    """Occurrences whose period overlaps [first, last] (school-local days), oldest first."""
    result = []
    start = period_start(schedule.frequency, last, calendar)
    if start is None:
        start = previous_start(schedule.frequency, last, calendar)
    while period_end(schedule.frequency, start) > first:
        if period_end(schedule.frequency, start) > schedule.starts_on:
            result.append(occurrence(schedule, start, tz_name))
        if start <= schedule.starts_on:
            break
        start = previous_start(schedule.frequency, start, calendar)
    result.reverse()
    return result
