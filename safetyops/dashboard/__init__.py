"""The "Today" page, made of the cards each area adds."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """The "Today" page, and its card of the person's own appointments."""
    from . import cards, views

    app.register_blueprint(views.bp)
    cards.add(app, views.my_appointments_card)
