"""The printable gate journal (PDF) in the paper layout schools keep:
date, name, document, purpose, whom, in, out, guard."""

from __future__ import annotations

import datetime as dt

from flask_babel import format_date
from flask_babel import gettext as _

from ..pdf import FontMissing, add_fonts, heading_widths
from ..time import zone
from .models import DOC_TYPE_LABELS, ENTRY_KIND_LABELS, DocType

__all__ = ["FontMissing", "journal_pdf"]


def _document(e) -> str:
    if e.doc_type is DocType.NONE and not e.doc_last4:
        return ""
    label = str(DOC_TYPE_LABELS[e.doc_type])
    return f"{label} …{e.doc_last4}" if e.doc_last4 else label


def journal_pdf(school, day: dt.date, rows) -> bytes:
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    tz = zone(school.timezone)
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    add_fonts(pdf, "DejaVu")
    pdf.set_title(f"{school.name} {day.isoformat()}")
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 13)
    pdf.multi_cell(0, 7, _("Gate journal"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(0, 6, f"{school.name} · {format_date(day, 'long')}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    headings = [_("Date"), _("Name"), _("Document"), _("Purpose"), _("Whom"), _("In"), _("Out"), _("Guard")]
    pdf.set_font("DejaVu", "", 8.5)
    widths = heading_widths(pdf, headings, (20, 58, 36, 52, 44, 16, 16, 35), family="DejaVu")
    with pdf.table(col_widths=widths, text_align="LEFT", line_height=4.6,
                   headings_style=FontFace(emphasis="BOLD", fill_color=(230, 230, 230)),
                   repeat_headings=1) as table:
        header = table.row()
        for h in headings:
            header.cell(h)
        for e in rows:
            local_in = e.in_dt.astimezone(tz)
            out = e.out_dt.astimezone(tz).strftime("%H:%M") if e.out_dt else ""
            name = e.name
            if e.kind.value not in ("visitor",):
                name = f"{name} ({ENTRY_KIND_LABELS[e.kind]})"
            if e.is_refused:
                name = f"{name} — {_('not let in')}"
            purpose = e.purpose + (f" · {e.vehicle_plate}" if e.vehicle_plate else "")
            r = table.row()
            for value in (local_in.strftime("%d.%m.%Y"), name, _document(e), purpose,
                          e.host.full_name if e.host else "", local_in.strftime("%H:%M"), out,
                          e.guard.full_name if e.guard else ""):
                r.cell(value)
    if not rows:
        pdf.ln(4)
        pdf.multi_cell(0, 6, _("No entries on this day."), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
