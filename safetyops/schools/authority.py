"""Who may change whose account and role: the one rule for every account-management path.

A person's *account* (name, sign-in name, phone, language, password, enabled) is shared by
every school they work at, so changing it is allowed only to someone who manages staff at
*every* one of those schools (or to the person, on their own profile).  The director and
administrator roles are kept by directors: only a director grants, removes or manages an
account that holds either, and nobody changes their own role.

Plain functions of (actor, target, school): views, the staff import and tests call them alike.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..auth.roles import SCHOOL_ROLES, Perm, Role, has_perm
from ..errors_service import ServiceError

#: Roles that hold every right at a school; only a director hands them out or takes them away.
PRIVILEGED_ROLES = frozenset({Role.DIRECTOR, Role.ADMIN})


def role_at(user, school_id: int) -> Role | None:
    """The user's role at the school, or None (district inspectors hold no school role)."""
    return next((m.role for m in user.memberships if m.school_id == school_id), None)


def may_manage_account(actor, target) -> bool:
    """May `actor` change `target`'s account (name, phone, password, enabled, …)?"""
    if actor is None or target is None:
        return False
    if actor.id == target.id:
        return True
    if target.district_memberships or not target.memberships:
        # District inspectors are managed by the district office (the CLI), not by a school.
        return False
    for membership in target.memberships:
        mine = role_at(actor, membership.school_id)
        if not has_perm(mine, Perm.STAFF_MANAGE):
            return False
        if membership.role in PRIVILEGED_ROLES and mine is not Role.DIRECTOR:
            return False
    return True


def check_account_change(actor, target) -> None:
    """Raise ServiceError unless `actor` may change `target`'s account."""
    if may_manage_account(actor, target):
        return
    if any(m.role in PRIVILEGED_ROLES for m in target.memberships):
        raise ServiceError(_l("Only a director can change the account of a director or an administrator."))
    raise ServiceError(_l("This person also works at another school. Only someone who manages staff at every "
                          "school of theirs can change their account; ask their director."))


def grantable_roles(actor, school) -> list[Role]:
    """The school roles `actor` may give or take away at `school`."""
    mine = role_at(actor, school.id)
    if not has_perm(mine, Perm.STAFF_MANAGE):
        return []
    if mine is Role.DIRECTOR:
        return list(SCHOOL_ROLES)
    return [r for r in SCHOOL_ROLES if r not in PRIVILEGED_ROLES]


def check_role_change(actor, school, target, old: Role | None, new: Role) -> None:
    """Raise ServiceError unless `actor` may move `target` from `old` to `new` at `school`."""
    if old is not None and Role(old) == Role(new):
        return
    if target is not None and actor is not None and actor.id == target.id:
        raise ServiceError(_l("You cannot change your own role. Ask another director."), "role")
    allowed = grantable_roles(actor, school)
    if Role(new) not in allowed or (old is not None and Role(old) not in allowed):
        raise ServiceError(_l("Only a director grants or removes the director and administrator roles."), "role")
