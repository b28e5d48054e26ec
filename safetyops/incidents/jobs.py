"""Scheduler sweeps of the incidents area:

- `incidents.anonymise`: wipe students' names and coordinates after the school's retention period;
- `incidents.event_briefings`: an SMS to the deputy and the director when an excursion, hike or sports event
  is two days away (or nearer) and some class taking part has no briefing recorded.

Both are idempotent over database state (the SMS key is the event and its date), so a missed run is caught
up by the next one and a double run sends nothing twice.  Plain functions: `safetyops.scheduler.catalogue`
lists them by name."""

from __future__ import annotations

import datetime as dt
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..auth.models import User
from ..auth.roles import Role
from ..extensions import db
from ..notifications import outbox
from ..schools.models import Membership, School
from ..time import zone
from . import services
from .models import SchoolEvent

EVENT_KIND = "event_briefing_missing"
EVENT_TEXT = _l("Event %(date)s: %(n)s classes without a safety briefing.")
#: Days before the event when the reminder goes out.
REMIND_DAYS = 2


def register_texts() -> None:
    """Give the outbox this area's texts (idempotent)."""
    outbox.register_text(EVENT_KIND, EVENT_TEXT)


def anonymise(now: datetime) -> int:
    """Only incidents not yet wiped and older than their school's period are touched.  Queues nothing."""
    services.anonymise_due(now)
    db.session.commit()
    return 0


def event_briefings(now: datetime) -> int:
    queued = 0
    for school in db.session.scalars(sa.select(School)):
        today = now.astimezone(zone(school.timezone)).date()
        events = db.session.scalars(sa.select(SchoolEvent).where(
            SchoolEvent.school_id == school.id, SchoolEvent.held_on.between(today, today + dt.timedelta(
                days=REMIND_DAYS))))
        for event in events:
            missing = event.unbriefed_classes()
            if not missing:
                continue
            recipients = list(db.session.scalars(
                sa.select(User).join(Membership, Membership.user_id == User.id).where(
                    Membership.school_id == school.id, Membership.role.in_([Role.DIRECTOR, Role.DEPUTY]),
                    User.is_enabled.is_(True))))
            queued += len(outbox.notify(school, recipients, EVENT_KIND, f"{event.id}:{event.held_on.isoformat()}",
                                        {"date": event.held_on.strftime("%d.%m"), "n": len(missing)}))
    db.session.commit()
    return queued

