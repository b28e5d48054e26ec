"""Retention of the young traffic inspectors squad: the name goes the day a member leaves, the row a year
after; current members stay; the nightly hook is in the scheduler's catalogue."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from safetyops.audit.models import AuditEvent
from safetyops.extensions import db
from safetyops.roadsafety import jobs, services
from safetyops.roadsafety.models import SquadMember
from safetyops.scheduler import catalogue


def _member(school, name, left_on=None):
    m = services.add_member(
        None,
        school,
        student_name=name,
        class_id=None,
        is_leader=False,
        consent_paper="№ 1",
        joined_on=dt.date(2024, 9, 2),
    )
    m.left_on = left_on
    db.session.flush()
    return m


def test_members_who_left_are_deleted_after_the_period(f):
    now = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)
    staying = _member(f.school_a, "Токтогулова Айзада")
    gone = _member(f.school_a, "Асанов Бакыт", left_on=dt.date(2025, 10, 1))
    recent = _member(f.school_b, "Бекова Нурия", left_on=dt.date(2026, 6, 1))  # name kept by a direct write
    gone_id = gone.id
    assert services.purge_left_members(now, 365) == 1
    db.session.expire_all()
    assert db.session.get(SquadMember, gone_id) is None
    assert db.session.get(SquadMember, staying.id).student_name == "Токтогулова Айзада"
    assert db.session.get(SquadMember, recent.id).student_name == "—"
    assert services.purge_left_members(now, 365) == 0
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "roadsafety.retention")).all()
    assert [e.school_id for e in events] == [f.school_a.id]


def test_the_nightly_hook_uses_the_configured_period(app, f):
    m = _member(f.school_a, "Асанов Бакыт", left_on=dt.date(2026, 11, 1))
    assert catalogue.NIGHTLY["roadsafety.retention"] is jobs.retention
    app.config["ROADSAFETY_SQUAD_RETENTION_DAYS"] = 10
    try:
        jobs.retention(dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC))
    finally:
        app.config.pop("ROADSAFETY_SQUAD_RETENTION_DAYS")
    assert db.session.get(SquadMember, m.id) is None
