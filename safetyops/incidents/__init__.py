"""Road incidents involving pupils, and safety briefings."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Road incidents' and briefings' pages, permissions, menu entries, home-page cards and SMS text."""
    from .. import area
    from . import jobs, views
    from .permissions import GRANTS

    area.add(app, views.bp, grants=GRANTS, menu=views.MENU, cards=[views.home_cards], texts=[jobs.register_texts])
