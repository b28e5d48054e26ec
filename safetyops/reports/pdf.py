"""The term / school-year safety report as a document: PDF (fpdf2, the project's Unicode font) and
XLSX (openpyxl).  Laid out as an official paper: the approval block, the school and the period, a
section per area, the director's "problems, shortcomings and ways to solve them", signatures.
Call inside `force_locale(report language)`."""

from __future__ import annotations

import io
from dataclasses import replace

from flask_babel import format_date
from flask_babel import gettext as _

from ..pdf import FontMissing, add_fonts, heading_size, heading_widths
from .services import SafetyReport, period_label

__all__ = ["FontMissing", "report_pdf", "report_xlsx", "title_of"]


def title_of(report: SafetyReport) -> str:
    return _("Safety report: %(period)s, school year %(year)s–%(next)s", period=period_label(report.period),
             year=_year(report), next=_year(report) + 1)


def _year(report: SafetyReport) -> int:
    return report.first.year if report.first.month >= 9 else report.first.year - 1


def _period_line(report: SafetyReport) -> str:
    line = _("From %(start)s to %(end)s", start=format_date(report.first, "long"), end=format_date(report.last, "long"))
    if report.counted_to < report.last:
        line += " · " + _("figures to %(date)s", date=format_date(report.counted_to, "long"))
    return line


def report_pdf(report: SafetyReport, director_name: str, today, approver: str | None = None) -> bytes:
    """`approver`: who approves it (default: the school's director; the district's report: its office)."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    pdf = FPDF(orientation="P", format="A4")
    pdf.set_margins(18, 15, 15)
    pdf.set_auto_page_break(True, margin=15)
    bold = add_fonts(pdf)
    headings = FontFace(emphasis="B" if bold else "", fill_color=(235, 235, 235))
    title = title_of(report)
    pdf.set_title(title)
    pdf.add_page()
    # approval block, top right
    pdf.set_font("body", size=10)
    x = pdf.w - pdf.r_margin - 75
    for line in (_("APPROVED"), approver or _("Director of the school"), "____________ " + director_name,
                 "«____» ______________ 20___"):
        pdf.set_x(x)
        pdf.multi_cell(75, 5.5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("body", size=10)
    pdf.multi_cell(0, 5, report.school.name, new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.set_font("body", "B", size=14)
    pdf.multi_cell(0, 8, title, new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.set_font("body", size=10)
    pdf.multi_cell(0, 6, _period_line(report), new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.ln(3)
    for n, section in enumerate(report.sections, start=1):
        if pdf.will_page_break(7 + 6 * min(len(section.lines), 3)):  # a heading never ends a page alone
            pdf.add_page()
        pdf.set_font("body", "B", size=12)
        pdf.multi_cell(0, 7, f"{n}. {section.title}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("body", size=10)
        with pdf.table(col_widths=(120, 57), text_align=("LEFT", "RIGHT"), line_height=5.5,
                       first_row_as_headings=False) as table:
            for label, value in section.lines:
                table.row([str(label), str(value)])
        if section.table:
            header, rows = section.table
            pdf.ln(1.5)
            pdf.set_font("body", size=9)
            names, style = [str(h) for h in header], headings.emphasis.style
            size = heading_size(pdf, names, style=style)  # the district's table of schools is wide
            widths = heading_widths(pdf, names, _widths(len(header)), style=style, size=size)
            face = replace(headings, size_pt=size) if size < pdf.font_size_pt else headings
            with pdf.table(col_widths=widths, text_align="LEFT", headings_style=face, line_height=5,
                           repeat_headings=1) as table:
                table.row(names)
                for row in rows:
                    table.row([str(v) for v in row])
        pdf.ln(3)
    if pdf.will_page_break(30):
        pdf.add_page()
    pdf.set_font("body", "B", size=12)
    pdf.multi_cell(0, 7, f"{len(report.sections) + 1}. {_('Problems, shortcomings and ways to solve them')}",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("body", size=10)
    pdf.multi_cell(0, 5.5, report.problems or "—", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    signer = (_("Head of the district education office: ____________________ %(name)s", name=director_name)
              if approver else _("Director: ____________________ %(name)s", name=director_name))
    for line in (signer,
                 _("Responsible for safety: ____________________"),
                 _("Date: %(date)s", date=format_date(today, "long"))):
        pdf.multi_cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _widths(n: int) -> tuple:
    return {2: (140, 37), 4: (14, 113, 30, 20), 5: (30, 62, 30, 25, 30),
            7: (47, 22, 18, 25, 25, 20, 20)}.get(n, tuple([177 / n] * n))


def report_xlsx(report: SafetyReport) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = _("Report")[:31]
    ws.append([report.school.name])
    ws.append([title_of(report)])
    ws["A2"].font = Font(bold=True, size=13)
    ws.append([_period_line(report)])
    ws.append([])
    for n, section in enumerate(report.sections, start=1):
        ws.append([f"{n}. {section.title}"])
        ws.cell(ws.max_row, 1).font = Font(bold=True)
        for label, value in section.lines:
            ws.append([str(label), _cell(value)])
        if section.table:
            header, rows = section.table
            ws.append([str(h) for h in header])
            for c in range(1, len(header) + 1):
                ws.cell(ws.max_row, c).font = Font(bold=True)
            for row in rows:
                ws.append([_cell(v) for v in row])
        ws.append([])
    ws.append([_("Problems, shortcomings and ways to solve them")])
    ws.cell(ws.max_row, 1).font = Font(bold=True)
    for line in (report.problems or "").splitlines():
        ws.append([_cell(line)])
    ws.column_dimensions["A"].width = 60
    for col in "BCDE":
        ws.column_dimensions[col].width = 18
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _cell(value):
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
