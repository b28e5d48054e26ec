"""The scheduler: idempotent sweeps over database state, run by one leader at a time."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """The scheduled jobs' page, command group, permission and menu entry."""
    from .. import menu
    from ..auth.roles import grant
    from . import cli, views

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.cli)
    grant(app, views.GRANTS)
    menu.add(app, *views.MENU)
