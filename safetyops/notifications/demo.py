"""Demo: message preferences, one STOP, one refused number and a delivered staff message in the log."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ..extensions import db
from ..schools.demo import MORE_TEACHERS, PEOPLE
from ..scoping import cross_school
from ..time import now_utc
from .models import Channel, MessageStatus, NotificationPreference, OutboundMessage
from .outbox import notify
from .outcomes import flag_phone, record_opt_out
from .services import BROADCAST, audience

DEMO_TOKEN = "d" * 32
FOUNDATION_STAFF = {p[0] for p in PEOPLE} | {p[0] for p in MORE_TEACHERS}
DEMO_TEXT = "Эртең саат 10:00дө өрт машыгуусу. Класстар менен короого чыгабыз."


@cross_school("the demo builds every school")
def notifications_demo(demo) -> None:
    users = demo.users
    for username, channel, quiet in (("teacher", Channel.SMS, (dt.time(22), dt.time(7))),
                                     ("canteen", Channel.WHATSAPP, None)):
        user = users.get(username)
        if user is None or db.session.scalar(sa.select(NotificationPreference.id)
                                             .where(NotificationPreference.user_id == user.id)):
            continue
        db.session.add(NotificationPreference(user_id=user.id, channel=channel,
                                              quiet_start=quiet[0] if quiet else None,
                                              quiet_end=quiet[1] if quiet else None))
    now = now_utc()
    if "guard2" in users and users["guard2"].phone:
        record_opt_out(users["guard2"].phone, "ТОКТОТ", now)
    db.session.flush()
    key = f"{demo.school.id}:{DEMO_TOKEN}"
    if db.session.scalar(sa.select(OutboundMessage.id).where(
            OutboundMessage.idempotency_key.like(f"{BROADCAST}:{key}:%")).limit(1)):
        return  # already there: the demo changes nothing the second time
    staff = [u for u in audience(demo.school, "all") if u.username in FOUNDATION_STAFF]
    made = notify(demo.school, staff, BROADCAST, key, {"text": DEMO_TEXT}, urgent=True)
    sent_at = now - dt.timedelta(hours=3)
    refused = users.get("teacher6")
    for i, msg in enumerate(made):
        msg.created_dt = sent_at
        if msg.status != MessageStatus.QUEUED:
            continue
        msg.gateway, msg.attempts, msg.sent_dt, msg.status_dt = "console", 1, sent_at, sent_at
        msg.provider_id = f"console-demo-{i:04d}"
        if refused is not None and msg.user_id == refused.id:
            msg.status, msg.provider_status, msg.error_code = MessageStatus.FAILED, "http-400", "21211"
            msg.error_message = "The 'To' number is not a valid phone number."
            flag_phone(refused.id, msg.to_phone, "21211", msg.error_message, now)
        else:
            msg.status, msg.provider_status = MessageStatus.DELIVERED, "delivered"
    db.session.flush()
