"""Retention of injuries: the health details (name, consent paper, injury, first aid) are wiped after the
period, the incident, the class and the count stay; the nightly hook is in the scheduler's catalogue."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from safetyops.accidents import jobs, services
from safetyops.accidents.models import Injury
from safetyops.audit.models import AuditEvent
from safetyops.extensions import db
from safetyops.scheduler import catalogue


def _incident_with_injury(school, when, klass=None, name=""):
    incident = services.record_incident(
        None,
        school,
        kind="injury",
        occurred_dt=when,
        place="Спорт зал",
        description="Секирүүдө",
        parents_informed=True,
        ambulance=False,
        police=False,
    )
    injury = services.add_injury(
        None,
        school,
        incident,
        class_id=klass.id if klass else None,
        person_name=name,
        consent_paper="№ 5" if name else "",
        injury="Тамандын чыгышы",
        first_aid="Муз",
    )
    return incident, injury


def test_health_details_are_wiped_after_the_period_and_only_once(f):
    klass = f.school_class(f.school_a, name="7А")
    now = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)
    _old_incident, old = _incident_with_injury(
        f.school_a, dt.datetime(2023, 11, 20, 6, 0, tzinfo=dt.UTC), klass, name="Асанов Бакыт"
    )
    _new_incident, fresh = _incident_with_injury(f.school_b, dt.datetime(2024, 1, 10, 6, 0, tzinfo=dt.UTC))
    assert services.anonymise_injuries(now, 36) == 1
    db.session.expire_all()
    old, fresh = db.session.get(Injury, old.id), db.session.get(Injury, fresh.id)
    assert (old.person_name, old.consent_paper, old.injury, old.first_aid) == ("", "", "—", "")
    assert old.class_id == klass.id and old.incident is not None
    assert fresh.injury == "Тамандын чыгышы"
    assert services.anonymise_injuries(now, 36) == 0
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "accidents.retention")).all()
    assert [e.school_id for e in events] == [f.school_a.id]
    assert services.anonymise_injuries(now, 0) == 0  # 0 keeps them


def test_the_nightly_hook_uses_the_configured_period(app, f):
    _incident, injury = _incident_with_injury(f.school_a, dt.datetime(2026, 5, 1, 6, 0, tzinfo=dt.UTC))
    assert catalogue.NIGHTLY["accidents.retention"] is jobs.retention
    app.config["ACCIDENTS_INJURY_RETENTION_MONTHS"] = 6
    try:
        jobs.retention(dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC))
    finally:
        app.config.pop("ACCIDENTS_INJURY_RETENTION_MONTHS")
    assert db.session.get(Injury, injury.id).injury == "—"
