"""The audit log: who did what, and who read whose personal data."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """The audit log's page and its command group."""
    from .. import menu
    from . import cli, views

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.cli)
    menu.add(app, *views.MENU)
