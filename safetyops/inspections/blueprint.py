"""The inspections blueprint (`bp`, one for every route module of the area) and the view helpers the
route modules share: the reader's language, the templates' globals, the school's zones and staff, JSON
answers for the phone.  `views.py` imports every `views_<topic>` module, so registering the area
(`areas.py`: `inspections.views.bp`) registers every route."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, g, request

from ..access import scoped
from ..auth.models import User
from ..extensions import db
from ..schools.models import AREA_LABELS, Membership, Zone
from . import services
from .models import (
    ACTION_STATUS_LABELS,
    ASSET_TYPE_LABELS,
    ASSIGNEE_KIND_LABELS,
    FREQUENCY_LABELS,
    RESULT_LABELS,
    SEVERITY_LABELS,
    pick_text,
)
from .periods import STATUS_LABELS

bp = Blueprint("inspections", __name__, url_prefix="/inspections")


def _lang() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "ru")


def _tpl_globals() -> dict:
    return {"SEVERITY_LABELS": SEVERITY_LABELS, "ACTION_STATUS_LABELS": ACTION_STATUS_LABELS,
            "STATUS_LABELS": STATUS_LABELS, "RESULT_LABELS": RESULT_LABELS, "AREA_LABELS": AREA_LABELS,
            "ASSET_TYPE_LABELS": ASSET_TYPE_LABELS, "FREQUENCY_LABELS": FREQUENCY_LABELS,
            "ASSIGNEE_KIND_LABELS": ASSIGNEE_KIND_LABELS, "pick": pick_text, "lang": _lang(),
            "title_of": _title_of, "who_label": services.assignee_label,
            "action_title": services.action_title,
            "RESPONSIBLE_HOW": services.RESPONSIBLE_HOW}


def _title_of(key: str) -> str:
    cache = g.setdefault("_insp_versions", None)
    if cache is None:
        cache = g._insp_versions = services.current_versions()
    version = cache.get(key)
    return version.title(_lang()) if version else key


@bp.context_processor
def _inject():
    return _tpl_globals()


def _zones():
    return list(db.session.scalars(scoped(Zone).where(Zone.is_active.is_(True)).order_by(Zone.name)))


def _staff():
    return list(db.session.scalars(
        sa.select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.school_id == g.school.id, User.is_enabled.is_(True)).order_by(User.full_name)))


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json" or request.headers.get("X-Requested-With") == "fetch"


def _zone_of(schedule) -> int | None:
    """The zone a check is done in: its own, or its equipment's."""
    if schedule.zone_id is not None:
        return schedule.zone_id
    return schedule.asset.zone_id if schedule.asset is not None else None
