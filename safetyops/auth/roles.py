"""Roles and what each may do.  One table: every route names a permission from here."""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from enum import StrEnum
from typing import TypeVar

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l


class Role(StrEnum):
    DIRECTOR = "director"
    DEPUTY = "deputy"
    SAFETY_OFFICER = "safety_officer"
    TEACHER = "teacher"
    GUARD = "guard"
    CANTEEN = "canteen"
    NURSE = "nurse"
    INSPECTOR = "inspector"
    ADMIN = "admin"


ROLE_LABELS = {
    Role.DIRECTOR: _l("Director"),
    Role.DEPUTY: _l("Deputy director"),
    Role.SAFETY_OFFICER: _l("Safety officer"),
    Role.TEACHER: _l("Teacher"),
    Role.GUARD: _l("Guard"),
    Role.CANTEEN: _l("Canteen manager"),
    Role.NURSE: _l("Nurse"),
    Role.INSPECTOR: _l("District inspector"),
    Role.ADMIN: _l("Administrator"),
}

#: Roles held through a school membership (the inspector holds a district instead).
SCHOOL_ROLES = [r for r in Role if r is not Role.INSPECTOR]


class Perm(StrEnum):
    HOME = "home"
    STAFF_VIEW = "staff.view"  # staff list with phone numbers (personal data)
    STAFF_MANAGE = "staff.manage"
    ZONES_VIEW = "zones.view"
    ZONES_MANAGE = "zones.manage"
    APPOINTMENTS_VIEW = "appointments.view"
    APPOINTMENTS_MANAGE = "appointments.manage"
    SCHOOL_MANAGE = "school.manage"
    AUDIT_VIEW = "audit.view"


_ALL = set(Perm)
_EVERYONE = {Perm.HOME, Perm.ZONES_VIEW, Perm.APPOINTMENTS_VIEW}

#: The core's permissions; each area adds its own to the app with `grant(app, table)`.
ROLE_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.DIRECTOR: frozenset(_ALL),
    Role.ADMIN: frozenset(_ALL),
    Role.DEPUTY: frozenset(_EVERYONE | {Perm.STAFF_VIEW}),
    Role.SAFETY_OFFICER: frozenset(_EVERYONE | {Perm.STAFF_VIEW}),
    Role.TEACHER: frozenset(_EVERYONE),
    Role.GUARD: frozenset(_EVERYONE),
    Role.CANTEEN: frozenset(_EVERYONE),
    Role.NURSE: frozenset(_EVERYONE),
    # Read-only across the district: sees the school's structure, never staff phones.
    Role.INSPECTOR: frozenset(_EVERYONE),
}


def role_permissions(app: Flask | None = None) -> dict[Role, frozenset[str]]:
    """Each role's permissions in `app` (by default the current app): the core's and the areas' grants."""
    target = app if app is not None else current_app
    return target.extensions.setdefault("safetyops.roles", dict(ROLE_PERMISSIONS))


#: A permission: the core's `Perm` or an area's own `StrEnum` (or a plain string).
P = TypeVar("P", bound=str)


def grant(app: Flask, table: Mapping[P, AbstractSet[Role]]) -> None:
    """An area adds its own permissions to `app`: {permission: roles that hold it}."""
    held = role_permissions(app)
    for perm, roles in table.items():
        for role in roles:
            held[role] = held[role] | {perm}


def has_perm(role: Role | None, perm: str) -> bool:
    return role is not None and perm in role_permissions()[role]
