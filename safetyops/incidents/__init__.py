"""Road incidents involving pupils, and safety briefings."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Road incidents' and briefings' pages, permissions, menu entries, home-page cards and SMS text."""
    from .. import menu
    from ..auth.roles import grant
    from ..dashboard import cards
    from . import jobs, views
    from .permissions import GRANTS

    app.register_blueprint(views.bp)
    grant(app, GRANTS)
    menu.add(app, *views.MENU)
    cards.add(app, views.home_cards)
    jobs.register_texts()
