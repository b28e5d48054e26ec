"""The no-overlap guard under concurrent writers (a database of its own, real connections)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError

from safetyops.extensions import db
from safetyops.rosters import services
from safetyops.rosters.models import Shift

MONDAY = dt.date(2026, 11, 23)


@pytest.mark.slow  # real threads on real connections: in the process-test stage of .ci/test
def test_overlap_guard_holds_under_concurrent_writers(fresh_database_url):
    """Two connections insert overlapping shifts for one person at once: exactly one wins.

    The waits are generous (a busy machine): the SQLite busy timeout and the barrier's."""
    from safetyops import create_app
    from tests import factories
    from tests.conftest import TEST_CONFIG

    app = create_app({**TEST_CONFIG, "DATABASE_URL": fresh_database_url(), "SQLITE_BUSY_TIMEOUT_MS": 120_000})
    with app.app_context():
        db.create_all()
        fx = factories.Factories()
        teacher = fx.user("teacher")
        p1, p2 = fx.post(start="08:00", end="13:00"), fx.post(start="09:00", end="12:00")
        s1 = services.shift_window(p1, MONDAY, "Asia/Bishkek")
        s2 = services.shift_window(p2, MONDAY, "Asia/Bishkek")
        ids = (fx.school_a.id, teacher.id)
        pids = (p1.id, p2.id)
        db.session.commit()
        engine = db.engine
    barrier = threading.Barrier(2, timeout=150)  # a thread that failed to connect breaks it, no hang
    outcomes = []

    def write(post_id, window):
        try:
            with engine.connect() as conn:
                barrier.wait()
                with conn.begin():
                    conn.execute(sa.insert(Shift.__table__).values(
                        school_id=ids[0], post_id=post_id, user_id=ids[1], day=MONDAY, start_dt=window[0],
                        end_dt=window[1], is_published=True, is_manual=True, created_dt=window[0]))
            outcomes.append("ok")
        except IntegrityError:
            outcomes.append("refused")
        except OperationalError as err:  # PostgreSQL may refuse one of the two as a deadlock: also a refusal
            assert getattr(err.orig, "sqlstate", None) == "40P01", err
            outcomes.append("refused")

    threads = [threading.Thread(target=write, args=(pids[0], s1)), threading.Thread(target=write, args=(pids[1], s2))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok", "refused"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Shift)) == 1
        db.session.remove()
        db.engine.dispose()
