"""The demo for tests: built once per session (per xdist worker), a private copy for each test.

`build_demo` (what `safetyops demo` writes) costs seconds of CPU, more on PostgreSQL. The first test
that asks for `demo_app` builds it in a database of its own; every test that asks gets a Flask app
on a copy of that database (SQLite: the file copied; PostgreSQL: `CREATE DATABASE … TEMPLATE`) and
of its instance folder (the demo's documents), thrown away after the test: it may commit freely.
Loaded by tests/conftest.py (`pytest_plugins`)."""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine

from safetyops import create_app
from safetyops.extensions import db, limiter
from safetyops.time import now_utc
from tests.conftest import (
    PG_BASE,
    TEST_CONFIG,
    Client,
    _ConnectionSession,
    _drop_pg_database,
    _make_pg_database,
    _unscoped,
)

#: The password of every demo account in the copies.
DEMO_PASSWORD = "demo-password"


def pytest_configure(config):
    config.addinivalue_line("markers", "demo_at(when): `demo_app` copies a demo built at this time (UTC datetime), "
                                       "not one built now")


@dataclass(frozen=True)
class _Build:
    url: str  # the demo's own database: never opened again, only copied
    instance: Path
    built_at: dt.datetime  # the clock when the build had committed
    unscoped: tuple[str, ...]  # the scoping guard's findings during the build


def _sqlite_path(url: str) -> str:
    path = sa.engine.make_url(url).database
    assert path, url
    return path


def _build(url: str, instance: Path, at: dt.datetime | None) -> _Build:
    from safetyops.demo import build_demo

    app = create_app({**TEST_CONFIG, "DATABASE_URL": url, "INSTANCE_PATH": str(instance)})
    with contextlib.ExitStack() as stack:
        if at is not None:
            stack.enter_context(time_machine.travel(at, tick=True))
        with app.app_context():
            db.create_all()
            seen = len(_unscoped)
            build_demo(DEMO_PASSWORD)
            built_at = now_utc()
            unscoped = tuple(_unscoped[seen:])
            del _unscoped[seen:]  # reported by each test that uses a copy (see demo_app)
            db.session.remove()
            db.engine.dispose()
    if not PG_BASE:  # everything in the main file, so that a copy of the file is the whole database
        path = _sqlite_path(url)
        with contextlib.closing(sqlite3.connect(path)) as conn:
            busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        wal = Path(path + "-wal")
        assert busy == 0 and (not wal.exists() or wal.stat().st_size == 0), "the demo's WAL was not checkpointed"
    return _Build(url, instance, built_at, unscoped)


@pytest.fixture(scope="session")
def _demo_builds(fresh_database_url, tmp_path_factory) -> Callable[[dt.datetime | None], _Build]:
    """The demo, built on first use (once per worker, and per `demo_at` time) and kept for the session."""
    builds: dict[dt.datetime | None, _Build] = {}

    def get(at: dt.datetime | None) -> _Build:
        if at not in builds:
            builds[at] = _build(fresh_database_url(), tmp_path_factory.mktemp("demo-instance"), at)
        return builds[at]

    return get


@pytest.fixture
def demo_app(request, _demo_builds, tmp_path):
    """A Flask app on a private copy of the demo (every account's password: DEMO_PASSWORD).

    Use `with demo_app.app_context():` and `demo_app.test_client()` (not `app_ctx`, `client`, `f`:
    they run on the empty test database).  The copy is dropped after the test, so the test may
    commit, and run `build_demo` again to check that it changes nothing.  The test runs at the
    demo's clock: from `demo_app.demo_built_at` (when the build had committed) on, ticking, so the
    demo's "today" is the test's whenever in the session it runs.  `@pytest.mark.demo_at(when)`
    copies a demo built at that time instead (a fixed day)."""
    if "app_ctx" in request.fixturenames:
        pytest.fail("demo_app runs on its own database: use demo_app.app_context() and demo_app.test_client(), "
                    "not app_ctx, client or f", pytrace=False)
    marker = request.node.get_closest_marker("demo_at")
    build = _demo_builds(marker.args[0] if marker else None)
    instance = tmp_path / "demo-instance"
    shutil.copytree(build.instance, instance)
    pg_name = None
    if PG_BASE:  # the template has no open connection: its engine was disposed after the build
        url, pg_name = _make_pg_database(template=sa.engine.make_url(build.url).database)
    else:
        copy = tmp_path / "demo.sqlite3"
        shutil.copyfile(_sqlite_path(build.url), copy)
        url = "sqlite:///" + str(copy)
    app = create_app({**TEST_CONFIG, "DATABASE_URL": url, "INSTANCE_PATH": str(instance)})
    app.test_client_class = Client
    app.demo_built_at = build.built_at  # type: ignore[attr-defined]
    # As app_ctx does: the session refuses use from another thread (a thread that outlived its test).
    original = db.session
    db.session = db._make_scoped_session({"class_": _ConnectionSession,
                                          "info": {"test_thread": threading.get_ident()}})
    limiter.reset()
    _unscoped.extend(build.unscoped)  # as when each test built the demo itself
    try:
        with time_machine.travel(build.built_at, tick=True):
            yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        db.session = original
        if pg_name:
            _drop_pg_database(pg_name)
