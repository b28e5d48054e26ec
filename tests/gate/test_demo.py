"""The gate's demo step: a day of traffic, a watchlist hit, two nights of rounds with one missed checkpoint."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from safetyops.extensions import db
from safetyops.gate import daily, services
from safetyops.gate.models import Checkpoint, CheckpointScan, GateEntry, WatchlistEntry
from tests.demo_fixtures import DEMO_PASSWORD


def _counts():
    return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(m))
                 for m in (GateEntry, WatchlistEntry, Checkpoint, CheckpointScan))


def test_demo_builds_gate_data_once(demo_app):
    from safetyops.demo import SCHOOL_NAME, build_demo
    from safetyops.schools.models import School
    from safetyops.time import school_today

    with demo_app.app_context():
        first = _counts()  # a copy of the demo: its first build
        assert first[0] >= 12 and first[1] == 1 and first[2] == 4
        build_demo(DEMO_PASSWORD)
        assert _counts() == first
        school = db.session.scalar(sa.select(School).where(School.name == SCHOOL_NAME))
        assert len(services.on_site_now(school)) >= 2
        yesterday = school_today(school) - dt.timedelta(days=1)
        rep = daily.daily_report(school, yesterday)
        assert len(rep.watch_hits) == 1 and rep.late_staff and rep.not_signed_out
        before = daily.daily_report(school, yesterday - dt.timedelta(days=1))
        assert before.rounds_missed == 0 and before.rounds_late == 1
        assert rep.rounds_missed == 1 or rep.rounds[-1].start > services.now_utc()
