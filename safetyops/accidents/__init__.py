"""One register of incidents at school beyond road traffic (accidents and injuries, fights, property
damage, intrusions), with the injuries and the first aid given: health details are sensitive data."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """The register's pages, permissions, menu entry, the injuries card and the injury SMS."""
    from .. import area
    from . import services, views
    from .permissions import GRANTS

    area.add(app, views.bp, grants=GRANTS, menu=views.MENU, cards=[views.injuries_card],
             texts=[services.register_texts])
