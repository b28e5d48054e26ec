"""Writing the audit trail, purging it after its retention period, verifying its hash chain.

The caller's address comes from a context variable the web layer sets; jobs and the CLI leave
it as "cli".  Events are chained when they are flushed (see models.py)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

import sqlalchemy as sa

from ..extensions import db
from .models import GENESIS, AuditEvent, allow_purge_delete, chain_head, event_hash, lock_chain

audit_source: ContextVar[str] = ContextVar("audit_source", default="cli")

#: Action of the anchor event a purge leaves: its detail names the last purged event.
PURGE_ACTION = "audit.purge"


def object_type_of(obj) -> str:
    """The object_type an event about `obj` carries ("user", "road_incident", …)."""
    return obj.__tablename__.rstrip("s") if obj is not None and hasattr(obj, "__tablename__") else ""


def record(actor, school, action: str, obj=None, detail: str = "") -> AuditEvent:
    """Add an event to the current transaction (it commits with the change it records)."""
    event = AuditEvent(
        user_id=getattr(actor, "id", None),
        school_id=getattr(school, "id", None),
        action=action,
        object_type=object_type_of(obj),
        object_id=str(getattr(obj, "id", "") or ""),
        source=audit_source.get(),
        detail=detail[:2000],
    )
    db.session.add(event)
    return event


# --- retention ---------------------------------------------------------------------------------------


def purge_expired(now: dt.datetime, days: int) -> int:
    """Delete the oldest events, those older than `days`, keeping the chain verifiable.

    Deletes the longest run of events from the start of the chain that are all older than the
    cut-off (a prefix of the chain, never a gap in it; the newest event always stays), then appends an anchor event
    (`audit.purge`) that names the last deleted event's place and hash: `verify_chain` starts
    from it.  `days` of 0 or less keeps everything.  Idempotent; returns how many were deleted.
    The caller commits."""
    if days <= 0:
        return 0
    cutoff = now - dt.timedelta(days=days)
    conn = db.session.connection()
    lock_chain(conn)
    t = AuditEvent.__table__
    first_kept = conn.execute(sa.select(sa.func.min(t.c.seq)).where(t.c.created_dt >= cutoff)).scalar()
    if first_kept is None:  # everything is old: keep the newest event, the anchor chains on from it
        first_kept = chain_head(conn)[0]
    row = conn.execute(sa.select(t.c.seq, t.c.hash).where(t.c.seq < first_kept)
                       .order_by(t.c.seq.desc()).limit(1)).first()
    if row is None:
        return 0
    through_seq, through_hash = row
    allow_purge_delete(conn, True)
    try:
        deleted = conn.execute(sa.delete(t).where(t.c.seq <= through_seq)).rowcount or 0
    finally:
        allow_purge_delete(conn, False)
    db.session.add(AuditEvent(
        created_dt=now, user_id=None, school_id=None, action=PURGE_ACTION, source=audit_source.get(),
        detail=json.dumps({"through_seq": through_seq, "through_hash": through_hash, "deleted": deleted,
                           "before": cutoff.isoformat(), "days": days}, sort_keys=True)))
    db.session.flush()
    return deleted


# --- verification ------------------------------------------------------------------------------------


@dataclass
class Break:
    """Where the chain breaks: the event and what is wrong with it."""

    seq: int | None
    id: int | None
    reason: str


@dataclass
class Verdict:
    checked: int
    head_seq: int
    head_hash: str
    first_seq: int | None
    breaks: list[Break]

    @property
    def ok(self) -> bool:
        return not self.breaks


def _anchor(conn) -> tuple[int, str] | None:
    """(through_seq, through_hash) of the newest purge, if any."""
    t = AuditEvent.__table__
    detail = conn.execute(sa.select(t.c.detail).where(t.c.action == PURGE_ACTION)
                          .order_by(t.c.seq.desc()).limit(1)).scalar()
    if detail is None:
        return None
    try:
        data = json.loads(detail)
        return int(data["through_seq"]), str(data["through_hash"])
    except (ValueError, KeyError, TypeError):
        return -1, ""


def _rows(conn, batch: int = 2000) -> Iterator:
    t = AuditEvent.__table__
    after = None
    while True:
        q = sa.select(t).order_by(t.c.seq).limit(batch)
        if after is not None:
            q = q.where(t.c.seq > after)
        rows = conn.execute(q).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].seq


def verify_chain(limit_breaks: int = 20) -> Verdict:
    """Walk the whole chain in order; report every break (at most `limit_breaks`)."""
    conn = db.session.connection()
    anchor = _anchor(conn)
    breaks: list[Break] = []
    expected_seq, expected_prev = (1, GENESIS) if anchor is None else (anchor[0] + 1, anchor[1])
    checked, first_seq = 0, None
    for row in _rows(conn):
        if first_seq is None:
            first_seq = row.seq
            if anchor == (-1, ""):
                breaks.append(Break(row.seq, row.id, "the newest purge record cannot be read"))
        if row.seq is None or row.hash is None:
            breaks.append(Break(row.seq, row.id, "event without a place or hash in the chain"))
        else:
            if row.seq != expected_seq:
                where = "before it" if checked else "before the first kept event"
                breaks.append(Break(row.seq, row.id, f"events {expected_seq}..{row.seq - 1} are missing ({where})"
                                    if row.seq > expected_seq else f"place {row.seq} repeated or out of order"))
            elif row.prev_hash != expected_prev:
                breaks.append(Break(row.seq, row.id, "link to the previous event broken (it was changed, "
                                                     "removed or replaced)"))
            if event_hash(row) != row.hash:
                breaks.append(Break(row.seq, row.id, "content changed after it was written"))
            expected_seq, expected_prev = row.seq + 1, row.hash
        checked += 1
        if len(breaks) >= limit_breaks:
            break
    head_seq, head_hash = chain_head(conn)
    return Verdict(checked=checked, head_seq=head_seq, head_hash=head_hash, first_seq=first_seq, breaks=breaks)
