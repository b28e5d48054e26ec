"""The canteen: schedules, sanitary checks and food-safety accounts."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """The canteen's pages, permissions, menu entry and home-page cards."""
    from .. import area
    from . import views
    from .permissions import GRANTS

    area.add(app, views.bp, grants=GRANTS, menu=views.MENU, cards=[views.home_cards])
