"""Access table of the ecology area (see tests/test_access_matrix.py)."""

from safetyops.auth.roles import Role

MANAGE = frozenset({Role.DIRECTOR, Role.ADMIN, Role.DEPUTY, Role.SAFETY_OFFICER})
VIEW = MANAGE | {Role.INSPECTOR}

MATRIX = {
    "ecology.index": VIEW,
    "ecology.schedule": MANAGE,
    "ecology.removal_new": MANAGE,
    "ecology.collection_new": MANAGE,
    "ecology.lab_new": MANAGE,
    "ecology.greening_new": MANAGE,
    "ecology.greening_done": MANAGE,
    "ecology.act": VIEW,
}


def objects(f, school) -> dict:
    import datetime as dt

    from safetyops.ecology.models import Act, GreeningItem, GreeningKind
    from safetyops.extensions import db

    act = Act(school_id=school.id, data=b"\xff\xd8\xff\xd9")
    item = GreeningItem(school_id=school.id, kind=GreeningKind.PLANTING, title="Карагач 20 көчөт",
                        planned_on=dt.date(2026, 10, 1))
    db.session.add_all([act, item])
    db.session.flush()
    return {"eco_act_id": act.id, "greening_id": item.id}
