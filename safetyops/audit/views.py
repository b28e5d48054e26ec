"""Reading the audit trail (director and admin).  Nothing here edits or deletes it."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import Blueprint, g, render_template, request
from flask_babel import lazy_gettext as _l

from ..access import requires
from ..auth.models import User
from ..auth.roles import Perm
from ..converters import DB_INT_MAX, date_arg, int_arg
from ..extensions import db
from ..menu import MenuItem
from ..time import zone
from .models import AuditEvent

bp = Blueprint("audit", __name__)

#: The area's menu entry (added to the app by the area's `register(app)`).
MENU = (MenuItem(_l("Audit log"), "audit.events", Perm.AUDIT_VIEW, 95),)
PAGE = 50


@bp.get("/audit")
@requires(Perm.AUDIT_VIEW)
def events():
    action = request.args.get("action", "").strip()[:60]
    who = request.args.get("who", "").strip()[:64]
    start, end = date_arg("from"), date_arg("to")
    page = max(int_arg("page", 1, hi=DB_INT_MAX // PAGE), 1)
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
