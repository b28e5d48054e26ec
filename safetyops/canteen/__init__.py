"""The canteen: schedules, sanitary checks and food-safety accounts."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """The canteen's pages, permissions, menu entry and home-page cards."""
    from .. import menu
    from ..auth.roles import grant
    from ..dashboard import cards
    from . import views
    from .permissions import GRANTS

    app.register_blueprint(views.bp)
    grant(app, GRANTS)
    menu.add(app, *views.MENU)
    cards.add(app, views.home_cards)
