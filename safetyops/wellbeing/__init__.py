"""Psychological safety: anonymous reports (bullying, violence, threats…) and their cases."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Anonymous reports' pages, menu entry, the new-reports card and its SMS text."""
    from .. import area
    from . import services, views

    area.add(app, views.bp, menu=views.MENU, cards=[views.new_reports_card], texts=[services.register_texts])
