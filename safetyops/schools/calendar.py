"""The school calendar: which days are school days (issue 14).

One place answers "is this a school day?" for every area (inspection schedules that follow school
days and their reminders, the roster generator, the reports' terms):

1. a day the school marked a **school day** (a Saturday made a working day, a national holiday the
   school works) is one;
2. the school's **holidays** (breaks) and **days off** of its own are not;
3. when the school has written its **terms** for that school year (1 September to 31 August), a day
   outside every term is not (the summer, breaks between terms);
4. a **national holiday** of the school's country (Kyrgyzstan or Kazakhstan, from the `holidays`
   library) is not;
5. otherwise the weekday decides (Monday to Friday, or the roster's own school weekdays).

A **shortened day** is a school day; it is shown in the calendar and on the roster.
Reading a school's calendar is one query (`calendar_for`), many schools' one more (`calendars_for`).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field

import holidays as holidays_lib
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..audit.services import record
from ..auth.models import User
from ..database import unit_memo
from ..errors_service import ServiceError
from ..extensions import db
from .models import CalendarEntry, CalendarKind, District, School

#: Monday to Friday (bit 0 = Monday).
WEEKDAYS_MASK = 0b0011111
#: The usual terms of a school year, by (month, day) of their first and last day (Kyrgyz and Kazakh
#: schools work in four quarters; the exact dates move each year: the school writes its own).
DEFAULT_TERMS = (
    ((9, 1), (10, 31)),
    ((11, 1), (12, 31)),
    ((1, 1), (3, 31)),
    ((4, 1), (5, 31)),
)
#: The library's languages for each of ours (a language the country's table lacks falls back to English).
_LIB_LANGUAGES = {"KG": {"ky": "ky", "ru": "ru_KG", "en": "en_US"}, "KZ": {"kk": "kk", "en": "en_US"}}
#: A guard against a calendar with no school day at all (searching back for the previous one).
MAX_SEARCH_DAYS = 400


def school_year_start(day: dt.date) -> dt.date:
    return dt.date(day.year if day.month >= 9 else day.year - 1, 9, 1)


@functools.lru_cache(maxsize=64)
def _national(country: str, year: int) -> dict[dt.date, str]:
    try:
        table = holidays_lib.country_holidays(country, years=year)
    except NotImplementedError:
        return {}
    return dict(table.items())


def national_holidays(country: str, year: int, lang: str = "en") -> list[tuple[dt.date, str]]:
    """The national holidays of `country` in `year`, named in `lang` where the library has it."""
    language = _LIB_LANGUAGES.get(country, {}).get(lang, "en_US")
    try:
        table = holidays_lib.country_holidays(country, years=year, language=language)
    except NotImplementedError:
        return []
    return sorted(table.items())


@dataclass(frozen=True)
class Entry:
    id: int
    kind: CalendarKind
    name: str
    first_day: dt.date
    last_day: dt.date

    def covers(self, day: dt.date) -> bool:
        return self.first_day <= day <= self.last_day


@dataclass
class SchoolCalendar:
    """A school's calendar, read once; asks nothing of the database afterwards."""

    country: str = "KG"
    entries: list[Entry] = field(default_factory=list)

    def _covering(self, day: dt.date, kinds: Iterable[CalendarKind]) -> Entry | None:
        kinds = set(kinds)
        return next((e for e in self.entries if e.kind in kinds and e.covers(day)), None)

    def terms(self, year_start: dt.date) -> list[Entry]:
        """The terms the school wrote for the school year starting `year_start`, in order."""
        year_end = dt.date(year_start.year + 1, 8, 31)
        return sorted(
            (
                e
                for e in self.entries
                if e.kind == CalendarKind.TERM and e.first_day <= year_end and e.last_day >= year_start
            ),
            key=lambda e: e.first_day,
        )

    def national(self, day: dt.date) -> str | None:
        return _national(self.country, day.year).get(day)

    def is_school_day(self, day: dt.date, weekday_mask: int = WEEKDAYS_MASK) -> bool:
        if self._covering(day, (CalendarKind.SCHOOL_DAY,)):
            return True
        if self._covering(day, (CalendarKind.HOLIDAY, CalendarKind.DAY_OFF)):
            return False
        if self.terms(school_year_start(day)) and not self._covering(day, (CalendarKind.TERM,)):
            return False
        if self.national(day):
            return False
        return bool(weekday_mask & (1 << day.weekday()))

    def is_rest_day(self, day: dt.date) -> bool:
        """A day nobody works at the school: a weekend, a national holiday, the school's holidays and days off
        (unless marked a school day).  Unlike `is_school_day`, the days between terms are not rest days (the
        staff prepare the school for the year in August).  Administrative reminders wait for the next day
        that is not one (`reminder_day`); safety alerts never wait."""
        if self._covering(day, (CalendarKind.SCHOOL_DAY,)):
            return False
        return (day.weekday() >= 5 or self.national(day) is not None
                or self._covering(day, (CalendarKind.HOLIDAY, CalendarKind.DAY_OFF)) is not None)

    def is_short_day(self, day: dt.date) -> bool:
        return self._covering(day, (CalendarKind.SHORT_DAY,)) is not None

    def why_not(self, day: dt.date, weekday_mask: int = WEEKDAYS_MASK) -> str:
        """Why `day` is not a school day, in a few words ("" when it is one)."""
        if self.is_school_day(day, weekday_mask):
            return ""
        entry = self._covering(day, (CalendarKind.HOLIDAY, CalendarKind.DAY_OFF))
        if entry:
            return entry.name or str(CALENDAR_WORDS[entry.kind])
        if self.terms(school_year_start(day)) and not self._covering(day, (CalendarKind.TERM,)):
            return str(_l("Between terms"))
        return self.national(day) or str(_l("Weekend"))

    def school_days(self, first: dt.date, last: dt.date, weekday_mask: int = WEEKDAYS_MASK) -> list[dt.date]:
        return [
            first + dt.timedelta(days=n)
            for n in range((last - first).days + 1)
            if self.is_school_day(first + dt.timedelta(days=n), weekday_mask)
        ]


CALENDAR_WORDS = {
    CalendarKind.HOLIDAY: _l("School holidays"),
    CalendarKind.DAY_OFF: _l("Day off at the school"),
}


def _entries(rows) -> list[Entry]:
    return [Entry(r.id, CalendarKind(r.kind), r.name, r.first_day, r.last_day) for r in rows]


def calendar_for(school: School) -> SchoolCalendar:
    """The school's calendar (one query; in a web request, once: the home page's cards, the dues, the
    rosters and the canteen share it, forgotten whenever the session writes or rolls back)."""
    memo = unit_memo()
    if memo is None or db.session.new or db.session.dirty or db.session.deleted:
        return _read_calendar(school)
    calendars = memo.setdefault(_MEMO_KEY, {})
    if school.id not in calendars:
        calendars[school.id] = _read_calendar(school)
    return calendars[school.id]


_MEMO_KEY = "schools.calendar"


def _forget_calendars(session, *args) -> None:
    memo = session.info.get("unit_memo")
    if memo is not None:
        memo.pop(_MEMO_KEY, None)


sa.event.listen(sa.orm.Session, "after_flush", _forget_calendars)
sa.event.listen(sa.orm.Session, "after_soft_rollback", _forget_calendars)


def _read_calendar(school: School) -> SchoolCalendar:
    rows = db.session.execute(
        sa.select(
            CalendarEntry.id, CalendarEntry.kind, CalendarEntry.name, CalendarEntry.first_day, CalendarEntry.last_day
        )
        .where(CalendarEntry.school_id == school.id)
        .order_by(CalendarEntry.first_day, CalendarEntry.id)
    ).all()
    return SchoolCalendar(school.country, _entries(rows))


def reminder_day(school: School, day: dt.date) -> bool:
    """Whether administrative reminders (documents to review, repeat instructions, certificates expiring) go
    out at `school` on `day`: not on its rest days (`SchoolCalendar.is_rest_day`).  What is due stays due, so
    the next working day's sweep sends it, once."""
    return not calendar_for(school).is_rest_day(day)


def calendars_for(school_ids: Iterable[int]) -> dict[int, SchoolCalendar]:
    """The calendars of many schools in two queries."""
    ids = list(school_ids)
    if not ids:
        return {}
    countries = dict(
        db.session.execute(
            sa.select(School.id, District.country)
            .join(District, District.id == School.district_id)
            .where(School.id.in_(ids))
        ).all()
    )
    by_school: dict[int, list] = {}
    for r in db.session.execute(
        sa.select(
            CalendarEntry.school_id,
            CalendarEntry.id,
            CalendarEntry.kind,
            CalendarEntry.name,
            CalendarEntry.first_day,
            CalendarEntry.last_day,
        )
        .where(CalendarEntry.school_id.in_(ids))
        .order_by(CalendarEntry.first_day, CalendarEntry.id)
    ):
        by_school.setdefault(r.school_id, []).append(r)
    return {sid: SchoolCalendar(countries.get(sid, "KG"), _entries(by_school.get(sid, []))) for sid in ids}


# --------------------------------------------------------------------------- editing


def entries_of(school: School, year_start: dt.date) -> list[CalendarEntry]:
    """The school's lines touching the school year starting `year_start`, in date order."""
    year_end = dt.date(year_start.year + 1, 8, 31)
    return list(
        db.session.scalars(
            sa.select(CalendarEntry)
            .where(
                CalendarEntry.school_id == school.id,
                CalendarEntry.first_day <= year_end,
                CalendarEntry.last_day >= year_start,
            )
            .order_by(CalendarEntry.first_day, CalendarEntry.id)
        )
    )


def add_entry(
    actor: User | None, school: School, *, kind: str, name: str, first_day: dt.date, last_day: dt.date | None = None
) -> CalendarEntry:
    try:
        kind_ = CalendarKind(kind)
    except ValueError:
        raise ServiceError(_l("Choose what these days are."), "kind") from None
    last_day = last_day or first_day
    if last_day < first_day:
        raise ServiceError(_l("The last day is before the first day."), "last_day")
    if (last_day - first_day).days > 366:
        raise ServiceError(_l("At most a year at a time."), "last_day")
    name = (name or "").strip()[:120]
    if kind_ == CalendarKind.TERM:
        if not name:
            raise ServiceError(_l("Give the term a name."), "name")
        clash = db.session.scalar(
            sa.select(CalendarEntry.name)
            .where(
                CalendarEntry.school_id == school.id,
                CalendarEntry.kind == CalendarKind.TERM,
                CalendarEntry.first_day <= last_day,
                CalendarEntry.last_day >= first_day,
            )
            .limit(1)
        )
        if clash is not None:
            raise ServiceError(_l("These dates overlap the term “%(name)s”.", name=clash), "first_day")
    entry = CalendarEntry(school_id=school.id, kind=kind_, name=name, first_day=first_day, last_day=last_day)
    db.session.add(entry)
    db.session.flush()
    record(actor, school, "calendar.add", entry, detail=f"{kind_.value} {first_day}..{last_day}")
    return entry


def delete_entry(actor: User | None, school: School, entry: CalendarEntry) -> None:
    record(actor, school, "calendar.delete", entry, detail=f"{entry.kind.value} {entry.first_day}..{entry.last_day}")
    db.session.delete(entry)
    db.session.flush()


def add_usual_terms(actor: User | None, school: School, year_start: dt.date) -> int:
    """The four usual terms of the school year starting `year_start`, where the school has none yet."""
    if calendar_for(school).terms(year_start):
        raise ServiceError(_l("This school year already has its terms."))
    names = (_l("1st term"), _l("2nd term"), _l("3rd term"), _l("4th term"))
    for name, ((m1, d1), (m2, d2)) in zip(names, DEFAULT_TERMS, strict=True):
        y = year_start.year if m1 >= 9 else year_start.year + 1
        add_entry(
            actor,
            school,
            kind=CalendarKind.TERM,
            name=str(name),
            first_day=dt.date(y, m1, d1),
            last_day=dt.date(y, m2, d2),
        )
    return len(DEFAULT_TERMS)
