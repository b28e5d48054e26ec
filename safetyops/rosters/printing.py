"""The A4 week roster for the staff-room noticeboard, as a PDF (fpdf2 with a Unicode font)."""

from __future__ import annotations

import datetime as dt

from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from ..errors_service import ServiceError
from ..pdf import FontMissing, add_fonts, approval_block


def short_name(full_name: str) -> str:
    """"Сыдыкова Айгүл Бакытовна" -> "Сыдыкова А. Б." (fits a table cell)."""
    parts = full_name.split()
    if len(parts) < 2:
        return full_name
    return parts[0] + " " + " ".join(p[0] + "." for p in parts[1:3])


def week_pdf(school, monday: dt.date, days: list[dt.date], posts: list, grid: dict, director_name: str = "") -> bytes:
    from fpdf import FPDF

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(True, margin=12)
    try:
        add_fonts(pdf, "DejaVu")
    except FontMissing as err:
        raise ServiceError(_l("The PDF font is missing: install fonts-dejavu-core (DejaVuSans.ttf) or set "
                              "SAFETYOPS_PDF_FONT.")) from err
    pdf.add_page()
    pdf.set_font("DejaVu", size=15)
    title = f"{school.name} — {_l('Duty roster')}: {format_date(days[0] if days else monday, 'd MMM')}"
    if days:
        title += f" – {format_date(days[-1], 'd MMM y')}"
    pdf.multi_cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("DejaVu", size=9)
    if not posts:
        pdf.cell(0, 8, str(_l("No duties this week.")))
        return bytes(pdf.output())
    widths = [52] + [(277 - 52) / max(len(days), 1)] * len(days)
    from fpdf.fonts import FontFace

    heading = FontFace(emphasis="", fill_color=(235, 235, 235))
    with pdf.table(col_widths=widths, text_align="LEFT", line_height=5, first_row_as_headings=True,
                   headings_style=heading) as table:
        head = table.row()
        head.cell(str(_l("Post")))
        for d in days:
            head.cell(format_date(d, "EEE d.MM"))
        for post in posts:
            row = table.row()
            row.cell(f"{post.name}\n{post.start_time:%H:%M}–{post.end_time:%H:%M}")
            for d in days:
                s = grid.get((post.id, d))
                row.cell(short_name(s.user.full_name) if s else "")
    approval_block(pdf, school, director_name, family="DejaVu")
    return bytes(pdf.output())
