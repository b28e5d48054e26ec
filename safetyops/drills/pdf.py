"""The after-action report as a PDF (fpdf2, with a Unicode TrueType font for Cyrillic)."""

from __future__ import annotations

from flask_babel import format_datetime
from flask_babel import gettext as _

from ..pdf import FontMissing, add_fonts, approval_block, heading_widths
from .models import DRILL_KIND_LABELS, clock

__all__ = ["FontMissing", "drill_pdf"]


def drill_pdf(drill, summary: dict, school, reunion: dict | None = None) -> bytes:
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    has_bold = add_fonts(pdf)
    headings = FontFace(emphasis="B" if has_bold else "")
    pdf.add_page()
    pdf.set_title(_("Drill report"))
    pdf.set_font("body", size=16)
    title = _("Real emergency — NOT A DRILL") if drill.is_real else _("Drill report")
    pdf.multi_cell(0, 9, f"{title}: {DRILL_KIND_LABELS[drill.kind]}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("body", size=11)

    def line(text: str) -> None:
        pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")

    line(school.name)
    line(_("Started: %(when)s", when=format_datetime(drill.started_dt, "short")))
    if drill.ended_dt:
        line(_("All clear: %(when)s", when=format_datetime(drill.ended_dt, "short")))
    shelter = drill.is_shelter  # lockdown / shelter in place: nobody is evacuated
    if shelter:
        line(_("Time to all rooms secured: %(time)s (target %(target)s)", time=clock(summary["evacuation"]),
               target=clock(summary["target"])))
    else:
        line(_("Evacuation time: %(time)s (target %(target)s)", time=clock(summary["evacuation"]),
               target=clock(summary["target"])))
    if drill.cancelled_dt:
        line(_("False alarm, called off at %(time)s: %(reason)s", time=format_datetime(drill.cancelled_dt, "short"),
               reason=drill.cancel_reason))
    t = summary["totals"]
    line(_("Classes reported: %(n)s of %(total)s", n=len(summary["times"]), total=summary["expected"]))
    if shelter:
        line(_("On the register %(reg)s, present %(present)s, sheltered %(evac)s, missing %(missing)s, "
               "injured %(inj)s", reg=t["on_register"], present=t["present"], evac=t["evacuated"],
               missing=t["missing"], inj=t["injured"]))
    else:
        line(_("On the register %(reg)s, present %(present)s, evacuated %(evac)s, missing %(missing)s, "
               "injured %(inj)s", reg=t["on_register"], present=t["present"], evac=t["evacuated"],
               missing=t["missing"], inj=t["injured"]))
    pdf.ln(3)
    pdf.set_font("body", size=13)
    line(_("Classes"))
    pdf.set_font("body", size=10)
    names = [_("Class"), _("Time"), _("On the register"), _("Present"), _("Sheltered") if shelter else _("Evacuated"),
             _("Injured"), _("Late")]
    with pdf.table(col_widths=heading_widths(pdf, names, (20, 25, 25, 25, 25, 20, 30), style=headings.emphasis.style),
                   text_align="LEFT", headings_style=headings) as table:
        table.row(names)
        for report, seconds in summary["times"]:
            table.row([report.school_class.name, clock(seconds), str(report.on_register), str(report.present),
                       str(report.evacuated), str(report.injured),
                       _("late") if seconds > summary["target"] else ""])
    if summary["unreported"]:
        pdf.ln(2)
        line(_("Did not report: %(names)s", names=", ".join(c.name for c in summary["unreported"])))
    if reunion is not None:  # who took which child stays out of the PDF: counts and times only
        pdf.ln(3)
        pdf.set_font("body", size=13)
        line(_("Reunification"))
        pdf.set_font("body", size=10)
        line(_("First hand-over: %(t)s after the all clear", t=clock(reunion["first"])))
        line(_("Last hand-over: %(t)s after the all clear", t=clock(reunion["last"])))
        line(_("Handed over: %(n)s", n=reunion["handed"]))
        line(_("Still with the school now: %(n)s", n=reunion["still"]) if reunion["is_open"]
             else _("Still with the school at the end: %(n)s", n=reunion["still"]))
        names = [_("Class"), _("Handed over"), _("First"), _("Last"), _("Still with the school")]
        widths = heading_widths(pdf, names, (25, 30, 35, 35, 45), style=headings.emphasis.style)
        with pdf.table(col_widths=widths, text_align="LEFT", headings_style=headings) as table:
            table.row(names)
            for c in reunion["classes"]:
                table.row([c["klass"].name, str(c["handed"]), clock(c["first"]), clock(c["last"]), str(c["still"])])
    for heading, text in ((_("Participants"), drill.participants), (_("Observers' notes"), drill.observers_notes)):
        if text:
            pdf.ln(3)
            pdf.set_font("body", size=13)
            line(heading)
            pdf.set_font("body", size=10)
            line(text)
    if drill.findings:
        pdf.ln(3)
        pdf.set_font("body", size=13)
        line(_("Findings"))
        pdf.set_font("body", size=10)
        for finding in drill.findings:
            line(f"• [{finding.severity}] {finding.text}")
    approval_block(pdf, school)
    return bytes(pdf.output())
