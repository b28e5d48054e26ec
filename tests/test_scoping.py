"""Every read of a school's rows names the school (safetyops/scoping.py).

The suite installs the guard for every test (tests/conftest.py: `_every_read_names_its_school`);
these tests show what it lets through and what it catches, and the service helpers that return
None where the web helper answers 404."""

from __future__ import annotations

import sqlalchemy as sa

from safetyops import scoping
from safetyops.extensions import db
from safetyops.inspections.models import Run
from safetyops.schools.models import School, Zone
from tests import conftest


def _caught(fn) -> list[str]:
    """What the guard records while `fn` runs (as if from the app's own code)."""
    found: list[str] = []

    def listen(state):
        why = scoping.check(state)
        if why:
            found.append(why)

    sa.event.listen(db.session(), "do_orm_execute", listen)
    try:
        fn()
    finally:
        sa.event.remove(db.session(), "do_orm_execute", listen)
    return found


def test_owned_and_in_school_return_only_the_schools_rows(f):
    a, b = f.school_a, f.school()
    zone = f.zone(school=a)
    assert scoping.owned(Zone, zone.id, a) is zone
    assert scoping.owned(Zone, zone.id, b) is None  # a service gets None; a view's get_or_404 answers 404
    assert scoping.owned(Zone, zone.id, b.id) is None
    assert db.session.scalars(scoping.in_school(Zone, a)).all() == [zone]


def test_the_guard_catches_a_read_of_school_rows_without_the_school(f):
    zone = f.zone(school=f.school_a)
    assert _caught(lambda: db.session.scalars(sa.select(Zone).where(Zone.id == zone.id)).all()) == ["zones"]
    assert _caught(lambda: db.session.scalar(sa.select(sa.func.count(Zone.id)))) == ["zones"]
    assert _caught(lambda: db.session.get(Zone, zone.id + 1000)) == ["zones"]  # get() by id alone is a read too


def test_the_guard_lets_through_scoped_reads_joins_and_declared_cross_school_reads(f):
    school = f.school_a
    zone = f.zone(school=school)
    assert _caught(lambda: db.session.scalars(scoping.in_school(Zone, school)).all()) == []
    assert _caught(lambda: db.session.scalars(sa.select(Zone).where(Zone.school_id.in_([school.id]))).all()) == []
    # joined rows follow the scoped one
    assert _caught(lambda: db.session.execute(
        sa.select(Zone.id, Run.id).join(Run, Run.zone_id == Zone.id, isouter=True)
        .where(Zone.school_id == school.id)).all()) == []
    # the explicit opt-outs: one statement, or everything inside a block or a function
    assert _caught(lambda: db.session.scalars(
        sa.select(Zone).execution_options(cross_school="test: every school's zones")).all()) == []
    with scoping.cross_school("test: a district view"):
        assert _caught(lambda: db.session.scalars(sa.select(Zone)).all()) == []

    @scoping.cross_school("test: a sweep")
    def sweep():
        return db.session.scalars(sa.select(Zone)).all()

    assert _caught(sweep) == []
    assert _caught(lambda: db.session.scalars(sa.select(Zone)).all()) == ["zones"]  # the opt-out ended
    # rows that are not a school's (the schools themselves) are not checked
    assert _caught(lambda: db.session.scalars(sa.select(School)).all()) == []
    assert zone.id


def test_the_suite_installs_the_guard_for_every_test():
    assert conftest._every_read_names_its_school is not None
    assert sa.event.contains(sa.orm.Session, "do_orm_execute", conftest._scoping_guard)
