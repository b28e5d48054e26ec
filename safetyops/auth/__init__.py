"""Accounts: sign-in, passwords, sessions and roles."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Sign-in, password and account pages."""
    from . import views

    app.register_blueprint(views.bp)
