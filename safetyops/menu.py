"""Menu entries and template helpers shared by every page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from .access import can
from .auth.roles import Perm


@dataclass(frozen=True)
class MenuItem:
    label: object
    endpoint: str
    perm: Perm
    order: int = 50
    #: Instead of the role's `perm`: a check of the person (e.g. an appointment by order).
    check: Callable[[], bool] | None = None


MENU: list[MenuItem] = [
    MenuItem(_l("Staff"), "schools.staff_list", Perm.STAFF_VIEW, 80),
    MenuItem(_l("Zones"), "schools.zones", Perm.ZONES_VIEW, 81),
    MenuItem(_l("Responsible persons"), "schools.appointments", Perm.APPOINTMENTS_VIEW, 82),
    MenuItem(_l("School calendar"), "schools.calendar", Perm.SCHOOL_MANAGE, 83),
    MenuItem(_l("School settings"), "schools.school_settings", Perm.SCHOOL_MANAGE, 90),
    MenuItem(_l("Audit log"), "audit.events", Perm.AUDIT_VIEW, 95),
]


def add(item: MenuItem) -> None:
    MENU.append(item)


def menu_items():
    return [
        {"label": item.label, "url": url_for(item.endpoint)}
        for item in sorted(MENU, key=lambda i: i.order)
        if (item.check() if item.check is not None else can(item.perm))
    ]


def field_attrs(f, hint=None) -> dict:
    attrs = {}
    described = []
    if f.errors:
        attrs["aria-invalid"] = "true"
        described.append(f"{f.id}-err")
    if hint:
        described.append(f"{f.id}-hint")
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return attrs


def template_globals() -> dict:
    return {"menu_items": menu_items, "current_locale": str(get_locale() or "ky")}
