"""Who may handle personal-data requests, consents and the information-security register.

The director holds `privacy.manage`; so does, at their school, the person appointed by order for
information security (an Appointment of that area in force today), whatever their role."""

from __future__ import annotations

from enum import StrEnum
from functools import wraps

import sqlalchemy as sa
from flask import abort, g
from flask_login import current_user

from ..access import signed_in
from ..auth.roles import Role, has_perm
from ..extensions import db
from ..schools.models import Appointment, Area
from ..time import zone


class PrivPerm(StrEnum):
    #: Subject-access requests, corrections and erasure, the consent register, the information-security register.
    MANAGE = "privacy.manage"


#: Who holds each of the area's permissions (granted on the app by the area's `register(app)`).
GRANTS = {PrivPerm.MANAGE: {Role.DIRECTOR}}


def security_appointments(school, day=None):
    """Appointments for information security in force at `school` on `day` (school-local today)."""
    import datetime as dt

    day = day or dt.datetime.now(zone(school.timezone)).date()
    return list(db.session.scalars(
        sa.select(Appointment).where(Appointment.school_id == school.id, Appointment.area == Area.INFORMATION_SECURITY,
                                     Appointment.starts_on <= day,
                                     sa.or_(Appointment.ends_on.is_(None), Appointment.ends_on >= day))
        .order_by(Appointment.starts_on.desc())))


def is_privacy_officer(user, school, role=None) -> bool:
    """The director, or the information-security appointee of this school."""
    if user is None or school is None or not getattr(user, "is_authenticated", False):
        return False
    if has_perm(role, PrivPerm.MANAGE):
        return True
    return any(a.user_id == user.id for a in security_appointments(school))


def officer_only(view):
    """Route decorator: the director or the information-security appointee; anyone else gets 403."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not is_privacy_officer(current_user, g.school, g.role):
            abort(403)
        return view(*args, **kwargs)

    return signed_in(wrapper)


def can_handle() -> bool:
    """For the menu and templates."""
    if "_privacy_officer" not in g:
        g._privacy_officer = is_privacy_officer(current_user, getattr(g, "school", None), getattr(g, "role", None))
    return g._privacy_officer
