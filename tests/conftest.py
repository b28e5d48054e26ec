"""Fixtures: one app per test session, a transaction rolled back per test, factories.

The suite runs on SQLite by default and on PostgreSQL when SAFETYOPS_TEST_DATABASE_URL
is set (a database of its own is created for the run and dropped after it)."""

from __future__ import annotations

import os
import re
import threading
import uuid

import pytest
import sqlalchemy as sa
from flask import has_app_context
from flask.testing import FlaskClient
from flask_sqlalchemy.session import Session as FsaSession

from safetyops import create_app, scoping
from safetyops.extensions import db, limiter
from tests import factories

PG_BASE = os.environ.get("SAFETYOPS_TEST_DATABASE_URL", "")

#: `demo_app`: a private copy of the demo, built once per session (tests/demo_fixtures.py).
pytest_plugins = ["tests.demo_fixtures"]

TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key",
    # Low-cost argon2id for speed; production defaults are tested separately.
    "ARGON2_TIME_COST": 1,
    "ARGON2_MEMORY_COST": 8,
    "ARGON2_PARALLELISM": 1,
    "SERVER_NAME": "localhost",
    "RATELIMIT_STORAGE_URI": "memory://",
    # Tests read messages in English (the source language); the Kyrgyz default and the four
    # catalogues have their own tests (tests/test_i18n.py).
    "DEFAULT_LOCALE": "en",
    # Non-urgent SMS are held a minute and those due together for one person merged in production;
    # tests that queue and dispatch at one frozen instant count single messages
    # (tests/notifications/test_one_per_event.py turns both on).
    "SMS_MERGE_HOLD_S": 0,
    "SMS_MERGE_MAX_SEGMENTS": 0,
}


def _make_pg_database(template: str | None = None) -> tuple[str, str]:
    """A new database: empty, or a copy of `template` (which must have no open connection)."""
    base = sa.engine.make_url(PG_BASE)
    name = f"safetyops_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False), name


def _drop_pg_database(name: str) -> None:
    admin = sa.create_engine(sa.engine.make_url(PG_BASE), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A fresh, empty database for this test run."""
    if PG_BASE:
        url, name = _make_pg_database()
        yield url
        _drop_pg_database(name)
    else:
        yield "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture(scope="session")
def fresh_database_url(tmp_path_factory):
    """Factory for further empty databases (migration tests, processes)."""
    made = []

    def make():
        if PG_BASE:
            url, name = _make_pg_database()
            made.append(name)
            return url
        return "sqlite:///" + str(tmp_path_factory.mktemp("db") / f"{uuid.uuid4().hex}.sqlite3")

    yield make
    for name in made:
        _drop_pg_database(name)


class _ConnectionSession(FsaSession):
    """Flask-SQLAlchemy's session ignores `bind=`; the test transaction needs it honoured.

    Only the test's own thread may use it: a thread that outlived an earlier test (a scheduler
    job, a server) would otherwise run its queries inside this test's transaction, and the test
    fails later with "no such savepoint" or a lock error instead of here, by name."""

    def get_bind(self, *args, **kwargs):
        owner = self.info.get("test_thread")
        if owner is not None and owner != threading.get_ident():
            raise RuntimeError(f"thread {threading.current_thread().name!r} used the database session of the "
                               "test running in another thread: stop every thread before its test ends")
        return self.bind if self.bind is not None else super().get_bind(*args, **kwargs)


class Client(FlaskClient):
    """A test client that sends forms the way a browser does: with the page's CSRF token.

    Tests keep one app context open (for the rolled-back transaction), so Flask reuses it
    for every request; `g` is emptied before each request, as a fresh context would be."""

    def open(self, *args, **kwargs):
        from flask import g

        if has_app_context():
            g.__dict__.clear()
            # What the test made before this request exists before it, as it would on a server:
            # the request's unit of work may roll back its own work, never the test's set-up.
            db.session.commit()
        return super().open(*args, **kwargs)

    def csrf_token(self, page: str = "/login") -> str:
        html = self.get(page).get_data(as_text=True)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
        assert match, f"no CSRF token on {page}"
        return match.group(1)

    def submit(self, url: str, data: dict | None = None, page: str | None = None, **kw):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token(page or url))
        return self.post(url, data=data, **kw)


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    application = create_app({**TEST_CONFIG, "DATABASE_URL": database_url,
                              "INSTANCE_PATH": str(tmp_path_factory.mktemp("instance"))})
    application.test_client_class = Client
    with application.app_context():
        db.create_all()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app_ctx(app):
    """An app context whose session runs inside a transaction rolled back after the test."""
    with app.app_context():
        conn = db.engine.connect()
        outer = conn.begin()
        db.session.remove()
        original = db.session
        db.session = db._make_scoped_session(
            {"class_": _ConnectionSession, "bind": conn, "join_transaction_mode": "create_savepoint",
             "info": {"test_thread": threading.get_ident()}})
        limiter.reset()
        try:
            yield
        finally:
            db.session.remove()
            db.session = original
            if outer.is_active:
                outer.rollback()
            conn.close()


@pytest.fixture
def client(app, app_ctx) -> Client:
    return app.test_client()


@pytest.fixture
def f(app_ctx):
    """Factories bound to this test's transaction."""
    return factories.Factories()


def login(client: Client, user) -> None:
    """Sign in without the password round-trip (the sign-in form has its own tests).

    `user` is a User or the id that its `get_id()` returns."""
    with client.session_transaction() as sess:
        sess["_user_id"] = user if isinstance(user, str) else user.get_id()
        sess["_fresh"] = True


@pytest.fixture
def as_role(client, f):
    """as_role("director") -> a user of that role at the main school, signed in on `client`."""

    def sign_in(role: str, school=None):
        user = f.user(role=role, school=school or f.school_a)
        login(client, user)
        return user

    return sign_in


# ---------------------------------------------------------------- no thread outlives its test

_THREADS_BEFORE_CALL = pytest.StashKey[set]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    item.stash[_THREADS_BEFORE_CALL] = set(threading.enumerate())
    return (yield)


@pytest.fixture(autouse=True)
def _no_thread_outlives_its_test(request):
    """Fail a test whose body leaves a thread running (browser tests' server threads are theirs).

    The threads are still joined (generously: a loaded machine) so that the next test is safe."""
    yield
    before = request.node.stash.get(_THREADS_BEFORE_CALL, None)
    if before is None or request.node.get_closest_marker("browser"):
        return
    left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    for thread in left:
        thread.join(timeout=60)
    left = [t for t in left if not _limits_expiry_timer(t)]
    if left:
        pytest.fail(f"threads still running after the test: {[t.name for t in left]}; stop and join them "
                    "before the test ends (unit tests run sweeps by hand: see docs/DEVELOPING.md, Tests)")


def _limits_expiry_timer(thread) -> bool:
    """Flask-Limiter's in-memory storage (`limits`) expires its counters from a 10 ms
    `threading.Timer` that every counted request may start; it touches no database."""
    owner = getattr(getattr(thread, "function", None), "__self__", None)
    return isinstance(thread, threading.Timer) and type(owner).__module__.startswith("limits.storage")


# ---------------------------------------------------------------- scoping guard
#: Reads of school rows without a school criterion seen during the current test (app code only).
_unscoped: list[str] = []


@sa.event.listens_for(sa.orm.Session, "do_orm_execute")
def _scoping_guard(state):
    why = scoping.check(state)
    if why:
        where = scoping.caller_line(())
        if where != "?":  # the test's own checks may read anything
            _unscoped.append(f"{where}: {why}")


@pytest.fixture(autouse=True)
def _every_read_names_its_school(request):
    """A read of a school's rows in the app's code must name the school, or say why it spans schools
    (`safetyops.scoping.cross_school`).  Browser tests are left out (their server thread serves
    other tests' pages too); their pages are the views these tests already run."""
    _unscoped.clear()
    yield
    found = sorted(set(_unscoped))
    _unscoped.clear()
    if found and request.node.get_closest_marker("browser") is None:
        pytest.fail("reads of school rows without a school criterion (scope them with scoping.in_school /"
                    " owned / access.scoped, or mark a read that spans schools on purpose with"
                    " scoping.cross_school(reason)):\n  " + "\n  ".join(found), pytrace=False)
