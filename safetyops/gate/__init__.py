"""Gate access log: entries and exits, who is on site now, watchlist, night rounds, daily report."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """The gate's pages, permissions, menu entries, home-page cards, offline pages, SMS texts and the
    gate phone's sign-in hook (a guard's shift starts)."""
    from flask_login import user_logged_in

    from .. import area
    from . import services, views, views_phone
    from .permissions import GRANTS

    area.add(app, views.bp, grants=GRANTS, menu=views.MENU, cards=[views.home_cards],
             offline_pages=[views.offline_pages], texts=[services.register_texts])
    user_logged_in.connect(views_phone.on_login, app)
