"""Duty rosters: posts, shifts, term roster generation, swaps, check-in, print and iCal."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Rosters' pages, command group, permissions, menu entries, home-page cards and SMS texts."""
    from .. import menu
    from ..auth.roles import grant
    from ..dashboard import cards
    from . import cli, sms_texts, views
    from .permissions import GRANTS

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.cli)
    grant(app, GRANTS)
    menu.add(app, *views.MENU)
    cards.add(app, views.home_cards)
    sms_texts.register_texts()
