"""The drills blueprint (`bp`, one for every route module of the area) and the view helpers the route modules
share: the school's day, who may see the live board or run a drill, the templates' labels (`_ctx`), the staff to
choose from.  `views.py` imports every `views_<topic>` module, so registering the area (`areas.py`:
`drills.views.bp`) registers every route."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, g
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..extensions import db
from ..forms_common import choices
from ..schools.services import staff_query
from ..time import school_today
from . import services
from .models import CD_FUNCTION_LABELS, COURSE_LABELS, DRILL_KIND_LABELS

bp = Blueprint("drills", __name__)

SEVERITY_LABELS = {"minor": _l("Minor"), "major": _l("Major"), "critical": _l("Critical")}


def _today() -> dt.date:
    return school_today(g.school)


def _may_board() -> bool:
    return services.may_see_board(current_user, g.school, g.role, _today())


def _may_run() -> bool:
    return services.may_run(current_user, g.school, g.role, _today())


def _require(allowed: bool) -> None:
    if not allowed:
        abort(403)


def _ctx(**kw) -> dict:
    return {"KIND_LABELS": DRILL_KIND_LABELS, "COURSE_LABELS": COURSE_LABELS, "CD_LABELS": CD_FUNCTION_LABELS,
            "SEVERITY_LABELS": SEVERITY_LABELS, "may_run": _may_run(), "may_board": _may_board(), **kw}


def _staff_choices(blank=None):
    staff = db.session.execute(staff_query(g.school)).all()
    pairs = [(u.id, u.full_name) for u, _role in staff if u.is_enabled]
    return choices(([(0, blank)] if blank else []) + pairs)
