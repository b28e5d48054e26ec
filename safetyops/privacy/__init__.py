"""Personal data: the privacy notice, subject requests, consents and the information-security register."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Privacy's pages, permissions and menu entries."""
    from .. import area
    from . import views
    from .permissions import GRANTS

    area.add(app, views.bp, grants=GRANTS, menu=views.MENU)
