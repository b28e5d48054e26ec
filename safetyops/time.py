"""Time helpers: everything is stored in UTC and shown in the school's own zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def zone(tz_name: str) -> ZoneInfo:
    return ZoneInfo(tz_name)


def school_now(school) -> dt.datetime:
    return now_utc().astimezone(zone(school.timezone))


def school_today(school) -> dt.date:
    return school_now(school).date()


def local_to_utc(day: dt.date, at: dt.time, tz_name: str) -> dt.datetime:
    return dt.datetime.combine(day, at, tzinfo=zone(tz_name)).astimezone(dt.UTC)
