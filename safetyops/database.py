"""Engine set-up.  SQLite gets WAL, a busy timeout, foreign keys, and takes its one write
lock only for transactions that write (docs/DEVELOPING.md, "Transactions on SQLite"):

* Outside a request (CLI commands, scheduler sweeps, the dispatcher) and in requests with an
  unsafe method (POST, PUT, PATCH, DELETE) a transaction begins ``BEGIN IMMEDIATE``: it
  holds the write lock from its first statement, so what it read cannot change before it
  writes (serialisable, as before).
* Requests with a safe method (GET, HEAD, OPTIONS), and every transaction begun while a
  template renders, begin deferred: they read beside the writer (WAL) and never wait for it.
* A deferred transaction that is about to write (an audit record of a read, say) would fail
  at once with SQLITE_BUSY (busy_snapshot) whatever the busy timeout if another connection
  wrote since its snapshot.  So before its first write it ends its read snapshot (it wrote
  nothing, so nothing is lost) and begins ``BEGIN IMMEDIATE``, waiting for the lock like any
  writer.  What it read before is then "read committed", as on PostgreSQL.
* When a template starts to render, a request's write transaction that has written nothing
  yet (a form that failed validation, an error page) gives the lock back and goes on as a
  read; later transactions of the request begin deferred.

PostgreSQL is left exactly as SQLAlchemy sets it up.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Iterator

import sqlalchemy as sa
from flask import g, has_request_context, request

log = logging.getLogger("safetyops.database")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: conn.info keys: the kind of the open transaction ("read"/"write"), whether it wrote,
#: and whether a request began it.
TX, WROTE, IN_REQUEST = "safetyops.sqlite_tx", "safetyops.sqlite_wrote", "safetyops.sqlite_request"
SAVEPOINTS = "safetyops.sqlite_savepoints"
_G_DEFERRED = "_sqlite_deferred"
_G_CONN = "_sqlite_conn"
_READ_HEADS = frozenset({"SELECT", "PRAGMA", "EXPLAIN", "VALUES"})
_warned: set[str] = set()


def configure_engine(engine: sa.Engine, busy_timeout_ms: int) -> None:
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy, not pysqlite, emit BEGIN (so it can be IMMEDIATE or deferred).
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
        conn.info[TX] = None  # the BEGIN below is not a write
        immediate = wants_write_lock()
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
        conn.info[TX] = "write" if immediate else "read"
        conn.info[WROTE] = False
        conn.info[SAVEPOINTS] = {}
        conn.info[IN_REQUEST] = has_request_context()
        if conn.info[IN_REQUEST]:
            setattr(g, _G_CONN, conn)

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _before_execute(conn, _cursor, statement, _parameters, context, _executemany):
        state = conn.info.get(TX)
        if state is None or not is_write(statement, context):
            return
        if state == "read":
            _take_write_lock(conn)
        _track_writes(conn, statement)


def _track_writes(conn, statement: str) -> None:
    """Whether the transaction has written anything that a ROLLBACK TO SAVEPOINT did not undo."""
    words = statement.split()
    head = words[0].upper()
    saved = conn.info.setdefault(SAVEPOINTS, {})
    if head == "SAVEPOINT":
        saved[words[-1]] = conn.info.get(WROTE, False)
    elif head == "RELEASE":
        saved.pop(words[-1], None)
    elif head == "ROLLBACK" and len(words) > 1:  # ROLLBACK TO [SAVEPOINT] name
        conn.info[WROTE] = saved.get(words[-1], conn.info.get(WROTE, False))
    else:
        conn.info[WROTE] = True


def wants_write_lock() -> bool:
    """BEGIN IMMEDIATE outside requests and for unsafe methods, unless the request renders by now."""
    if not has_request_context():
        return True
    if g.get(_G_DEFERRED):
        return False
    return request.method not in SAFE_METHODS


def is_write(statement: str, context=None) -> bool:
    """Anything but a plain read counts as a write (SAVEPOINT too: savepoints wrap writes)."""
    words = statement.lstrip(" \t\r\n(").split(None, 1)
    head = words[0].upper() if words else ""
    if head == "WITH":
        return bool(context is not None and (context.isinsert or context.isupdate or context.isdelete))
    return head not in _READ_HEADS


def _take_write_lock(conn) -> None:
    raw = conn.connection.dbapi_connection
    if raw.in_transaction:
        raw.execute("COMMIT")  # a read-only snapshot: ending it loses nothing
    try:
        raw.execute("BEGIN IMMEDIATE")  # waits up to the busy timeout, like any writer
    except sqlite3.OperationalError:
        raw.execute("BEGIN")  # still in a transaction, as SQLAlchemy believes; the error goes up
        raise
    conn.info[TX] = "write"


def reads_only_from_here() -> None:
    """The rest of this request reads: release a write lock that wrote nothing; begin deferred from now on."""
    if not has_request_context():
        return
    setattr(g, _G_DEFERRED, True)
    conn = g.get(_G_CONN)
    if conn is None or conn.closed or not conn.in_transaction() or conn.info.get(TX) != "write":
        return
    if not conn.info.get(IN_REQUEST) or conn.in_nested_transaction():
        return
    if conn.info.get(WROTE):
        endpoint = request.endpoint or request.path
        if endpoint not in _warned:
            _warned.add(endpoint)
            log.warning("%s %s renders with uncommitted writes: the write lock is held while it renders",
                        request.method, endpoint)
        return
    raw = conn.connection.dbapi_connection
    if raw.in_transaction:
        raw.execute("COMMIT")  # wrote nothing
    raw.execute("BEGIN")
    conn.info[TX] = "read"


def _before_render(_sender, **_extra) -> None:
    reads_only_from_here()


def init_app(app) -> None:
    """Release the write lock before rendering (SQLite; a no-op elsewhere)."""
    from flask import before_render_template

    before_render_template.connect(_before_render, app)


def is_lock_error(err: BaseException) -> bool:
    """SQLite's "database is locked" / "database table is locked" / busy, raw or wrapped by SQLAlchemy."""
    orig = err.orig if isinstance(err, sa.exc.DBAPIError) else err
    if not isinstance(orig, sqlite3.OperationalError):
        return False
    text = str(orig).lower()
    return "locked" in text or "busy" in text


def unit_memo() -> dict | None:
    """A memo for the current unit of work (one web request), or None outside one.

    The web layer opens it when a request starts and drops it when the request ends
    (`unit_of_work_memo`, used by `safetyops.uow`); services keep per-request results there (one
    clock, dues computed once) without reading Flask's globals.  Outside a request (jobs,
    commands) there is none, so each call computes afresh."""
    from .extensions import db

    return db.session.info.get("unit_memo")


@contextlib.contextmanager
def unit_of_work_memo() -> Iterator[dict]:
    """Open the memo `unit_memo()` returns for the duration of one unit of work."""
    from .extensions import db

    db.session.info["unit_memo"] = memo = {}
    try:
        yield memo
    finally:
        db.session.info.pop("unit_memo", None)
