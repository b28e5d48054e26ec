"""Access table of the road-safety work (see tests/test_access_matrix.py)."""

from safetyops.auth.roles import Role

MANAGE = frozenset({Role.DIRECTOR, Role.ADMIN, Role.DEPUTY, Role.SAFETY_OFFICER})
VIEW = MANAGE | {Role.TEACHER, Role.INSPECTOR}

MATRIX = {
    "roadsafety.index": VIEW,
    "roadsafety.member_new": MANAGE,
    "roadsafety.member_left": MANAGE,
    "roadsafety.event_new": MANAGE,
    "roadsafety.event_photo": VIEW,
    "roadsafety.material_new": MANAGE,
}


def objects(f, school) -> dict:
    import datetime as dt

    from safetyops.extensions import db
    from safetyops.roadsafety.models import EventKind, RoadEvent, SquadMember

    member = SquadMember(school_id=school.id, student_name="Асанов Бакыт", consent_paper="№ 12, 02.09.2026",
                         joined_on=dt.date(2026, 9, 5))
    event = RoadEvent(school_id=school.id, kind=EventKind.POLICE, held_on=dt.date(2026, 10, 2),
                      topic="Жол кыймылынын эрежелери", photo=b"\xff\xd8\xff\xd9")
    db.session.add_all([member, event])
    db.session.flush()
    return {"member_id": member.id, "road_event_id": event.id}
