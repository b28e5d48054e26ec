"""Reports: the district inspector's home table of the district's schools (sortable by `?sort=`, no
JavaScript; CSV/XLSX from `/reports/district`); a school's name opens that school read-only."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import requires
from ..audit.services import record
from ..auth.roles import Role, grant
from ..dashboard.cards import Card, provider
from ..time import school_today
from . import services

DISTRICT_COMPARE = "reports.district"
grant({DISTRICT_COMPARE: {Role.INSPECTOR}})

bp = Blueprint("reports", __name__, url_prefix="/reports")


def _context(sort_arg: str | None) -> dict:
    today = school_today(g.school)
    rows, sort = services.sort_rows(services.compare(services.district_ids(current_user), today), sort_arg)
    return {"rows": rows, "sort": sort, "columns": services.COLUMNS, "today": today}


@provider
def district_card(user, school, role, today):
    if role != Role.INSPECTOR:
        return []
    ctx = _context(request.args.get("sort"))
    return [Card(title=_("Schools of the district"), url=url_for("reports.district"), urgency=100,
                 count=len(ctx["rows"]), template="reports/_district.html", data={**ctx, "base": "dashboard.home"})]


@bp.get("/district")
@requires(DISTRICT_COMPARE)
def district():
    ctx = _context(request.args.get("sort"))
    fmt = request.args.get("fmt")
    if fmt in ("csv", "xlsx"):
        from ..inspections.exports import as_stream, encode

        header, body = services.table(ctx["rows"])
        record(current_user, g.school, "export.district", detail=fmt)
        data, mimetype = encode(header, body, fmt)
        return send_file(as_stream(data), mimetype=mimetype, as_attachment=True,
                         download_name=f"district-{ctx['today'].isoformat()}.{fmt}")
    return render_template("reports/district.html", card=Card(title=_("Schools of the district"),
                                                              data={**ctx, "base": "reports.district"}))
