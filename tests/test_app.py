"""The factory, configuration, database set-up, health check, migrations."""

import os

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from safetyops import create_app
from safetyops.extensions import db
from tests.conftest import TEST_CONFIG


def test_factory_has_no_side_effects(tmp_path, monkeypatch):
    monkeypatch.delenv("SAFETYOPS_DATABASE_URL", raising=False)
    inst = tmp_path / "instance"
    app = create_app({"INSTANCE_PATH": str(inst)})
    assert not inst.exists()  # no folder, no database file, no secret key written
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///" + str(inst / "safetyops.sqlite3")
    assert app.config["SECRET_KEY_EPHEMERAL"] is True


def test_configuration_order_defaults_instance_file_environment_mapping(tmp_path, monkeypatch):
    inst = tmp_path / "inst"
    inst.mkdir()
    (inst / "safetyops.cfg").write_text('DEFAULT_LOCALE = "ru"\nSESSION_HOURS = 4\nSMS_SENDER = "file"\n')
    monkeypatch.setenv("SAFETYOPS_SESSION_HOURS", "6")
    monkeypatch.setenv("SAFETYOPS_DATABASE_URL", "sqlite:///" + str(tmp_path / "env.sqlite3"))
    app = create_app({"INSTANCE_PATH": str(inst), "SMS_SENDER": "mapping"})
    assert app.config["DEFAULT_LOCALE"] == "ru"  # instance file over defaults
    assert app.config["SESSION_HOURS"] == 6  # environment over the file (JSON-parsed)
    assert app.config["SMS_SENDER"] == "mapping"  # the mapping over everything
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("env.sqlite3")


def test_sqlite_runs_with_wal_busy_timeout_and_foreign_keys(tmp_path):
    app = create_app({**TEST_CONFIG, "DATABASE_URL": "sqlite:///" + str(tmp_path / "x.sqlite3")})
    with app.app_context():
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15000
        db.engine.dispose()


def test_healthz_ok(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.get_json() == {"status": "ok", "db": "ok"}


def test_healthz_503_when_the_database_is_unreachable(tmp_path):
    app = create_app({**TEST_CONFIG, "INSTANCE_PATH": str(tmp_path),
                      "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"})
    app.logger.disabled = True
    r = app.test_client().get("/healthz")
    assert r.status_code == 503 and r.get_json()["db"] == "unreachable"


def test_migrations_build_exactly_the_models(fresh_database_url, tmp_path):
    from flask_migrate import upgrade

    url = fresh_database_url()
    app = create_app({**TEST_CONFIG, "DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
        db.engine.dispose()
    assert diff == [], "models and migrations differ: run `safetyops db migrate`"


@pytest.mark.skipif(not os.environ.get("SAFETYOPS_TEST_DATABASE_URL"), reason="PostgreSQL only")
def test_postgres_url_uses_psycopg3(app, app_ctx):
    assert db.engine.dialect.driver == "psycopg"


def test_templates_static_checklists_and_migrations_resolve():
    from safetyops.paths import resource_dir

    for name in ("templates", "static", "checklists", "migrations"):
        assert resource_dir(name).is_dir(), name
    assert (resource_dir("translations")).is_dir()


def test_rollback_per_test_really_rolls_back(f):
    f.school(name="temporary")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(sa.text("schools"))) >= 1
