"""SMS and Telegram messages: the outbox, the dispatcher, gateways, preferences and the message log."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Messages' pages, command group, permissions, menu entries, home-page cards, the broadcast's text
    and the SMPP gateway."""
    from .. import area
    from . import cli, services, views
    from .gateways import register_gateway
    from .smpp_gateway import smpp_factory

    area.add(app, views.bp, commands=[cli.cli], grants=views.GRANTS, menu=views.MENU, cards=[views.home_cards],
             texts=[services.register_texts])
    register_gateway("smpp", smpp_factory)
