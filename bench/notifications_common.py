"""Shared set-up for the notifications benchmarks: a database of its own with schools and staff."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

import sqlalchemy as sa

from safetyops import create_app
from safetyops.extensions import db


def make_database(pg: str | None) -> tuple[str, callable]:
    """A fresh database URL and a function that drops it."""
    if pg:
        base = sa.engine.make_url(pg)
        name = f"safetyops_bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')

        def drop():
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()

        return base.set(database=name).render_as_string(hide_password=False), drop
    folder = Path(tempfile.mkdtemp(prefix="safetyops-bench-"))
    return "sqlite:///" + str(folder / "bench.sqlite3"), lambda: None


def make_app(url: str, **config):
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "INSTANCE_PATH": tempfile.mkdtemp(), **config})
    with app.app_context():
        db.create_all()
    return app


def seed(app, schools: int, staff: int) -> None:
    """`schools` schools with `staff` staff each (bulk inserts; one shared password hash)."""
    from safetyops.auth.models import User
    from safetyops.schools.models import District, Membership, School

    with app.app_context():
        district = District(name="Bench district", country="KG")
        db.session.add(district)
        db.session.flush()
        db.session.execute(sa.insert(School), [
            {"district_id": district.id, "name": f"School {s}", "timezone": "Asia/Bishkek", "default_locale": "ky",
             "address": ""} for s in range(schools)])
        school_ids = list(db.session.scalars(sa.select(School.id).order_by(School.id)))
        users = []
        for s, _sid in enumerate(school_ids):
            for u in range(staff):
                n = s * staff + u
                users.append({"username": f"u{n}", "full_name": f"Person {n}", "phone": f"+99655{n:07d}",
                              "locale": ("ky", "ru", "kk", "en")[n % 4], "password_hash": "x",
                              "session_token": uuid.uuid4().hex[:16], "is_enabled": True,
                              "must_change_password": False})
        db.session.execute(sa.insert(User), users)
        ids = list(db.session.scalars(sa.select(User.id).order_by(User.id)))
        db.session.execute(sa.insert(Membership), [
            {"user_id": uid, "school_id": school_ids[i // staff], "role": "teacher"} for i, uid in enumerate(ids)])
        db.session.commit()
        db.session.remove()
