"""Schools, staff, zones, responsible persons and the school calendar."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Staff, zones, responsible persons, calendar and settings pages, and their menu entries."""
    from .. import area
    from . import views

    area.add(app, views.bp, menu=views.MENU)
