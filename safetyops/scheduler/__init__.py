"""The scheduler: idempotent sweeps over database state, run by one leader at a time."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """The scheduled jobs' page, command group, permission and menu entry."""
    from .. import area
    from . import cli, views

    area.add(app, views.bp, commands=[cli.cli], grants=views.GRANTS, menu=views.MENU)
