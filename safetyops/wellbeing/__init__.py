"""Psychological safety: anonymous reports (bullying, violence, threats…) and their cases."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Anonymous reports' pages, menu entry, the new-reports card and its SMS text."""
    from .. import menu
    from ..dashboard import cards
    from . import services, views

    app.register_blueprint(views.bp)
    menu.add(app, *views.MENU)
    cards.add(app, views.new_reports_card)
    services.register_texts()
