"""Ecological safety: waste removal against the contract's schedule, separate collection, chemistry-lab
residues, greening of the territory."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Ecology's pages, permissions, menu entry and SMS texts."""
    from .. import area
    from . import services, views
    from .permissions import GRANTS

    area.add(app, views.bp, grants=GRANTS, menu=views.MENU, texts=[services.register_texts])
