"""Drills: classes, the drill plan, live roll-call, real emergencies, after-action, staff training, civil defence."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """The drills' pages, permissions, menu entries, home-page cards, offline pages and SMS texts (alarm
    and reunification)."""
    from .. import menu, offline
    from ..auth.roles import grant
    from ..dashboard import cards
    from . import reunion, services, views
    from .permissions import GRANTS

    app.register_blueprint(views.bp)
    grant(app, GRANTS)
    menu.add(app, *views.MENU)
    cards.add(app, views.home_cards)
    offline.add_pages(app, views.offline_pages)
    services.register_texts()
    reunion.register_texts()
