"""Everything held about a person as a PDF (fpdf2, the project's Unicode font), in the current locale."""

from __future__ import annotations

from flask_babel import gettext as _

from ..pdf import add_fonts
from ..time import zone


def dossier_pdf(dossier, school) -> bytes:
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_auto_page_break(True, margin=14)
    has_bold = add_fonts(pdf)
    headings = FontFace(emphasis="B" if has_bold else "", fill_color=(235, 235, 235))
    pdf.set_title(_("Personal data held by SafetyOps"))
    pdf.set_creator("SafetyOps")
    pdf.add_page()

    def line(text: str, size: float = 10, h: float = 5.5) -> None:
        pdf.set_font("body", size=size)
        pdf.multi_cell(0, h, text, new_x="LMARGIN", new_y="NEXT")

    line(_("Personal data held by SafetyOps"), 16, 8)
    line(school.name, 11)
    line(_("About: %(name)s", name=dossier.subject), 11)
    generated = dossier.generated_dt.astimezone(zone(school.timezone)).strftime("%Y-%m-%d %H:%M")
    line(_("Made on %(when)s at the person's request. The audit log keeps who made it.", when=generated), 9)
    for section in dossier.sections:
        pdf.ln(3)
        line(f"{section.title} ({len(section.rows)})", 12, 7)
        if not section.rows:
            line(_("Nothing held."), 9)
            continue
        if section.note:
            line(section.note, 9)
        pdf.set_font("body", size=8)
        with pdf.table(text_align="LEFT", headings_style=headings, line_height=4.2,
                       padding=1) as table:
            table.row(section.columns)
            for row in section.rows:
                table.row([cell[:1500] for cell in row])
    return bytes(pdf.output())
