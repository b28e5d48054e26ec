"""Gate access log: entries and exits, who is on site now, watchlist, night rounds, daily report."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """The gate's pages, permissions, menu entries, home-page cards, offline pages, SMS texts and the
    gate phone's sign-in hook (a guard's shift starts)."""
    from flask_login import user_logged_in

    from .. import menu, offline
    from ..auth.roles import grant
    from ..dashboard import cards
    from . import services, views, views_phone
    from .permissions import GRANTS

    app.register_blueprint(views.bp)
    grant(app, GRANTS)
    menu.add(app, *views.MENU)
    cards.add(app, views.home_cards)
    offline.add_pages(app, views.offline_pages)
    services.register_texts()
    user_logged_in.connect(views_phone.on_login, app)
