import sqlalchemy as sa

from safetyops.extensions import db
from safetyops.schools.models import School
from tests.conftest import login


def test_rollback_isolates_tests_part1(f):
    f.school(name="Only in this test")
    db.session.commit()  # a view commits: must only release a savepoint
    assert db.session.scalar(sa.select(sa.func.count()).where(School.name == "Only in this test")) == 1


def test_rollback_isolates_tests_part2(f):
    assert db.session.scalar(sa.select(sa.func.count()).where(School.name == "Only in this test")) == 0


def test_home_for_signed_in_director(client, f):
    login(client, f.user("director"))
    r = client.get("/")
    assert r.status_code == 200
    assert "School A" in r.get_data(as_text=True)
