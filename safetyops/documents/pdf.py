"""Printed journals (fpdf2, the project's Unicode font): what counts in an inspection is paper with
signatures, so each is the standard table with empty signature columns, A4.

- the staff fire-safety instruction journal (landscape: nine columns);
- the signature sheet of a students' briefing (one class, its topic and date);
- the road-safety briefing plan of a class, with a column for the teacher's signature;
- a small PDF with a title page, for the demo's documents.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import format_date, format_datetime
from flask_babel import gettext as _

from ..pdf import FontMissing, add_fonts, heading_widths

__all__ = ["FontMissing", "briefing_sheet", "instruction_journal", "road_plan", "title_page"]


def _pdf(orientation: str = "P"):
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    pdf = FPDF(orientation=orientation, format="A4")
    pdf.set_margins(10, 10, 10)
    pdf.set_auto_page_break(True, margin=12)
    bold = add_fonts(pdf)
    pdf.set_font("body", size=10)
    return pdf, FontFace(emphasis="B" if bold else "", fill_color=(235, 235, 235))


def _heading(pdf, school_name: str, title: str, subtitle: str = "") -> None:
    pdf.set_font("body", size=9)
    pdf.multi_cell(0, 5, school_name, new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.set_font("body", "B", size=14)
    pdf.multi_cell(0, 8, title, new_x="LMARGIN", new_y="NEXT", align="C")
    if subtitle:
        pdf.set_font("body", size=10)
        pdf.multi_cell(0, 6, subtitle, new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.ln(2)
    pdf.set_font("body", size=9)


def instruction_journal(school, entries, roles: dict, start: dt.date, end: dt.date, kind_labels: dict,
                        role_labels: dict) -> bytes:
    """The journal between two dates; a line signed from the person's own account shows when."""
    pdf, headings = _pdf("L")
    pdf.add_page()
    title = _("Fire-safety instruction journal")
    pdf.set_title(title)
    _heading(pdf, school.name, title, _("From %(start)s to %(end)s", start=format_date(start, "medium"),
                                         end=format_date(end, "medium")))
    names = [_("No."), _("Date"), _("Full name of the person instructed"), _("Position"), _("Kind of instruction"),
             _("Topic"), _("Full name of the instructor"), _("Signature of the person instructed"),
             _("Signature of the instructor")]
    widths = heading_widths(pdf, names, (9, 22, 46, 30, 28, 52, 40, 25, 25), style=headings.emphasis.style,
                            values={1: [format_date(dt.date(2026, 12, 31), "short")]})  # the date whole
    with pdf.table(col_widths=widths, text_align="LEFT", headings_style=headings, line_height=5,
                   repeat_headings=1) as table:
        table.row(names)
        for n, entry in enumerate(entries, start=1):
            ins = entry.instruction
            signed = (_("signed in SafetyOps %(when)s", when=format_datetime(entry.signed_dt, "short"))
                      if entry.signed_dt else "")
            role = roles.get(entry.user_id)
            table.row([str(n), format_date(ins.held_on, "short"), entry.user.full_name,
                       str(role_labels[role]) if role else "", str(kind_labels[ins.kind]), ins.topic,
                       ins.instructor.full_name if ins.instructor else "", signed, ""])
        if not entries:
            for n in range(1, 16):  # an empty journal page to fill in by hand
                table.row([str(n), "", "", "", "", "", "", "", ""])
    return bytes(pdf.output())


def briefing_sheet(school, briefing, rows: int) -> bytes:
    """One class's briefing: topic, date, who held it, and a numbered line per student to sign."""
    pdf, headings = _pdf()
    pdf.add_page()
    title = _("Safety briefing: signature sheet")
    pdf.set_title(title)
    _heading(pdf, school.name, title)
    pdf.set_font("body", size=11)
    for label, value in ((_("Class"), briefing.school_class.name),
                         (_("Date"), format_date(briefing.held_on, "long")),
                         (_("Topic"), briefing.topic),
                         (_("Held by"), briefing.held_by.full_name if briefing.held_by else "")):
        pdf.multi_cell(0, 6, f"{label}: {value}", new_x="LMARGIN", new_y="NEXT")
    if briefing.event is not None:
        pdf.multi_cell(0, 6, f"{_('Event')}: {briefing.event.title} ({format_date(briefing.event.held_on, 'short')})",
                       new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("body", size=10)
    names = [_("No."), _("Student's full name"), _("Signature")]
    with pdf.table(col_widths=heading_widths(pdf, names, (12, 110, 68), style=headings.emphasis.style),
                   text_align="LEFT", headings_style=headings, line_height=7, repeat_headings=1) as table:
        table.row(names)
        for n in range(1, rows + 1):
            table.row([str(n), "", ""])
    pdf.ln(4)
    pdf.multi_cell(0, 6, _("Briefing held by: ____________________ (signature)"), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def road_plan(school, klass, items) -> bytes:
    """A class's road-safety briefing plan: planned date, topic, held on, teacher's signature."""
    pdf, headings = _pdf()
    pdf.add_page()
    title = _("Road-safety briefing plan")
    pdf.set_title(title)
    _heading(pdf, school.name, title, _("Class %(name)s", name=klass.name))
    names = [_("No."), _("Planned"), _("Topic"), _("Held on"), _("Teacher's signature")]
    with pdf.table(col_widths=heading_widths(pdf, names, (10, 28, 82, 28, 42), style=headings.emphasis.style),
                   text_align="LEFT", headings_style=headings, line_height=6, repeat_headings=1) as table:
        table.row(names)
        for n, (item, held_on) in enumerate(items, start=1):
            table.row([str(n), format_date(item.planned_on, "short"), item.topic,
                       format_date(held_on, "short") if held_on else "", ""])
    return bytes(pdf.output())


def title_page(school_name: str, title: str, lines: list[str]) -> bytes:
    """A one-page PDF: the school, a title and a few lines (the demo's documents)."""
    pdf, _headings = _pdf()
    pdf.add_page()
    pdf.set_title(title)
    _heading(pdf, school_name, title)
    pdf.set_font("body", size=11)
    for line in lines:
        pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
