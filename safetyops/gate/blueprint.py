"""The gate's blueprint and the view helpers its route modules share (`views.py`, `views_phone.py`,
`views_rounds.py`): every page is rendered with the labels and `stayed`."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import gettext as _

from .models import DOC_TYPE_LABELS, ENTRY_KIND_LABELS, WATCH_REASON_LABELS

bp = Blueprint("gate", __name__, url_prefix="/gate")

LABELS = {"KIND_LABELS": ENTRY_KIND_LABELS, "DOC_LABELS": DOC_TYPE_LABELS, "REASON_LABELS": WATCH_REASON_LABELS}


def stayed(now, since) -> str:
    """How long someone has been inside: "25 min" or "3 h 05 min"."""
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 60:
        return _("%(m)s min", m=minutes)
    return _("%(h)s h %(m)s min", h=minutes // 60, m=f"{minutes % 60:02d}")


def _render(template, **ctx):
    return render_template(template, **LABELS, stayed=stayed, **ctx)


def _now():
    from ..time import now_utc

    return now_utc()
