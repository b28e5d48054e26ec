"""The `safetyops` console script: demo, users, backup and restore."""

import datetime as dt
import os
import sqlite3

import pytest
import sqlalchemy as sa

from safetyops import create_app
from safetyops.auth.models import User
from safetyops.extensions import db
from safetyops.schools.models import School
from safetyops.time import school_today
from tests.conftest import TEST_CONFIG

PG = bool(os.environ.get("SAFETYOPS_TEST_DATABASE_URL"))


@pytest.fixture
def cli_app(fresh_database_url, tmp_path):
    app = create_app({**TEST_CONFIG, "DATABASE_URL": fresh_database_url(), "INSTANCE_PATH": str(tmp_path / "i")})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_demo_creates_everything_and_is_idempotent(cli_app):
    runner = cli_app.test_cli_runner()
    first = runner.invoke(args=["demo", "--password", "demo-pass"])
    assert first.exit_code == 0, first.output
    for name in ("director", "guard", "inspector", "director2"):
        assert name in first.output
    with cli_app.app_context():
        counts = {t: db.session.scalar(sa.select(sa.func.count()).select_from(sa.table(t)))
                  for t in ("users", "schools", "zones", "memberships", "appointments", "school_calendar")}
    second = runner.invoke(args=["demo", "--password", "demo-pass"])
    assert second.exit_code == 0, second.output
    with cli_app.app_context():
        again = {t: db.session.scalar(sa.select(sa.func.count()).select_from(sa.table(t))) for t in counts}
        assert again == counts
        assert db.session.scalar(sa.select(sa.func.count()).select_from(School)) == 2
        # School No. 95's calendar: four terms, the winter and spring breaks, a shortened day (issue 14)
        from safetyops.demo import SCHOOL_NAME
        from safetyops.schools.calendar import calendar_for, school_year_start

        school = db.session.scalar(sa.select(School).where(School.name == SCHOOL_NAME))
        today = school_today(school)
        start = school_year_start(today)
        cal = calendar_for(school)
        breaks = [(dt.date(start.year, 12, 29), dt.date(start.year + 1, 1, 11)),
                  (dt.date(start.year + 1, 3, 21), dt.date(start.year + 1, 3, 29))]
        kept = [b for b in breaks if not b[0] <= today <= b[1]]  # a break holding today is left out
        assert len(cal.terms(start)) == 4 and again["school_calendar"] == 4 + len(kept) + 1
        days = {breaks[0]: (dt.date(start.year, 12, 30), dt.date(start.year + 1, 1, 8)),
                breaks[1]: (dt.date(start.year + 1, 3, 25),)}
        assert not any(cal.is_school_day(day) for b in kept for day in days[b])
        weekday = dt.date(start.year, 12, 2)
        weekday += dt.timedelta(days=max(0, 7 - weekday.weekday()) if weekday.weekday() >= 5 else 0)
        assert cal.is_school_day(weekday)  # a weekday of the 2nd term
    c = cli_app.test_client()
    r = c.get("/login")
    assert r.status_code == 200


def test_users_create_and_grant(cli_app):
    runner = cli_app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    with cli_app.app_context():
        from safetyops.schools.models import District

        d = District(name="D")
        db.session.add_all([d, School(name="S", district=d)])
        db.session.commit()
        school_id = db.session.scalar(sa.select(School.id))
    r = runner.invoke(args=["users", "create", "--username", "Admin2", "--full-name", "Admin Two", "--phone",
                            "0555 111 222", "--school-id", str(school_id), "--role", "admin",
                            "--password", "long enough pw"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(args=["users", "create", "--username", "x", "--full-name", "X", "--phone", "12",
                            "--password", "long enough pw"])
    assert r.exit_code != 0 and "phone" in r.output
    r = runner.invoke(args=["users", "grant", "admin2", "--school-id", str(school_id), "--role", "director"])
    assert r.exit_code == 0, r.output
    with cli_app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "admin2"))
        assert user.phone == "+996555111222" and user.memberships[0].role == "director"


@pytest.mark.skipif(PG, reason="SQLite backup API; PostgreSQL uses pg_dump (tested below)")
def test_sqlite_backup_while_writing_and_restore(demo_app, tmp_path):
    runner = demo_app.test_cli_runner()  # on a copy of the demo
    # a writer holds an open transaction while the backup runs: the backup is consistent
    db_file = demo_app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    writer = sqlite3.connect(db_file)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE schools SET name = 'uncommitted' WHERE id = 1")
    backup = tmp_path / "b.sqlite3"
    r = runner.invoke(args=["backup", str(backup)])
    writer.rollback()
    writer.close()
    assert r.exit_code == 0, r.output
    check = sqlite3.connect(backup)
    assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert check.execute("SELECT count(*) FROM schools WHERE name = 'uncommitted'").fetchone()[0] == 0
    check.close()
    with demo_app.app_context():
        db.session.execute(sa.text("UPDATE schools SET name = 'changed'"))  # (audit_events is append-only)
        db.session.commit()
    r = runner.invoke(args=["restore", str(backup), "--yes"])
    assert r.exit_code == 0, r.output
    with demo_app.app_context():
        assert "changed" not in db.session.scalars(sa.select(School.name)).all()


@pytest.mark.skipif(not PG, reason="PostgreSQL only")
def test_postgres_backup_and_restore_with_pg_tools(demo_app, tmp_path):
    runner = demo_app.test_cli_runner()  # on a copy of the demo
    dump = tmp_path / "b.dump"
    r = runner.invoke(args=["backup", str(dump)])
    assert r.exit_code == 0, r.output
    with demo_app.app_context():
        db.session.execute(sa.text("UPDATE schools SET name = 'changed'"))
        db.session.commit()
    r = runner.invoke(args=["restore", str(dump), "--yes"])
    assert r.exit_code == 0, r.output
    with demo_app.app_context():
        assert "changed" not in db.session.scalars(sa.select(School.name)).all()
