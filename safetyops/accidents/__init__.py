"""One register of incidents at school beyond road traffic (accidents and injuries, fights, property
damage, intrusions), with the injuries and the first aid given: health details are sensitive data."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """The register's pages, permissions, menu entry, the injuries card and the injury SMS."""
    from .. import menu
    from ..auth.roles import grant
    from ..dashboard import cards
    from . import services, views
    from .permissions import GRANTS

    app.register_blueprint(views.bp)
    grant(app, GRANTS)
    menu.add(app, *views.MENU)
    cards.add(app, views.injuries_card)
    services.register_texts()
