"""Who may use the messages area's routes."""

from safetyops.auth.roles import Role
from tests.access_common import MANAGERS, SIGNED_IN, TOKEN

LOG = MANAGERS | {Role.DEPUTY}

MATRIX = {
    "notifications.log": LOG,
    "notifications.message": LOG,
    "notifications.resend": LOG,
    "notifications.broadcast": LOG,
    "notifications.broadcast_progress": LOG,
    "notifications.settings": SIGNED_IN,
    "notifications.phones": LOG,
    "notifications.resolve_flag": LOG,
    "notifications.rules": MANAGERS,
    "notifications.budget": MANAGERS,
    "notifications.sms_route": MANAGERS,
    "notifications.status_callback": TOKEN,
    "notifications.inbound": TOKEN,
    "notifications.telegram_link": SIGNED_IN,
    "notifications.telegram_unlink": SIGNED_IN,
    "notifications.telegram_webhook": TOKEN,
}

def objects(f, school):
    from safetyops.extensions import db
    from safetyops.notifications.models import PhoneFlag
    from safetyops.notifications.outbox import notify
    from safetyops.notifications.services import BROADCAST

    person = f.user("teacher", school, phone=None)
    token = f"{school.id:032x}"  # a broadcast token of this school only (32 hex digits)
    (msg,) = notify(school, [person], BROADCAST, f"{school.id}:{token}", {"text": "Hello"})
    flag = PhoneFlag(user_id=person.id, phone="+996555999000", error_code="21211")
    db.session.add(flag)
    db.session.flush()
    return {"msg_id": msg.id, "bc_token": token, "flag_id": flag.id}
