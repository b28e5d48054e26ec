"""Drills: classes, the drill plan, live roll-call, real emergencies, after-action, staff training, civil defence."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """The drills' pages, permissions, menu entries, home-page cards, offline pages and SMS texts (alarm
    and reunification)."""
    from .. import area
    from . import reunion, services, views
    from .permissions import GRANTS

    area.add(app, views.bp, grants=GRANTS, menu=views.MENU, cards=[views.home_cards],
             offline_pages=[views.offline_pages], texts=[services.register_texts, reunion.register_texts])
