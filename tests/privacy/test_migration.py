"""The migration chains the events already there, adds the triggers and builds exactly the models."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from safetyops import create_app
from safetyops.extensions import db
from tests.conftest import TEST_CONFIG


def test_upgrade_chains_existing_events_and_refuses_changes(fresh_database_url, tmp_path):
    from flask_migrate import upgrade

    from safetyops.audit.services import verify_chain

    app = create_app({**TEST_CONFIG, "DATABASE_URL": fresh_database_url(), "INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        upgrade(revision="8d8142a61ee5")
        with db.engine.begin() as conn:
            for i in range(3):
                conn.execute(sa.text("INSERT INTO audit_events (created_dt, action, object_type, object_id, source, "
                                     "detail) VALUES (:t, :a, '', '', 'cli', :d)"),
                             {"t": f"2025-01-0{i + 1} 10:00:00.000000", "a": "old.event", "d": f"n={i}"})
        upgrade(revision="c4a7e9d2b310")
        verdict = verify_chain()
        assert verdict.ok and verdict.checked == 3, verdict.breaks
        db.session.rollback()
        with db.engine.connect() as conn, pytest.raises(sa.exc.DatabaseError, match="append-only"):
            conn.execute(sa.text("UPDATE audit_events SET detail = 'x'"))
        with db.engine.connect() as conn, pytest.raises(sa.exc.DatabaseError, match="append-only"):
            conn.execute(sa.text("DELETE FROM audit_events"))
        upgrade(revision="heads")
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
        db.session.remove()
        db.engine.dispose()
    assert diff == [], "models and migrations differ"
