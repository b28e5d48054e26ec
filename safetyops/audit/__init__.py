"""The audit log: who did what, and who read whose personal data."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """The audit log's page, its menu entry and its command group.  By hand, not through
    `safetyops.area`: that module grants on auth's roles, and auth records its events here."""
    from .. import registry
    from . import cli, views

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.cli)
    registry.add(app, registry.MENU, *views.MENU)
