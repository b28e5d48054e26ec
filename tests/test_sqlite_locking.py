"""SQLite takes its write lock only for transactions that write (safetyops/database.py).

Each test builds its own app on a real SQLite *file* (WAL) and uses a second, raw connection
with a busy timeout of 0: "is the write lock free?" is then a question of lock state, answered
at once, never of timing.  A lock that stays taken answers 503 with Retry-After.
"""

from __future__ import annotations

import re
import sqlite3

import pytest
import sqlalchemy as sa
from flask import template_rendered

from safetyops import create_app
from safetyops.database import TX, is_write
from safetyops.extensions import db
from safetyops.schools.models import District
from tests import factories
from tests.conftest import TEST_CONFIG, Client, login


@pytest.fixture
def file_app(tmp_path):
    path = tmp_path / "lock.sqlite3"
    app = create_app({**TEST_CONFIG, "DATABASE_URL": f"sqlite:///{path}", "INSTANCE_PATH": str(tmp_path),
                      "SQLITE_BUSY_TIMEOUT_MS": 0})
    app.test_client_class = Client
    app.config["DB_PATH"] = str(path)
    with app.app_context():
        db.create_all()
        db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def other(file_app):
    """A second connection to the same file that never waits for a lock."""
    conn = sqlite3.connect(file_app.config["DB_PATH"], timeout=0, isolation_level=None)
    yield conn
    if conn.in_transaction:
        conn.execute("ROLLBACK")
    conn.close()


def write_lock_is_free(conn: sqlite3.Connection) -> bool:
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as err:
        assert "locked" in str(err)
        return False
    conn.execute("ROLLBACK")
    return True


def make_people(app, role="director", locale="en"):
    with app.app_context():
        f = factories.Factories()
        user = f.user(role, locale=locale)
        db.session.commit()
        login_id, school_id = user.get_id(), f.school_a.id
        db.session.remove()
    return login_id, school_id


def sign_in(app, login_id):
    client = app.test_client()

    class _U:  # login() only needs get_id()
        def get_id(self):
            return login_id

    login(client, _U())
    return client


def test_statements_that_need_the_write_lock():
    assert not is_write("SELECT 1") and not is_write("  (SELECT 1) UNION SELECT 2") and not is_write("PRAGMA x")
    assert is_write("INSERT INTO t VALUES (1)") and is_write("UPDATE t SET x = 1") and is_write("DELETE FROM t")
    assert is_write("SAVEPOINT sa_savepoint_1")


def test_a_read_does_not_wait_behind_an_open_writer(file_app, other):
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO districts (name, country) VALUES ('held open', 'KG')")
    with file_app.test_request_context("/", method="GET"):
        # busy_timeout is 0: a read that queued for the write lock would raise "database is locked"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(District)) == 0
        db.session.rollback()


def test_a_get_request_does_not_take_the_write_lock(file_app, other):
    user_id, _ = make_people(file_app)
    client = sign_in(file_app, user_id)
    seen = []

    def probe(*_args, **_extra):
        assert db.session().in_transaction()  # the user and the school are loaded by now
        seen.append((db.session.connection().info[TX], write_lock_is_free(other)))

    file_app.before_request(probe)  # after the app's own: just before the view
    with template_rendered.connected_to(probe, file_app):
        r = client.get("/zones")
    assert r.status_code == 200
    assert len(seen) >= 2 and all(tx == "read" and free for tx, free in seen), seen


def test_a_read_that_then_writes_waits_for_the_lock_instead_of_failing(file_app, other):
    """The busy_snapshot trap: a deferred reader whose snapshot is stale cannot simply upgrade."""
    with file_app.test_request_context("/", method="GET"):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(District)) == 0  # the snapshot
        other.execute("INSERT INTO districts (name, country) VALUES ('written meanwhile', 'KG')")  # autocommit
        db.session.add(District(name="written by the GET", country="KG"))  # an audit record, say
        db.session.commit()
        names = set(db.session.scalars(sa.select(District.name)))
        db.session.remove()
    assert names == {"written meanwhile", "written by the GET"}


def test_a_post_holds_the_write_lock_until_it_renders(file_app, other):
    from flask import render_template_string

    with file_app.test_request_context("/", method="POST"):
        db.session.scalar(sa.select(sa.func.count()).select_from(District))
        assert not write_lock_is_free(other)  # what the POST read cannot change before it writes
        render_template_string("{{ 1 }}")  # it wrote nothing: the lock is given back to render
        assert write_lock_is_free(other)
        db.session.scalar(sa.select(sa.func.count()).select_from(District))
        assert write_lock_is_free(other)
        db.session.remove()


def test_a_form_that_fails_validation_renders_without_the_write_lock(file_app, other):
    user_id, _ = make_people(file_app)
    client = sign_in(file_app, user_id)
    seen = []

    def probe(sender, template, context, **extra):
        seen.append(write_lock_is_free(other))

    token = client.csrf_token("/zones/new")
    with template_rendered.connected_to(probe, file_app):
        r = client.post("/zones/new", data={"csrf_token": token, "name": ""})
    assert r.status_code in (200, 422)
    assert seen and all(seen)


def test_a_write_rendered_before_commit_keeps_its_lock(file_app, other):
    from flask import render_template_string

    with file_app.test_request_context("/", method="POST"):
        db.session.add(District(name="not yet committed", country="KG"))
        db.session.flush()
        render_template_string("{{ 1 }}")
        assert not write_lock_is_free(other)  # never released under an uncommitted write
        db.session.rollback()
        assert write_lock_is_free(other)
        db.session.remove()


def test_a_held_lock_answers_503_with_retry_after_in_the_persons_language(file_app, other):
    user_id, _ = make_people(file_app, locale="ru")
    client = sign_in(file_app, user_id)
    token = client.csrf_token("/zones/new")
    other.execute("BEGIN IMMEDIATE")  # another writer holds the lock for longer than the busy timeout
    r = client.post("/zones/new", data={"csrf_token": token, "name": "Спортзал", "client_id": "abc123"})
    html = r.get_data(as_text=True)
    assert r.status_code == 503
    assert r.headers["Retry-After"] == "2"
    assert '<html lang="ru"' in html
    # the same form, the same client-made id, ready to be sent again by static/js/app.js
    form = re.search(r'<form method="post"[^>]*data-retry-after="2"[^>]*>(.*?)</form>', html, re.S)
    assert form and 'name="client_id" value="abc123"' in form.group(1) and 'value="Спортзал"' in form.group(1)
    other.execute("ROLLBACK")
    with file_app.app_context():
        assert db.session.scalar(sa.text("SELECT count(*) FROM zones")) == 0  # nothing half-stored
        db.session.remove()


def test_a_held_lock_answers_json_503_to_the_phone_script(file_app, other):
    user_id, _ = make_people(file_app)
    client = sign_in(file_app, user_id)
    token = client.csrf_token("/zones/new")
    other.execute("BEGIN IMMEDIATE")
    r = client.post("/zones/new", data={"name": "Gym"},
                    headers={"X-CSRFToken": token, "Accept": "application/json", "X-Requested-With": "fetch"})
    assert r.status_code == 503 and r.headers["Retry-After"] == "2"
    assert r.get_json()["error"] == 503 and r.get_json()["message"]


def test_a_secret_is_never_echoed_back(file_app, other):
    user_id, _ = make_people(file_app)
    client = sign_in(file_app, user_id)
    token = client.csrf_token("/zones/new")
    other.execute("BEGIN IMMEDIATE")
    r = client.post("/zones/new", data={"csrf_token": token, "name": "x", "password": "hunter22"})
    assert r.status_code == 503 and "hunter22" not in r.get_data(as_text=True)
    assert "data-retry-after" not in r.get_data(as_text=True)


def test_postgresql_engines_are_left_alone(tmp_path):
    app = create_app({**TEST_CONFIG, "INSTANCE_PATH": str(tmp_path),
                      "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    with app.app_context():
        assert not db.engine.dispatch.begin and not db.engine.dispatch.before_cursor_execute
