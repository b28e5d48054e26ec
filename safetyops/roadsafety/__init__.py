"""The school's road-safety work beyond incidents and briefings: the young traffic inspectors squad
(ЖЖИ / ЮИД), its activities and competitions, joint events with the traffic police (ГУОБДД) and
parent meetings on road safety."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Road-safety work's pages, permissions and menu entry."""
    from .. import menu
    from ..auth.roles import grant
    from . import views
    from .permissions import GRANTS

    app.register_blueprint(views.bp)
    grant(app, GRANTS)
    menu.add(app, *views.MENU)
