"""Reports: the safety report, the weekly digest and the district comparison."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Reports' pages, permissions, menu entry, home-page cards and the weekly digest's text."""
    from .. import menu
    from ..auth.roles import grant
    from ..dashboard import cards as home
    from . import cards, jobs, views

    app.register_blueprint(views.bp)
    grant(app, views.GRANTS)
    menu.add(app, *views.MENU)
    home.add(app, cards.last_week_card, views.district_card)
    jobs.register_texts()
