"""SMS and Telegram messages: the outbox, the dispatcher, gateways, preferences and the message log."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Messages' pages, command group, permissions, menu entries, home-page cards and the broadcast's text."""
    from .. import menu
    from ..auth.roles import grant
    from ..dashboard import cards
    from . import cli, services, views
    from .gateways import register_gateway
    from .smpp_gateway import smpp_factory

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.cli)
    grant(app, views.GRANTS)
    menu.add(app, *views.MENU)
    cards.add(app, views.home_cards)
    services.register_texts()
    register_gateway("smpp", smpp_factory)
