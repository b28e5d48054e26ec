"""The "Today" page, made of the cards each area adds."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """The "Today" page, and its card of the person's own appointments."""
    from .. import area
    from . import views

    area.add(app, views.bp, cards=[views.my_appointments_card])
