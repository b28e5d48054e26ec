"""Reports: the district inspector's home table of the district's schools (sortable by `?sort=`, no
JavaScript; CSV/XLSX from `/reports/district`); a school's name opens that school read-only."""

from __future__ import annotations

import io

import sqlalchemy as sa
from flask import Blueprint, g, render_template, request, send_file, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..access import can, requires
from ..audit.services import record
from ..auth.models import User
from ..auth.roles import Role
from ..dashboard.cards import Card
from ..extensions import db
from ..i18n import LANGUAGE_NAMES
from ..menu import MenuItem
from ..schools.models import Membership
from ..time import now_utc, school_today
from . import comparison, district_report, pdf, services
from . import sections as wording

DISTRICT_COMPARE = "reports.district"
SAFETY_REPORT = "reports.safety"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Who holds each of the area's permissions (granted on the app by the area's `register(app)`).
GRANTS = {DISTRICT_COMPARE: {Role.INSPECTOR},
          SAFETY_REPORT: {Role.DIRECTOR, Role.ADMIN, Role.DEPUTY, Role.SAFETY_OFFICER, Role.INSPECTOR}}
#: The area's menu entries (added to the app by the area's `register(app)`).
MENU = (
    MenuItem(_l("Safety report"), "reports.safety", SAFETY_REPORT, 14),
)

bp = Blueprint("reports", __name__, url_prefix="/reports")


def _context(sort_arg: str | None) -> dict:
    today = school_today(g.school)
    rows, sort = comparison.sort_rows(comparison.compare(comparison.district_ids(current_user), today), sort_arg)
    return {"rows": rows, "total": len(rows), "sort": sort, "columns": comparison.COLUMNS, "today": today,
            "on_time_target": comparison.ON_TIME_TARGET}


def district_card(user, school, role, today):
    """The inspector's home: the district's schools side by side, in the chosen order, with how many need
    attention (a figure in red).  A district of more than `HOME_ALL_SCHOOLS` lists only those here; the full
    table of every school is one link away (`reports.district`), and the downloads hold every school."""
    if role != Role.INSPECTOR:
        return []
    ctx = _context(request.args.get("sort"))
    attention = [r for r in ctx["rows"] if r.needs_attention]
    attention_only = ctx["total"] > comparison.HOME_ALL_SCHOOLS
    return [Card(title=_("Schools of the district"), url=url_for("reports.district"), urgency=100,
                 count=ctx["total"], template="reports/_district.html",
                 data={**ctx, "rows": attention if attention_only else ctx["rows"], "base": "dashboard.home",
                       "home": True, "attention": len(attention), "attention_only": attention_only})]


@bp.get("/district")
@requires(DISTRICT_COMPARE)
def district():
    ctx = _context(request.args.get("sort"))
    fmt = request.args.get("fmt")
    if fmt in ("csv", "xlsx"):
        from ..inspections.exports import as_stream, encode

        header, body = comparison.table(ctx["rows"])
        record(current_user, g.school, "export.district", detail=fmt)
        data, mimetype = encode(header, body, fmt)
        return send_file(as_stream(data), mimetype=mimetype, as_attachment=True,
                         download_name=f"district-{ctx['today'].isoformat()}.{fmt}")
    return render_template("reports/district.html", card=Card(title=_("Schools of the district"),
                                                              data={**ctx, "base": "reports.district"}))


# --------------------------------------------------------------------------- the term / year report


def _report_lang() -> str:
    lang = request.values.get("lang") or g.school.default_locale
    return lang if lang in LANGUAGE_NAMES else "ru"


def _director_name() -> str:
    name = db.session.scalar(
        sa.select(User.full_name).join(Membership, Membership.user_id == User.id)
        .where(Membership.school_id == g.school.id, Membership.role == Role.DIRECTOR, User.is_enabled.is_(True))
        .order_by(User.id).limit(1))
    return name or ""


def _district_scope() -> bool:
    """The inspector asked for the whole district (`scope=district`); anyone else gets their school."""
    return request.values.get("scope") == "district" and can(DISTRICT_COMPARE)


def _report(lang: str, with_text: bool):
    today = school_today(g.school)
    if _district_scope():
        report = district_report.district_report(comparison.district_ids(current_user),
                                                 request.values.get("period", ""), today, now_utc(), lang)
        report.sections = district_report.district_sections(report, lang)
    else:
        report = services.safety_report(g.school, request.values.get("period", ""), today, now_utc(), lang)
        report.sections = wording.build_sections(report, lang)
    typed = request.form.get("problems") if with_text else None
    report.problems = typed.strip()[:5000] if typed and typed.strip() else wording.prefill_problems(report, lang)
    return report, today


@bp.get("/safety")
@requires(SAFETY_REPORT)
def safety():
    lang = _report_lang()
    scope = "district" if _district_scope() else "school"
    with force_locale(lang):
        report, today = _report(lang, with_text=False)
        title = pdf.title_of(report)
        sections = [(s.title, [(str(k), v) for k, v in s.lines],
                     ([str(h) for h in s.table[0]], s.table[1]) if s.table else None) for s in report.sections]
        months = [(key, services.period_label(key)) for key in services.month_keys(today)]
    return render_template("reports/safety.html", report=report, title=title, sections=sections, lang=lang,
                           periods=services.PERIOD_LABELS, months=months, languages=LANGUAGE_NAMES, scope=scope,
                           may_district=can(DISTRICT_COMPARE))


@bp.post("/safety.pdf")
@requires(SAFETY_REPORT)
def safety_pdf():
    return _safety_file("pdf")


@bp.post("/safety.xlsx")
@requires(SAFETY_REPORT)
def safety_xlsx():
    return _safety_file("xlsx")


def _safety_file(fmt: str):
    """The report as a file, with the director's text from the form (else the pre-filled one)."""
    lang = _report_lang()
    district = _district_scope()
    with force_locale(lang):
        report, today = _report(lang, with_text=True)
        if fmt == "xlsx":
            data, mimetype = pdf.report_xlsx(report), XLSX_MIME
        elif district:
            data, mimetype = pdf.report_pdf(report, "", today, approver=_("Head of the district education office")), \
                "application/pdf"
        else:
            data, mimetype = pdf.report_pdf(report, _director_name(), today), "application/pdf"
    scope = "district" if district else "school"
    record(current_user, g.school, "report.safety", detail=f"{report.period} {fmt} {lang} {scope}")
    name = "district-safety-report" if district else "safety-report"
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True,
                     download_name=f"{name}-{report.period}-{report.first.isoformat()}.{fmt}")
