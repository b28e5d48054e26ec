"""Menu entries and template helpers shared by every page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import url_for
from flask_babel import get_locale

from . import registry
from .access import can
from .auth.roles import Perm


@dataclass(frozen=True)
class MenuItem:
    label: object
    endpoint: str
    perm: Perm
    #: Smaller first; entries of one order by endpoint name (not by the order the areas were registered in).
    order: int = 50
    #: Instead of the role's `perm`: a check of the person (e.g. an appointment by order).
    check: Callable[[], bool] | None = None


def menu_items():
    return [
        {"label": item.label, "url": url_for(item.endpoint)}
        for item in sorted(registry.entries(registry.MENU), key=lambda i: (i.order, i.endpoint))
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
