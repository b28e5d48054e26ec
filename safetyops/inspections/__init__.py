"""Fire and electrical inspections: checklists, schedules, runs, deficiencies and corrective actions."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Inspections' pages, command group, permissions, menu entries, home-page cards, offline pages and
    SMS texts."""
    from .. import area
    from . import alerts, cards, cli, views
    from .permissions import GRANTS

    area.add(app, views.bp, commands=[cli.cli], grants=GRANTS, menu=views.MENU,
             cards=[cards.my_checks_card, cards.deficiencies_card], offline_pages=[views.offline_pages],
             texts=[alerts.register_texts])
