"""The role-aware home page ("Today") and the health check."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, g, jsonify, render_template, send_from_directory
from flask_babel import gettext as _
from flask_login import current_user

from ..access import public, requires
from ..auth.roles import ROLE_LABELS, Perm, Role
from ..extensions import db
from ..schools.models import AREA_LABELS, Appointment
from ..time import school_today
from . import offline
from .cards import Card, cards_for, grouped

bp = Blueprint("dashboard", __name__)
#: Whose home page is grouped (act now / today / for information): the ones who run the school, often
#: on a laptop, with a dozen cards.
GROUPED_ROLES = {Role.DIRECTOR, Role.ADMIN, Role.DEPUTY}
offline.init(bp)  # the service worker, the offline page, today's pages (docs/offline.md)


def my_appointments_card(user, school, role, today):
    rows = db.session.scalars(
        sa.select(Appointment).where(Appointment.school_id == school.id, Appointment.user_id == user.id,
                                     Appointment.starts_on <= today,
                                     sa.or_(Appointment.ends_on.is_(None), Appointment.ends_on >= today))
    ).all()
    if not rows:
        return []
    return [Card(title=_("You are responsible for"), lines=[str(AREA_LABELS[a.area]) for a in rows],
                 url=None, urgency=5)]


@bp.get("/")
@requires(Perm.HOME)
def home():
    today = school_today(g.school)
    cards = cards_for(current_user, g.school, g.role, today)
    groups = grouped(cards) if g.role in GROUPED_ROLES and len(cards) > 1 else None
    return render_template("dashboard/home.html", cards=cards, today=today, role_label=ROLE_LABELS[g.role],
                           groups=groups)


@bp.get("/healthz")
@public
def healthz():
    try:
        db.session.execute(sa.text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means "not ready"
        current_app.logger.exception("health check: database unreachable")
        return jsonify({"status": "error", "db": "unreachable"}), 503
    return jsonify({"status": "ok", "db": "ok"})


@bp.get("/favicon.ico")
@public
def favicon():
    return send_from_directory(current_app.static_folder, "icons/favicon.ico", max_age=86400)


@bp.get("/manifest.webmanifest")
@public
def manifest():
    return send_from_directory(current_app.static_folder, "manifest.webmanifest",
                               mimetype="application/manifest+json", max_age=86400)
