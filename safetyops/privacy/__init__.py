"""Personal data: the privacy notice, subject requests, consents and the information-security register."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Privacy's pages, permissions and menu entries."""
    from .. import menu
    from ..auth.roles import grant
    from . import views
    from .permissions import GRANTS

    app.register_blueprint(views.bp)
    grant(app, GRANTS)
    menu.add(app, *views.MENU)
