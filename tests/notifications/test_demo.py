"""The demo step: realistic messages, idempotent."""

import sqlalchemy as sa

from safetyops.demo import build_demo
from safetyops.extensions import db
from safetyops.notifications.models import MessageStatus, OutboundMessage, PhoneFlag, PhoneOptOut
from tests.demo_fixtures import DEMO_PASSWORD


def _snapshot():
    return (sorted((m.idempotency_key, m.status.value) for m in db.session.scalars(sa.select(OutboundMessage))),
            db.session.scalar(sa.select(sa.func.count(PhoneFlag.id))),
            db.session.scalar(sa.select(sa.func.count(PhoneOptOut.id))))


def test_demo_messages_and_idempotence(demo_app):
    with demo_app.app_context():
        first = _snapshot()  # a copy of the demo: its first build
        statuses = {s for _, s in first[0]}
        assert {"delivered", "failed", "blocked"} <= statuses
        assert first[1] == 1 and first[2] == 1
        build_demo(DEMO_PASSWORD)
        assert _snapshot() == first
        assert db.session.scalar(sa.select(sa.func.count(OutboundMessage.id))
                                 .where(OutboundMessage.status == MessageStatus.QUEUED)) == 0
