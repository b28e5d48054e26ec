"""PDF of a finished run (fpdf2) with a Unicode font, so Cyrillic and Kyrgyz ө ү ң render.

The font comes from `safetyops.pdf` (SAFETYOPS_PDF_FONT, else Debian's DejaVu Sans)."""

from __future__ import annotations

from flask_babel import gettext as _
from fpdf import FPDF

from ..pdf import add_fonts
from ..time import zone
from .models import RESULT_LABELS, SEVERITY_LABELS, Result


def run_pdf(run, school, lang: str, *, compress: bool = True) -> bytes:
    tz = zone(school.timezone)
    pdf = FPDF(format="A4")
    pdf.set_compression(compress)
    pdf.set_auto_page_break(True, margin=15)
    add_fonts(pdf)
    pdf.add_page()
    pdf.set_title(run.version.title(lang))
    width = pdf.epw

    pdf.set_font("body", "B", 14)
    pdf.multi_cell(width, 7, school.name, new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(width, 7, run.version.title(lang), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("body", "", 10)
    place = run.zone.name if run.zone else ""
    if run.asset is not None:
        place = f"{run.asset.code} · {place}"
    meta = [
        (_("Place"), place),
        (_("Period"), run.period_start.isoformat()),
        (_("Started"), f"{run.started_dt.astimezone(tz):%Y-%m-%d %H:%M} · "
                       f"{run.started_by.full_name if run.started_by else ''}"),
        (_("Finished"), f"{run.finished_dt.astimezone(tz):%Y-%m-%d %H:%M} · "
                        f"{run.finished_by.full_name if run.finished_by else ''}" if run.finished_dt else ""),
        (_("QR verified"), _("yes") if run.is_qr_verified else _("no")),
        (_("Checklist version"), f"{run.version.file_version} ({run.version.content_hash[:10]})"),
    ]
    for label, value in meta:
        pdf.multi_cell(width, 5.5, f"{label}: {value}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    answers = {a.item_id: a for a in run.answers}
    for n, item in enumerate(run.version.items, 1):
        a = answers.get(item["id"])
        result = RESULT_LABELS[a.result] if a else "—"
        pdf.set_font("body", "B" if a is not None and a.result == Result.FAIL else "", 10)
        text = item["text"].get(lang.split("_")[0]) or item["text"]["ru"]
        pdf.multi_cell(width, 5.5, f"{n}. {text}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("body", "", 9)
        line = f"    {result} · {SEVERITY_LABELS[item['severity']]}"
        if a is not None and a.note:
            line += f" · {a.note}"
        pdf.multi_cell(width, 5, line, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    return bytes(pdf.output())
