"""Offline phones: the time a record was made on the phone, and the pages a person needs today.

The phone's outbox (static/js/outbox.js) sends every record it kept while offline with the
field ``client_made_at``: when the person pressed the button, on the phone's clock (ISO 8601,
UTC).  `made_at()` reads it for the write views, which pass it to the services as ``now``: the
record's own time (a tick, a gate entry, a checkpoint, a class report) is the time it was made,
while the audit event of the write carries the server's time of arrival, so both are kept.  A
phone clock far off (ahead of the server, or older than a session can last) is not believed.

Each area says which of its pages a signed-in person needs today from its `register(app)`
(`area.add(app, bp, offline_pages=[fn])`); the service worker caches them so that they open with no
signal (docs/offline.md).
"""

from __future__ import annotations

import datetime as dt

from flask import current_app, request

from . import registry
from .time import now_utc

FIELD = "client_made_at"
#: A phone clock up to this far ahead of the server's is believed (and the server's time used).
CLOCK_AHEAD = dt.timedelta(minutes=5)


def pages_for(user, school, role, today: dt.date) -> list[str]:
    seen: dict[str, None] = {}
    for fn in registry.functions(registry.OFFLINE_PAGES):
        for url in fn(user, school, role, today) or ():
            seen.setdefault(url, None)
    return list(seen)


def parse_made(value: str | None, now: dt.datetime, max_age: dt.timedelta) -> dt.datetime | None:
    """The phone's time from an ISO string, or None when absent, unreadable or not believable."""
    if not value:
        return None
    text = value.strip()[:40]
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        made = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if made.tzinfo is None:
        return None
    made = made.astimezone(dt.UTC)
    if made > now + CLOCK_AHEAD or made < now - max_age:
        return None
    return min(made, now)


def made_at() -> dt.datetime | None:
    """The time the record of this request was made on the phone (None: use the server's time)."""
    hours = current_app.config.get("SESSION_HOURS") or 12
    return parse_made(request.form.get(FIELD), now_utc(), dt.timedelta(hours=max(hours, 24)))
