"""PDFs (fpdf2) with a Unicode TrueType font, so Cyrillic, Kyrgyz ө ү ң and Kazakh letters render.

One font setting for every area: `PDF_FONT` (SAFETYOPS_PDF_FONT), else DejaVu Sans from
Debian's fonts-dejavu-core, which `.ci/setup` installs."""

from __future__ import annotations

from pathlib import Path

from flask import current_app

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
)


class FontMissing(RuntimeError):
    """No Unicode font: the page says so (install fonts-dejavu-core or set SAFETYOPS_PDF_FONT)."""


def font_path() -> Path:
    configured = current_app.config.get("PDF_FONT")
    if configured:  # a configured font that is not there is an error, not a reason to guess
        if Path(configured).is_file():
            return Path(configured)
        raise FontMissing(f"PDF font not found at {configured} (SAFETYOPS_PDF_FONT)")
    for candidate in FONT_CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    raise FontMissing("No Unicode TTF font found: install fonts-dejavu-core or set SAFETYOPS_PDF_FONT")


def add_fonts(pdf, family: str = "body") -> bool:
    """Register the regular (and, when present, bold) face as `family`; True when bold exists."""
    font = font_path()
    pdf.add_font(family, "", str(font))
    bold = font.with_name(font.stem + "-Bold" + font.suffix)
    pdf.add_font(family, "B", str(bold if bold.is_file() else font))
    return bold.is_file()


def approval_block(pdf, school, director_name: str = "", family: str = "body", width: float = 85) -> None:
    """The approval and signature block of an official paper, at the right ("БЕКИТЕМ / УТВЕРЖДАЮ",
    the director's line to sign, the date line), in the school's state language and in Russian, as
    schools of Kyrgyzstan and Kazakhstan write it; whatever the language of the rest of the paper."""
    from flask_babel import force_locale
    from flask_babel import gettext as _

    words: list[tuple[str, str]] = []
    for lang in ("kk", "ru") if school.country == "KZ" else ("ky", "ru"):
        with force_locale(lang):
            words.append((_("APPROVED"), _("Director of the school")))
    lines = (" / ".join(dict.fromkeys(w[0] for w in words)), " / ".join(dict.fromkeys(w[1] for w in words)),
             "____________ " + director_name, "«____» ______________ 20___")
    if pdf.will_page_break(6 * len(lines) + 4):
        pdf.add_page()
    pdf.ln(4)
    pdf.set_font(family, size=10)
    for line in lines:
        pdf.set_x(pdf.w - pdf.r_margin - width)
        pdf.multi_cell(width, 5.5, line, new_x="LMARGIN", new_y="NEXT")


def _heading_needs(pdf, headings, family: str, style: str, size: float) -> list[float]:
    saved = (pdf.font_family, pdf.font_style, pdf.font_size_pt)
    pdf.set_font(family, style, size)
    need = [max((pdf.get_string_width(word) for word in str(h).split()), default=0) + 2 * pdf.c_margin + 0.5
            for h in headings]
    pdf.set_font(*saved)
    return need


def heading_size(pdf, headings, *, family: str = "body", style: str = "B", smallest: float = 6.5) -> float:
    """The largest heading size, from the current one down to `smallest` by half points, at which every
    heading's longest word fits the page's width beside the others' (a wide table in Kyrgyz)."""
    size = pdf.font_size_pt
    while size > smallest and sum(_heading_needs(pdf, headings, family, style, size)) > pdf.epw:
        size -= 0.5
    return size


def heading_widths(pdf, headings, widths, *, family: str = "body", style: str = "B",
                   size: float | None = None, values: dict[int, list[str]] | None = None) -> list[float]:
    """Column widths for ``pdf.table(col_widths=...)`` (mm across the page's text width) in which no
    heading breaks inside a word: fpdf2 cuts a word wider than its cell ("Эвакуациял|анды", issue 14).
    Each column is at least as wide as its heading's longest word, in the heading's face (at `size`, else
    the current size) with the cell's margins; the rest of the width is shared in proportion to `widths`.
    `values`: a column's longest cells (a date), that must not break either, in the body's face.
    When the words alone need more than the page, the widths stay as asked (`heading_size` first)."""
    need = _heading_needs(pdf, headings, family, style, size or pdf.font_size_pt)
    for i, cells in (values or {}).items():
        need[i] = max(need[i], *_heading_needs(pdf, cells, family, "", pdf.font_size_pt))
    if sum(need) > pdf.epw:
        return list(widths)
    at_least: set[int] = set()  # the columns held at their heading's width
    while True:
        free = pdf.epw - sum(need[i] for i in at_least)
        rest = [i for i in range(len(widths)) if i not in at_least]
        share = {i: free * widths[i] / sum(widths[j] for j in rest) for i in rest}
        short = {i for i in rest if share[i] < need[i]}
        if not short:
            return [need[i] if i in at_least else share[i] for i in range(len(widths))]
        at_least |= short
