"""The audit log is append-only in the database and a hash chain; the retention purge keeps it verifiable."""

from __future__ import annotations

import datetime as dt
import os

import pytest
import sqlalchemy as sa
import time_machine
from click.testing import CliRunner

from safetyops.audit import services as audit
from safetyops.audit.models import GENESIS, AuditEvent, event_hash
from safetyops.extensions import db

T0 = dt.datetime(2023, 1, 10, 9, 0, tzinfo=dt.UTC)


def _events():
    return list(db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq)))


def _write(f, n=3, action="test.write"):
    school = f.school_a
    out = [audit.record(None, school, action, detail=f"n={i} ✓ Ө") for i in range(n)]
    db.session.flush()
    return out


def test_each_event_carries_the_hash_of_the_one_before(f):
    _write(f, 3)
    events = _events()
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[0].prev_hash == GENESIS
    for before, after in zip(events, events[1:], strict=False):
        assert after.prev_hash == before.hash
    assert all(e.hash == event_hash(e) and len(e.hash) == 64 for e in events)
    assert audit.verify_chain().ok


def test_an_event_undone_with_its_savepoint_leaves_no_gap(f):
    _write(f, 1)
    nested = db.session.begin_nested()
    audit.record(None, f.school_a, "test.undone")
    db.session.flush()
    nested.rollback()
    _write(f, 1)
    assert [e.seq for e in _events()] == [1, 2]
    assert audit.verify_chain().ok


@pytest.mark.parametrize("sql", ["UPDATE audit_events SET detail = 'forged'",
                                 "UPDATE audit_events SET user_id = NULL",
                                 "DELETE FROM audit_events"])
def test_the_database_refuses_to_change_or_delete_an_event(f, sql):
    _write(f, 2)
    nested = db.session.begin_nested()
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        db.session.execute(sa.text(sql))
    nested.rollback()
    assert len(_events()) == 2


def test_the_orm_cannot_delete_an_event_either(f):
    (event,) = _write(f, 1)
    nested = db.session.begin_nested()
    db.session.delete(event)
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        db.session.flush()
    nested.rollback()


def _bypass_triggers():
    """Test only: drop the triggers inside the test's transaction (rolled back after the test)."""
    if db.session.bind.dialect.name == "postgresql":
        db.session.execute(sa.text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
    else:
        db.session.execute(sa.text("DROP TRIGGER audit_events_no_update"))
        db.session.execute(sa.text("DROP TRIGGER audit_events_no_delete"))


def test_verify_names_the_event_that_was_changed_or_removed(f):
    events = _write(f, 5)
    _bypass_triggers()
    db.session.execute(sa.text("UPDATE audit_events SET detail = 'forged' WHERE seq = 2"))
    db.session.execute(sa.text("DELETE FROM audit_events WHERE seq = 4"))
    db.session.expire_all()
    verdict = audit.verify_chain()
    assert not verdict.ok
    found = {(b.seq, b.reason.split()[0]) for b in verdict.breaks}
    assert (2, "content") in found
    assert (5, "events") in found  # 4 is missing
    assert events[0].seq == 1


def test_purge_deletes_only_old_events_records_itself_and_keeps_the_chain_verifiable(f):
    with time_machine.travel(T0, tick=False):
        _write(f, 3, "old.event")
    with time_machine.travel(T0 + dt.timedelta(days=1000), tick=False):
        _write(f, 2, "recent.event")
    now = T0 + dt.timedelta(days=1100)
    with time_machine.travel(now, tick=False):
        assert audit.purge_expired(now, 1096) == 3
        assert audit.purge_expired(now, 1096) == 0  # idempotent: nothing older is left
        _write(f, 1, "after.purge")
    events = _events()
    assert [e.action for e in events] == ["recent.event", "recent.event", "audit.purge", "after.purge"]
    anchor = events[2]
    assert anchor.user_id is None and '"deleted": 3' in anchor.detail and '"through_seq": 3' in anchor.detail
    verdict = audit.verify_chain()
    assert verdict.ok, verdict.breaks
    assert verdict.first_seq == 4
    # The door the purge opened is shut again.
    nested = db.session.begin_nested()
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        db.session.execute(sa.text("DELETE FROM audit_events"))
    nested.rollback()


def test_purge_when_everything_is_old_keeps_the_newest_and_still_verifies(f):
    with time_machine.travel(T0, tick=False):
        _write(f, 3)
    now = T0 + dt.timedelta(days=2000)
    assert audit.purge_expired(now, 1096) == 2
    assert [e.action for e in _events()] == ["test.write", "audit.purge"]
    assert audit.verify_chain().ok
    later = now + dt.timedelta(days=1)
    assert audit.purge_expired(later, 1096) == 1  # the old one kept last night; the anchor stays
    assert [e.action for e in _events()] == ["audit.purge", "audit.purge"]
    assert audit.verify_chain().ok


def test_retention_zero_keeps_everything(f):
    with time_machine.travel(T0, tick=False):
        _write(f, 2)
    assert audit.purge_expired(T0 + dt.timedelta(days=5000), 0) == 0
    assert len(_events()) == 2


def test_old_events_deleted_without_an_anchor_are_reported(f):
    _write(f, 3)
    _bypass_triggers()
    db.session.execute(sa.text("DELETE FROM audit_events WHERE seq = 1"))
    verdict = audit.verify_chain()
    assert [b.seq for b in verdict.breaks] == [2]


def test_nightly_hook_purges_with_the_configured_retention(f, app, monkeypatch):
    from safetyops.scheduler.catalogue import nightly_hooks

    monkeypatch.setitem(app.config, "AUDIT_RETENTION_DAYS", 30)
    with time_machine.travel(T0, tick=False):
        _write(f, 2)
    with time_machine.travel(T0 + dt.timedelta(days=31), tick=False):
        _write(f, 1, "today")
        nightly_hooks()["audit.retention"](T0 + dt.timedelta(days=31))
    assert [e.action for e in _events()] == ["today", "audit.purge"]
    assert app.config["AUDIT_RETENTION_DAYS"] == 30


def test_default_retention_is_three_years():
    from safetyops.config import DEFAULTS

    assert DEFAULTS["AUDIT_RETENTION_DAYS"] == 1096


def test_cli_verify_prints_ok_and_where_it_breaks(app, f):
    _write(f, 3)
    runner = CliRunner()
    from safetyops.audit.cli import cli

    result = runner.invoke(cli, ["verify"], obj=_script_info(app))
    assert result.exit_code == 0, result.output
    assert "3 events checked" in result.output and "OK" in result.output
    _bypass_triggers()
    db.session.execute(sa.text("UPDATE audit_events SET action = 'forged' WHERE seq = 2"))
    result = runner.invoke(cli, ["verify"], obj=_script_info(app))
    assert result.exit_code == 1
    assert "BROKEN at event seq=2" in result.output


def _script_info(app):
    from flask.cli import ScriptInfo

    return ScriptInfo(create_app=lambda: app)


@pytest.mark.skipif(not os.environ.get("SAFETYOPS_TEST_DATABASE_URL"), reason="PostgreSQL only")
def test_a_second_writer_waits_for_the_chain_lock_instead_of_forking(app):
    """Two transactions appending at once: the second waits on the advisory lock (here: gives up after
    its lock_timeout) rather than reading the same last event.  SQLite's one write lock does the same."""
    from sqlalchemy.orm import Session

    with app.app_context():
        first, second = Session(bind=db.engine), Session(bind=db.engine)
        try:
            first.add(AuditEvent(action="test.first", detail=""))
            first.flush()
            second.connection().exec_driver_sql("SET lock_timeout = '200ms'")
            second.add(AuditEvent(action="test.second", detail=""))
            with pytest.raises(sa.exc.OperationalError, match="lock timeout"):
                second.flush()
        finally:
            second.rollback()
            first.rollback()
            second.close()
            first.close()
