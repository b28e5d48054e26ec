"""The school's safety paperwork: documents and local acts, contracts and licences, instruction journals."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """The paperwork's pages, permissions, menu entries, home-page cards, SMS texts, and the security
    company's guards offered on the gate phone."""
    from .. import menu
    from ..auth.roles import grant
    from ..dashboard import cards
    from ..gate import shifts
    from . import jobs, views
    from .permissions import GRANTS

    app.register_blueprint(views.bp)
    grant(app, GRANTS)
    menu.add(app, *views.MENU)
    cards.add(app, views.home_cards)
    shifts.add(app, views.company_guards)
    jobs.register_texts()
