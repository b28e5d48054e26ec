"""Reading the audit trail (director and admin).  Nothing here edits or deletes it."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import Blueprint, g, render_template, request

from ..access import requires
from ..auth.models import User
from ..auth.roles import Perm
from ..extensions import db
from ..time import zone
from .models import AuditEvent

bp = Blueprint("audit", __name__)
PAGE = 50


def _day(value: str | None):
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@bp.get("/audit")
@requires(Perm.AUDIT_VIEW)
def events():
    action = request.args.get("action", "").strip()[:60]
    who = request.args.get("who", "").strip()[:64]
    start, end = _day(request.args.get("from")), _day(request.args.get("to"))
    page = max(request.args.get("page", 1, type=int), 1)
    tz = zone(g.school.timezone)
    q = sa.select(AuditEvent).where(AuditEvent.school_id == g.school.id)
    if action:
        q = q.where(AuditEvent.action.startswith(action))
    if who:
        q = q.join(User, User.id == AuditEvent.user_id).where(
            sa.or_(User.username.ilike(f"%{who}%"), User.full_name.ilike(f"%{who}%")))
    if start:
        q = q.where(AuditEvent.created_dt >= dt.datetime.combine(start, dt.time(), tz))
    if end:
        q = q.where(AuditEvent.created_dt < dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tz))
    rows = db.session.scalars(
        q.options(sa.orm.joinedload(AuditEvent.user)).order_by(AuditEvent.id.desc())
        .limit(PAGE + 1).offset((page - 1) * PAGE)
    ).all()
    return render_template("audit/events.html", rows=rows[:PAGE], has_more=len(rows) > PAGE, page=page,
                           action=action, who=who, start=start, end=end)
