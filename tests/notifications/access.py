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
    "notifications.status_callback": TOKEN,
    "notifications.inbound": TOKEN,
}

BC_TOKEN = "ab" * 16


def objects(f, school):
    from safetyops.extensions import db
    from safetyops.notifications.models import PhoneFlag
    from safetyops.notifications.outbox import notify
    from safetyops.notifications.services import BROADCAST

    person = f.user("teacher", school, phone=None)
    (msg,) = notify(school, [person], BROADCAST, f"{school.id}:{BC_TOKEN}", {"text": "Hello"})
    flag = PhoneFlag(user_id=person.id, phone="+996555999000", error_code="21211")
    db.session.add(flag)
    db.session.flush()
    return {"msg_id": msg.id, "bc_token": BC_TOKEN, "flag_id": flag.id}
