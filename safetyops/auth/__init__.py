"""Accounts: sign-in, passwords, sessions and roles."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Sign-in, password and account pages.  By hand, not through `safetyops.area`, which grants on
    auth's roles."""
    from . import views

    app.register_blueprint(views.bp)
