"""The audit trail: append-only and tamper-evident.

* **Append-only in the database.**  Triggers refuse every UPDATE and DELETE of `audit_events`
  (and TRUNCATE on PostgreSQL).  The one exception is the retention purge
  (`services.purge_expired`): on PostgreSQL it sets the transaction-local setting
  `safetyops.audit_purge` just around its DELETE; on SQLite the trigger asks the SQL function
  `safetyops_audit_purging()`, which this module registers on every SQLite connection and which
  answers 1 only inside that purge.  A connection without the function (the sqlite3 shell, any
  other program) cannot delete at all.  The triggers are made by the migration and, for
  `db.create_all()` (tests, the demo), by the DDL attached to the table below.
* **Tamper-evident.**  Every event carries its place in the chain (`seq`), the hash of the event
  before it (`prev_hash`) and its own hash: sha256 over a canonical serialisation of its content
  and `prev_hash` (`event_hash`).  The hash is filled in when the event is flushed, after taking
  the chain's lock: on PostgreSQL a transaction-level advisory lock, on SQLite the database's one
  write lock; so two writers never read the same "last event" and fork the chain.
  `safetyops audit verify` walks the chain and names the first event where it breaks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from contextvars import ContextVar

import sqlalchemy as sa
from sqlalchemy import DDL, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from ..extensions import db
from ..models_base import intpk
from ..time import now_utc

#: prev_hash of the very first event.
GENESIS = "0" * 64
#: Key of the PostgreSQL advisory lock that serialises appends to the chain.
CHAIN_LOCK_KEY = 0x5AFE_0A0D17
#: PostgreSQL setting (transaction-local) that lets the purge delete.
PURGE_SETTING = "safetyops.audit_purge"
#: SQLite function the delete trigger asks.
PURGE_FUNCTION = "safetyops_audit_purging"

_purging: ContextVar[bool] = ContextVar("safetyops_audit_purging", default=False)


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_school_created", "school_id", "created_dt"),)

    id: Mapped[intpk]
    #: Place in the hash chain: 1, 2, 3… (filled in at flush).
    seq: Mapped[int] = mapped_column(sa.BigInteger, unique=True)
    #: When (UTC).
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)
    #: Who acted; None for the system (scheduler, CLI without a user).
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    #: Which school's data; None for actions outside any school.
    school_id: Mapped[int | None] = mapped_column(sa.ForeignKey("schools.id", ondelete="SET NULL"))
    #: What: "<area>.<verb>", e.g. "staff.create", "staff.read".
    action: Mapped[str] = mapped_column(sa.String(60), index=True)
    #: Kind of record touched, e.g. "user", "zone".
    object_type: Mapped[str] = mapped_column(sa.String(40), default="")
    #: Its id, as text.
    object_id: Mapped[str] = mapped_column(sa.String(40), default="")
    #: From where: client address (after ProxyFix) or "cli".
    source: Mapped[str] = mapped_column(sa.String(64), default="")
    #: Short detail (changed field names; never passwords).
    detail: Mapped[str] = mapped_column(sa.Text, default="")
    #: Hash of the previous event in the chain (GENESIS for the first).
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    #: sha256 of this event's content and prev_hash (see event_hash).
    hash: Mapped[str] = mapped_column(sa.String(64))

    user: Mapped[User | None] = relationship()  # noqa: F821


def canonical(ev) -> bytes:
    """The bytes that are hashed: the content fields in a fixed order, as ASCII JSON."""
    created = ev.created_dt.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return json.dumps(
        [ev.seq, created, ev.user_id, ev.school_id, ev.action, ev.object_type or "", ev.object_id or "",
         ev.source or "", ev.detail or "", ev.prev_hash],
        ensure_ascii=True, separators=(",", ":"),
    ).encode("ascii")


def event_hash(ev) -> str:
    return hashlib.sha256(canonical(ev)).hexdigest()


# --- chaining at flush ---------------------------------------------------------------------------------


def lock_chain(conn: sa.Connection) -> None:
    """Hold the chain's lock until the end of the transaction.

    PostgreSQL: a transaction-level advisory lock.  SQLite: the write lock (a SAVEPOINT counts as a
    write, so a request's read transaction takes the lock before the last event is read; see
    safetyops/database.py)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})
    elif conn.dialect.name == "sqlite":
        conn.exec_driver_sql("SAVEPOINT safetyops_audit_chain")
        conn.exec_driver_sql("RELEASE SAVEPOINT safetyops_audit_chain")


def chain_head(conn: sa.Connection) -> tuple[int, str]:
    """(seq, hash) of the newest event; (0, GENESIS) when there is none."""
    table = AuditEvent.__table__
    row = conn.execute(sa.select(table.c.seq, table.c.hash).order_by(table.c.seq.desc()).limit(1)).first()
    return (row[0], row[1]) if row else (0, GENESIS)


@event.listens_for(Session, "before_flush")
def _chain_new_events(session: Session, _flush_context, _instances) -> None:
    new = [obj for obj in session.new if isinstance(obj, AuditEvent)]
    if not new:
        return
    new.sort(key=lambda obj: sa.inspect(obj).insert_order)
    conn = session.connection()
    lock_chain(conn)
    seq, prev = chain_head(conn)
    for ev in new:
        if ev.created_dt is None:
            ev.created_dt = now_utc()
        for name in ("object_type", "object_id", "source", "detail"):
            if getattr(ev, name) is None:
                setattr(ev, name, "")
        if ev.user_id is None and ev.user is not None:
            ev.user_id = ev.user.id
        seq += 1
        ev.seq, ev.prev_hash = seq, prev
        ev.hash = prev = event_hash(ev)


# --- append-only in the database -----------------------------------------------------------------------

PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('{PURGE_SETTING}', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql
"""
PG_ROW_TRIGGER = """
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()
"""
PG_TRUNCATE_TRIGGER = """
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()
"""
SQLITE_UPDATE_TRIGGER = """
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: UPDATE refused'); END
"""
SQLITE_DELETE_TRIGGER = f"""
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
WHEN {PURGE_FUNCTION}() IS NOT 1
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: DELETE refused'); END
"""

#: (dialect, statements): what the migration runs too.
TRIGGER_DDL = {
    "postgresql": (PG_FUNCTION, PG_ROW_TRIGGER, PG_TRUNCATE_TRIGGER),
    "sqlite": (SQLITE_UPDATE_TRIGGER, SQLITE_DELETE_TRIGGER),
}

for _dialect, _statements in TRIGGER_DDL.items():
    for _sql in _statements:
        # DDL() formats its text with %: the trigger's own % placeholders are escaped.
        event.listen(AuditEvent.__table__, "after_create",
                     DDL(_sql.replace("%", "%%")).execute_if(dialect=_dialect))


@event.listens_for(sa.Engine, "connect")
def _register_purge_function(dbapi_conn, _record) -> None:
    """SQLite: the function the delete trigger asks (1 only inside purge_expired, in its own thread)."""
    if isinstance(dbapi_conn, sqlite3.Connection):
        dbapi_conn.create_function(PURGE_FUNCTION, 0, lambda: 1 if _purging.get() else 0)


def allow_purge_delete(conn: sa.Connection, allowed: bool) -> None:
    """Open or close the trigger's one door for the purge (services.purge_expired only)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT set_config(:name, :value, true)"),
                     {"name": PURGE_SETTING, "value": "on" if allowed else "off"})
    _purging.set(allowed)
