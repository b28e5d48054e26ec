"""The one permission layer.

Every view declares who may use it with one of the decorators below; a view that
declares nothing is refused.  Every query for school-owned rows goes through
`scoped()` / `get_or_404()`, so another school's record is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import abort, current_app, g, redirect, request, session, url_for
from flask_login import current_user

from .auth.roles import Perm, Role, has_perm
from .extensions import db

PUBLIC = "public"
SIGNED_IN = "signed-in"

#: Endpoints Flask itself adds.
_BUILTIN_PUBLIC = {"static"}


def _mark(view, rule):
    view.access_rule = rule
    return view


def public(view):
    """Anyone, signed in or not."""
    return _mark(view, PUBLIC)


def signed_in(view):
    """Any signed-in person, whatever their role (profile, sign-out, language)."""
    return _mark(view, SIGNED_IN)


def requires(perm: Perm):
    """A signed-in person whose role at the current school grants `perm`."""

    def deco(view):
        return _mark(view, perm)

    return deco


def access_rule(endpoint: str):
    if endpoint in _BUILTIN_PUBLIC:
        return PUBLIC
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "access_rule", None)


@dataclass(frozen=True)
class Place:
    """Where the current person is working: a school and their role in it."""

    school: object
    role: Role


def accessible_places(user) -> list[Place]:
    from .schools.models import School

    places = [Place(m.school, m.role) for m in user.memberships]
    seen = {p.school.id for p in places}
    district_ids = [dm.district_id for dm in user.district_memberships]
    if district_ids:
        schools = db.session.scalars(
            sa.select(School).where(School.district_id.in_(district_ids)).order_by(School.name)
        )
        places += [Place(s, Role.INSPECTOR) for s in schools if s.id not in seen]
    return places


def load_place() -> None:
    """Set g.school and g.role for the signed-in person (before every request)."""
    g.school = None
    g.role = None
    if not current_user.is_authenticated:
        return
    places = accessible_places(current_user)
    if not places:
        return
    wanted = session.get("school_id")
    place = next((p for p in places if p.school.id == wanted), places[0])
    g.school, g.role = place.school, place.role
    g.places = places


def enforce() -> object | None:
    """before_request: refuse what is not declared; send strangers to sign in."""
    if request.endpoint is None:
        return None  # 404 / 405 are Flask's to answer
    rule = access_rule(request.endpoint)
    if rule is None:
        abort(403)
    if rule == PUBLIC:
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
    if current_user.must_change_password and request.endpoint not in {
        "auth.change_password", "auth.logout", "auth.set_language"
    }:
        return redirect(url_for("auth.change_password"))
    if rule == SIGNED_IN:
        return None
    if not has_perm(g.role, rule):
        abort(403)
    return None


def can(perm: Perm) -> bool:
    """For templates: may the current person do this here?"""
    return has_perm(getattr(g, "role", None), perm)


# --- scoping -----------------------------------------------------------------


def scoped(model, school=None):
    """`select(model)` limited to the current (or given) school."""
    school = school or g.school
    if school is None:
        abort(404)
    return sa.select(model).where(model.school_id == school.id)


def get_or_404(model, ident, school=None):
    obj = db.session.scalar(scoped(model, school).where(model.id == ident))
    if obj is None:
        abort(404)
    return obj
