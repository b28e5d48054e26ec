"""Schools, staff, zones, responsible persons and the school calendar."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Staff, zones, responsible persons, calendar and settings pages, and their menu entries."""
    from .. import menu
    from . import views

    app.register_blueprint(views.bp)
    menu.add(app, *views.MENU)
