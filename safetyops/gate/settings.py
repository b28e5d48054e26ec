"""The school's gate settings (closing time, retention, night-round times, how missed rounds are told, the
phone's lock; the defaults when none are stored) and the gate's local time: the school's day in UTC, a time of
day typed at the gate, the night-round times typed in the settings."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..errors_service import ServiceError
from ..extensions import db
from ..schools.models import School
from ..time import local_to_utc, now_utc, zone
from .models import GateSettings, RoundAlertMode

#: How far back a guard may set the time in (the paper journal is filled in late, not days late).
MAX_BACKDATE = dt.timedelta(hours=12)
#: A phone's clock may run a little ahead.
CLOCK_SKEW = dt.timedelta(minutes=5)


DEFAULT_SETTINGS = {"closing_time": dt.time(19, 0), "retention_days": 90, "round_times": "22:00, 01:00, 04:00",
                    "round_grace_minutes": 40, "round_alert_mode": RoundAlertMode.AT_ONCE,
                    "morning_time": dt.time(7, 30), "is_host_sms_on": True, "lock_minutes": 3}


def settings_for(school: School, *, create: bool = False) -> GateSettings:
    """The school's gate settings; the defaults (not stored) when it has none, unless `create`."""
    row = db.session.scalar(sa.select(GateSettings).where(GateSettings.school_id == school.id))
    if row is None:
        row = GateSettings(school_id=school.id, **DEFAULT_SETTINGS)
        if create:
            db.session.add(row)
            db.session.flush()
    return row


def local_now(school: School, now: dt.datetime | None = None) -> dt.datetime:
    return (now or now_utc()).astimezone(zone(school.timezone))


def day_bounds(school: School, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """UTC start and end of a local day."""
    return (local_to_utc(day, dt.time(0), school.timezone),
            local_to_utc(day + dt.timedelta(days=1), dt.time(0), school.timezone))


def resolve_time(school: School, at: dt.time | None, now: dt.datetime, field_name: str) -> dt.datetime:
    """A local time of day typed at the gate → the most recent such moment (not in the future)."""
    if at is None:
        return now
    local = local_now(school, now)
    candidate = dt.datetime.combine(local.date(), at, tzinfo=local.tzinfo)
    if candidate > local + CLOCK_SKEW:
        candidate -= dt.timedelta(days=1)
    candidate = candidate.astimezone(dt.UTC)
    if now - candidate > MAX_BACKDATE:
        raise ServiceError(_l("The time can be at most 12 hours ago."), field_name)
    return candidate


def parse_round_times(text: str) -> list[dt.time]:
    times = []
    for part in (text or "").replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            times.append(dt.datetime.strptime(part, "%H:%M").time())
        except ValueError:
            raise ServiceError(_l("Write round times as HH:MM separated by commas, e.g. 22:00, 01:00, 04:00."),
                               "round_times") from None
    # Evening first: times from noon belong to the evening, before noon to the next morning.
    return sorted(set(times), key=lambda t: (t < dt.time(12), t))
