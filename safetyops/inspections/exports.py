"""CSV / XLSX export of runs and actions, QR label SVGs."""

from __future__ import annotations

import csv
import datetime as dt
import io

import segno
import sqlalchemy as sa
from flask_babel import gettext as _
from markupsafe import Markup

from ..extensions import db
from ..time import zone
from .models import (
    ACTION_STATUS_LABELS,
    SEVERITY_LABELS,
    ActionSource,
    CorrectiveAction,
    Result,
    Run,
    RunStatus,
    pick_text,
)
from .periods import STATUS_LABELS

#: `send_file` adds "; charset=utf-8" to text types itself: naming it here too made two charsets.
CSV_MIME = "text/csv"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def as_stream(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)


def qr_svg(url: str) -> Markup:
    """An inline SVG QR code (no style attributes: the CSP forbids inline styles)."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", xmldecl=False, svgns=True, svgclass="qr", lineclass=None,
                                    omitsize=True, border=2)
    return Markup(out.getvalue().decode("utf-8"))  # noqa: S704 - segno's own markup


def _local(value, tz):
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else ""


def _safe(value):
    """Cells that start like a formula are quoted (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _yes(value: bool) -> str:
    return str(_("Yes") if value else _("No"))


def rows_for(what: str, school, lang: str, *, now: dt.datetime | None = None) -> tuple[list[str], list[list]]:
    """The rows of an export in the reader's language: column names and values as the screens say
    them (no internal codes), times in the school's zone."""
    from ..schools.models import AREA_LABELS
    from . import services

    tz = zone(school.timezone)
    if what == "runs":
        header = [str(h) for h in (_("No."), _("Checklist"), _("Checklist version"), _("Zone"), _("Equipment"),
                                   _("Period from"), _("Status"), _("Started"), _("Finished"), _("Started by"),
                                   _("QR code scanned"), _("Pass"), _("Fail"), _("N/A"))]
        runs = db.session.scalars(sa.select(Run).where(Run.school_id == school.id).order_by(Run.started_dt)
                                  .options(sa.orm.selectinload(Run.answers), sa.orm.selectinload(Run.version),
                                           sa.orm.selectinload(Run.zone), sa.orm.selectinload(Run.asset),
                                           sa.orm.selectinload(Run.started_by)))
        run_status = {RunStatus.IN_PROGRESS: _("In progress"), RunStatus.DONE: _("Done")}
        rows = []
        for r in runs:
            count = {res: sum(1 for a in r.answers if a.result == res) for res in Result}
            rows.append([r.id, r.version.title(lang), r.version.file_version, r.zone.name if r.zone else "",
                         r.asset.code if r.asset else "", r.period_start.isoformat(), str(run_status[r.status]),
                         _local(r.started_dt, tz), _local(r.finished_dt, tz),
                         r.started_by.full_name if r.started_by else "", _yes(r.is_qr_verified),
                         count[Result.PASS], count[Result.FAIL], count[Result.NA]])
        return header, rows
    if what == "overdue":
        header = [str(h) for h in (_("Checklist"), _("Place"), _("Status"), _("Due by"), _("Period from"),
                                   _("Missed in 7 days"), _("Responsible"), _("How they were found"), _("Phone"))]
        view = services.overdue_view(school, now=now)
        versions = services.current_versions()
        rows = []
        for d in view.checks:
            s = d.schedule
            version = versions.get(s.template_key)
            place = (s.asset.code + (f" · {s.asset.zone.name}" if s.asset.zone else "")) if s.asset else \
                (s.zone.name if s.zone else "")
            rows.append([version.title(lang) if version else s.template_key, place, str(STATUS_LABELS[d.status]),
                         _local(d.occurrence.due_dt, tz), d.occurrence.start.isoformat(), d.missed,
                         ", ".join(u.full_name for u in d.people), str(services.RESPONSIBLE_HOW[d.people_how]),
                         ", ".join(u.phone for u in d.people if u.phone)])
        return header, rows
    header = [str(h) for h in (_("No."), _("Deficiency"), _("Severity"), _("Area"), _("Zone"), _("Status"),
                               _("Assignee"), _("Reported"), _("Due"), _("Fixed"), _("Verified"), _("Source"),
                               _("Description"))]
    actions = list(db.session.scalars(sa.select(CorrectiveAction).where(CorrectiveAction.school_id == school.id)
                                      .order_by(CorrectiveAction.created_dt)
                                      .options(sa.orm.selectinload(CorrectiveAction.zone),
                                               sa.orm.selectinload(CorrectiveAction.assignee))))
    texts = services.deficiency_texts({a.id for a in actions if a.answer_id is not None})
    sources = {ActionSource.FAILED_ITEM: _("Failed checklist item"), ActionSource.HAZARD: _("Hazard report"),
               ActionSource.OTHER: _("Other")}
    rows = [[a.id, pick_text(texts.get(a.id), lang) or a.title, str(SEVERITY_LABELS[a.severity]),
             str(AREA_LABELS[a.area]), a.zone.name if a.zone else "", str(ACTION_STATUS_LABELS[a.status]),
             a.assignee.full_name if a.assignee else "", _local(a.created_dt, tz), a.due_on.isoformat(),
             _local(a.fixed_dt, tz), _local(a.verified_dt, tz), str(sources[a.source]), a.description]
            for a in actions]
    return header, rows


def encode(header: list[str], rows: list[list], fmt: str) -> tuple[bytes, str]:
    if fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet("data")
        ws.append(header)
        for row in rows:
            ws.append([_safe(v) for v in row])
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue(), XLSX_MIME
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows([[_safe(v) for v in row] for row in rows])
    return ("\ufeff" + text.getvalue()).encode("utf-8"), CSV_MIME
