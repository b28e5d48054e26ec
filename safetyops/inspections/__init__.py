"""Fire and electrical inspections: checklists, schedules, runs, deficiencies and corrective actions."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Inspections' pages, command group, permissions, menu entries, home-page cards, offline pages and SMS texts."""
    from .. import menu, offline
    from ..auth.roles import grant
    from ..dashboard import cards as home
    from . import alerts, cards, cli, views
    from .permissions import GRANTS

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.cli)
    grant(app, GRANTS)
    menu.add(app, *views.MENU)
    home.add(app, cards.my_checks_card, cards.deficiencies_card)
    offline.add_pages(app, views.offline_pages)
    alerts.register_texts()
