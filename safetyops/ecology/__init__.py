"""Ecological safety: waste removal against the contract's schedule, separate collection, chemistry-lab
residues, greening of the territory."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Ecology's pages, permissions, menu entry and SMS texts."""
    from .. import menu
    from ..auth.roles import grant
    from . import services, views
    from .permissions import GRANTS

    app.register_blueprint(views.bp)
    grant(app, GRANTS)
    menu.add(app, *views.MENU)
    services.register_texts()
