"""Duty rosters: posts, shifts, term roster generation, swaps, check-in, print and iCal."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Rosters' pages, command group, permissions, menu entries, home-page cards and SMS texts."""
    from .. import area
    from . import cli, sms_texts, views
    from .permissions import GRANTS

    area.add(app, views.bp, commands=[cli.cli], grants=GRANTS, menu=views.MENU, cards=[views.home_cards],
             texts=[sms_texts.register_texts])
