"""Engine set-up: SQLite gets WAL, a busy timeout, foreign keys and BEGIN IMMEDIATE."""

from __future__ import annotations

import sqlalchemy as sa


def configure_engine(engine: sa.Engine, busy_timeout_ms: int) -> None:
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy, not pysqlite, emit BEGIN (so it can be IMMEDIATE).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn):
        # A write transaction that starts as a read can fail with SQLITE_BUSY when it
        # upgrades, whatever the busy timeout: take the write lock up front.
        conn.exec_driver_sql("BEGIN IMMEDIATE")
