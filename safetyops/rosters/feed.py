"""A person's duties as a calendar feed (iCalendar): the secret link's token (renewed, revoked, looked up)
and the feed itself."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..audit.services import record
from ..auth.models import User
from ..extensions import db
from ..schools.models import School
from ..time import now_utc, school_today
from .models import FeedToken, new_feed_token
from .services import shifts_between


def feed_token_of(user, school: School) -> FeedToken | None:
    return db.session.scalar(sa.select(FeedToken).where(FeedToken.user_id == user.id,
                                                        FeedToken.school_id == school.id))


def renew_feed_token(actor: User | None, school: School) -> FeedToken:
    """A new secret URL; the old one stops working."""
    token = feed_token_of(actor, school)
    if token is None:
        token = FeedToken(user_id=actor.id, school_id=school.id)
        db.session.add(token)
    token.token = new_feed_token()
    token.created_dt = now_utc()
    db.session.flush()
    record(actor, school, "roster_feed.renew", token)
    return token


def revoke_feed_token(actor: User | None, school: School) -> None:
    token = feed_token_of(actor, school)
    if token is not None:
        record(actor, school, "roster_feed.revoke", token)
        db.session.delete(token)
        db.session.flush()


def feed_by_token(token: str) -> FeedToken | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(sa.select(FeedToken).where(FeedToken.token == token)
                             .execution_options(cross_school="the calendar link's secret token names the school"))


def ical(feed: FeedToken, now: dt.datetime | None = None) -> bytes:
    """The person's published duties from 60 days back to a year ahead, as iCalendar."""
    import icalendar

    now = now or now_utc()
    school = db.session.get(School, feed.school_id)
    today = school_today(school)
    shifts = shifts_between(school, today - dt.timedelta(days=60), today + dt.timedelta(days=366),
                            user_id=feed.user_id)
    cal = icalendar.Calendar()
    cal.add("prodid", "-//SafetyOps//rosters//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{school.name}: {_l('Duty')}")
    cal.add("x-wr-timezone", school.timezone)
    for s in shifts:
        ev = icalendar.Event()
        ev.add("uid", f"shift-{s.id}@safetyops")
        ev.add("dtstamp", now)
        ev.add("dtstart", s.start_dt)
        ev.add("dtend", s.end_dt)
        ev.add("summary", f"{_l('Duty')}: {s.post.name}")
        if s.post.zone is not None:
            ev.add("location", s.post.zone.name)
        cal.add_component(ev)
    feed.last_used_dt = now
    return cal.to_ical()
