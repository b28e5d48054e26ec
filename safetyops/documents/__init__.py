"""The school's safety paperwork: documents and local acts, contracts and licences, instruction journals."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """The paperwork's pages, permissions, menu entries, home-page cards, SMS texts, and the security
    company's guards offered on the gate phone."""
    from .. import area
    from ..gate import shifts
    from . import jobs, views
    from .permissions import GRANTS

    area.add(app, views.bp, grants=GRANTS, menu=views.MENU, cards=[views.home_cards], texts=[jobs.register_texts])
    shifts.add(app, views.company_guards)
