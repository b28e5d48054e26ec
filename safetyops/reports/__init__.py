"""Reports: the safety report, the weekly digest and the district comparison."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Reports' pages, permissions, menu entry, home-page cards and the weekly digest's text."""
    from .. import area
    from . import cards, jobs, views

    area.add(app, views.bp, grants=views.GRANTS, menu=views.MENU, cards=[cards.last_week_card, views.district_card],
             texts=[jobs.register_texts])
