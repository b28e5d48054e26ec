"""Access table of the incident register (see tests/test_access_matrix.py)."""

from safetyops.auth.roles import Role

RECORD = frozenset({Role.DIRECTOR, Role.ADMIN, Role.DEPUTY, Role.SAFETY_OFFICER, Role.NURSE})
VIEW = RECORD | {Role.INSPECTOR}
HEALTH = frozenset({Role.DIRECTOR, Role.DEPUTY, Role.NURSE})

MATRIX = {
    "accidents.index": VIEW,
    "accidents.new": RECORD,
    "accidents.detail": VIEW,
    "accidents.injury_new": HEALTH,
    "accidents.analysis": VIEW,
}


def objects(f, school) -> dict:
    import datetime as dt

    from safetyops.accidents.models import IncidentKind, Injury, SchoolIncident
    from safetyops.extensions import db

    incident = SchoolIncident(school_id=school.id, kind=IncidentKind.INJURY, place="Спорт зал",
                              occurred_dt=dt.datetime(2026, 10, 5, 5, 30, tzinfo=dt.UTC),
                              description="Окуучу секирүүдө бутун бурап алды")
    db.session.add(incident)
    db.session.flush()
    db.session.add(Injury(school_id=school.id, incident_id=incident.id, injury="Тамандын чыгышы",
                          first_aid="Муз басылды, бинт"))
    db.session.flush()
    return {"school_incident_id": incident.id}
