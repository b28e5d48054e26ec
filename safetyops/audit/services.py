"""Writing the audit trail.  The caller's address comes from a context variable the
web layer sets; jobs and the CLI leave it as "cli"."""

from __future__ import annotations

from contextvars import ContextVar

from ..extensions import db
from .models import AuditEvent

audit_source: ContextVar[str] = ContextVar("audit_source", default="cli")


def record(actor, school, action: str, obj=None, detail: str = "") -> AuditEvent:
    """Add an event to the current transaction (it commits with the change it records)."""
    event = AuditEvent(
        user_id=getattr(actor, "id", None),
        school_id=getattr(school, "id", None),
        action=action,
        object_type=(obj.__tablename__.rstrip("s") if obj is not None and hasattr(obj, "__tablename__") else ""),
        object_id=str(getattr(obj, "id", "") or ""),
        source=audit_source.get(),
        detail=detail[:2000],
    )
    db.session.add(event)
    return event
