"""The school's road-safety work beyond incidents and briefings: the young traffic inspectors squad
(ЖЖИ / ЮИД), its activities and competitions, joint events with the traffic police (ГУОБДД) and
parent meetings on road safety."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Road-safety work's pages, permissions and menu entry."""
    from .. import area
    from . import views
    from .permissions import GRANTS

    area.add(app, views.bp, grants=GRANTS, menu=views.MENU)
