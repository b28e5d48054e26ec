"""Reports: the periods of many schools' checks, computed once per kind of schedule.

A district's report and comparison count, for every active schedule of every school, the periods due
in a window.  Most schools of a district share their checklists' frequencies and windows, their time
zone and (with no calendar of their own) the country's school days, so the periods are computed once
per (frequency, opens, due, time zone, school calendar) and each schedule keeps those that end after
its first day (`occurrences_between`'s rule): 1,900 schedules of 100 schools need a few dozen
computations instead of 1,900."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from ..extensions import db
from ..inspections.models import Frequency
from ..inspections.periods import occurrences_between, period_end
from ..schools.calendar import SchoolCalendar

#: A period counted: its first day, the day after its last, its due instant (UTC), its due day.
Period = tuple[dt.date, dt.date, dt.datetime, dt.date]


@dataclass(frozen=True)
class _Template:
    """What `occurrences_between` reads of a schedule, without its start date (`starts_on`: the earliest
    day, so every period of the window is made; each schedule then drops those that end before it began,
    which is what `occurrences_between` leaves out for it)."""

    frequency: Frequency
    opens_time: dt.time
    due_time: dt.time
    id: int = 0
    starts_on: dt.date = dt.date.min


class DuePeriods:
    """The periods counted (oldest first): those whose due day is in the window [first, last] and whose
    due time has passed at `now`.  `of()` gives them for a schedule's school and kind; the caller keeps
    those that end after the schedule's `starts_on`."""

    def __init__(self, first: dt.date, last: dt.date, now: dt.datetime, tz_of: dict[int, str],
                 calendars: dict[int, SchoolCalendar]):
        self.first, self.last, self.now = first, last, now
        self.tz_of, self.calendars = tz_of, calendars
        #: school id -> a number for its (time zone, calendar): schools with the same one share their periods.
        self._kind: dict[int, int] = {}
        kinds: dict[tuple, int] = {}
        for school_id, tz in tz_of.items():
            calendar = calendars.get(school_id)
            key = (tz, None if calendar is None else
                   (calendar.country, tuple((e.kind, e.first_day, e.last_day) for e in calendar.entries)))
            self._kind[school_id] = kinds.setdefault(key, len(kinds))
        self._cache: dict[tuple, list[Period]] = {}

    def of(self, school_id: int, frequency: str, opens: dt.time, due: dt.time) -> list[Period]:
        key = (self._kind[school_id], frequency, opens, due)
        found = self._cache.get(key)
        if found is None:
            f = Frequency(frequency)
            calendar = self.calendars.get(school_id) if f is Frequency.SCHOOL_DAYS else None
            found = [(o.start, period_end(f, o.start), o.due_dt, o.due_day)
                     for o in occurrences_between(_Template(f, opens, due), self.first, self.last,
                                                  self.tz_of[school_id], calendar)
                     if o.due_dt <= self.now and o.due_day >= self.first]
            self._cache[key] = found
        return found


def plain_rows(statement) -> Sequence[sa.Row]:
    """The rows of a SELECT of plain columns, through the session's connection: thousands of rows (a district's
    schedules and runs) without the ORM's per-row processing, which no column here needs."""
    return db.session.connection().execute(statement).all()
