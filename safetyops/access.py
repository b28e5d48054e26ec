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
from .scoping import cross_school

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


@cross_school("a person's roles at each of their schools")
def own_places(user) -> list[Place]:
    """The schools where the person holds a role (their memberships), in one query."""
    from .schools.models import Membership

    rows = db.session.scalars(sa.select(Membership).options(sa.orm.joinedload(Membership.school))
                              .where(Membership.user_id == user.id).order_by(Membership.id))
    return [Place(m.school, m.role) for m in rows]


def _district_ids(user) -> list[int]:
    return [dm.district_id for dm in user.district_memberships]


def _district_schools(district_ids, exclude=()):
    from .schools.models import School

    q = sa.select(School).where(School.district_id.in_(district_ids))
    if exclude:
        q = q.where(School.id.not_in(list(exclude)))
    return q


def place_for(user, school_id, own: list[Place] | None = None) -> Place | None:
    """The person's place at this school: a membership, else the inspector's at a school of their
    district; None when they have none there.  One query per kind at most, never the district's list."""
    own = own_places(user) if own is None else own
    found = next((p for p in own if p.school.id == school_id), None)
    if found is not None or not isinstance(school_id, int):
        return found
    district_ids = _district_ids(user)
    if not district_ids:
        return None
    from .schools.models import School

    school = db.session.scalar(_district_schools(district_ids).where(School.id == school_id))
    return Place(school, Role.INSPECTOR) if school is not None else None


def search_places(user, q: str, offset: int, limit: int) -> list[Place]:
    """The schools of the person's districts whose name contains `q` (their own schools left out), by name:
    one page (`offset`/`limit`) for the switcher page."""
    from .schools.models import School

    district_ids = _district_ids(user)
    if not district_ids:
        return []
    stmt = _district_schools(district_ids, exclude=[p.school.id for p in own_places(user)])
    q = q.replace("\\", "").replace("%", "").replace("_", "").strip()
    if q:
        # SQLite folds the case of ASCII letters only: also try the usual spellings of a Cyrillic name.
        spellings = {q, q.lower(), q.upper(), q.capitalize(), q.title()}
        stmt = stmt.where(sa.or_(*(School.name.ilike(f"%{v}%") for v in sorted(spellings))))
    schools = db.session.scalars(stmt.order_by(School.name, School.id).offset(offset).limit(limit))
    return [Place(s, Role.INSPECTOR) for s in schools]


def load_place() -> None:
    """Set g.school and g.role for the signed-in person (before every request).

    Loads the person's own memberships and the current school only: a district inspector picks
    another school of the district on the switcher page (`auth.choose_school`), never from a list
    of every school on each page.  `g.places` holds the memberships (and the current place);
    `g.switch_search` is true for a person with a district."""
    g.school = None
    g.role = None
    g.places = []
    g.switch_search = False
    if not current_user.is_authenticated:
        return
    own = own_places(current_user)
    wanted = session.get("school_id")
    place = place_for(current_user, wanted, own) if wanted is not None else None
    district_ids = _district_ids(current_user)
    if place is None and own:
        place = own[0]
    if place is None and district_ids:
        from .schools.models import School

        first = db.session.scalar(_district_schools(district_ids).order_by(School.name, School.id).limit(1))
        place = Place(first, Role.INSPECTOR) if first is not None else None
    if place is None:
        return
    g.school, g.role = place.school, place.role
    g.places = own if place in own else [*own, place]
    g.switch_search = bool(district_ids)


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
