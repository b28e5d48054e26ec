"""The demo's roster part: made once, the same after a second run."""

from __future__ import annotations

import sqlalchemy as sa

from safetyops.demo import build_demo
from safetyops.extensions import db
from safetyops.rosters import services
from safetyops.rosters.models import Post, Shift, Swap, SwapStatus
from tests.demo_fixtures import DEMO_PASSWORD


def _snapshot():
    return (sorted((s.post_id, s.day, s.user_id, s.is_published) for s in db.session.scalars(sa.select(Shift))),
            sorted((w.shift_id, w.status) for w in db.session.scalars(sa.select(Swap))),
            db.session.scalar(sa.select(sa.func.count()).select_from(Post)))


def test_demo_roster_is_idempotent(demo_app):
    from safetyops.auth.models import User
    from safetyops.schools.models import School
    from safetyops.time import school_today

    with demo_app.app_context():
        first = _snapshot()  # a copy of the demo: its first build
        assert first[2] == 7 and len(first[0]) > 100
        assert [s for _id, s in first[1]] == [SwapStatus.ACCEPTED]
        build_demo(DEMO_PASSWORD)
        assert _snapshot() == first
        school = db.session.scalar(sa.select(School).where(School.name.like("%95%")))
        guard = db.session.scalar(sa.select(User).where(User.username == "guard"))
        assert services.duties_of(guard, school, school_today(school))
