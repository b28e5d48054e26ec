"""CSV / XLSX export of runs and actions, QR label SVGs."""

from __future__ import annotations

import csv
import io

import segno
import sqlalchemy as sa
from markupsafe import Markup

from ..extensions import db
from ..time import zone
from .models import CorrectiveAction, Result, Run

CSV_MIME = "text/csv; charset=utf-8"
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


def rows_for(what: str, school, lang: str) -> tuple[list[str], list[list]]:
    tz = zone(school.timezone)
    if what == "runs":
        header = ["id", "checklist", "version", "zone", "asset", "period", "status", "started", "finished",
                  "started_by", "qr_verified", "pass", "fail", "na"]
        runs = db.session.scalars(sa.select(Run).where(Run.school_id == school.id).order_by(Run.started_dt)
                                  .options(sa.orm.selectinload(Run.answers), sa.orm.selectinload(Run.version),
                                           sa.orm.selectinload(Run.zone), sa.orm.selectinload(Run.asset),
                                           sa.orm.selectinload(Run.started_by)))
        rows = []
        for r in runs:
            count = {res: sum(1 for a in r.answers if a.result == res) for res in Result}
            rows.append([r.id, r.version.title(lang), r.version.file_version, r.zone.name if r.zone else "",
                         r.asset.code if r.asset else "", r.period_start.isoformat(), r.status.value,
                         _local(r.started_dt, tz), _local(r.finished_dt, tz),
                         r.started_by.full_name if r.started_by else "", "yes" if r.is_qr_verified else "no",
                         count[Result.PASS], count[Result.FAIL], count[Result.NA]])
        return header, rows
    header = ["id", "title", "severity", "area", "zone", "status", "assignee", "reported", "due", "fixed",
              "verified", "source", "description"]
    actions = db.session.scalars(sa.select(CorrectiveAction).where(CorrectiveAction.school_id == school.id)
                                 .order_by(CorrectiveAction.created_dt)
                                 .options(sa.orm.selectinload(CorrectiveAction.zone),
                                          sa.orm.selectinload(CorrectiveAction.assignee)))
    rows = [[a.id, a.title, a.severity.value, a.area.value, a.zone.name if a.zone else "", a.status.value,
             a.assignee.full_name if a.assignee else "", _local(a.created_dt, tz), a.due_on.isoformat(),
             _local(a.fixed_dt, tz), _local(a.verified_dt, tz), a.source.value, a.description] for a in actions]
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
