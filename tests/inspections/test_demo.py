"""The demo adds equipment, schedules, history and deficiencies, and a second run changes nothing."""

from __future__ import annotations

import sqlalchemy as sa

from safetyops.demo import SCHOOL_NAME, build_demo
from safetyops.extensions import db
from safetyops.inspections import services
from safetyops.inspections.models import Answer, Asset, CorrectiveAction, Run, Schedule
from safetyops.schools.models import School
from tests.demo_fixtures import DEMO_PASSWORD

MODELS = (Asset, Schedule, Run, Answer, CorrectiveAction)


def _counts():
    return [db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in MODELS]


def test_demo_is_idempotent_and_has_overdue_work(demo_app):
    with demo_app.app_context():
        first = _counts()  # a copy of the demo: its first build
        assert all(first) and first[0] >= 10 and first[2] >= 50
        build_demo(DEMO_PASSWORD)
        assert _counts() == first
        school = db.session.scalar(sa.select(School).where(School.name == SCHOOL_NAME))
        counts = services.counts(school)
        assert counts["critical_actions"] >= 1 and counts["open_actions"] >= 1
