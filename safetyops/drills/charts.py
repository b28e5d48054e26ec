"""Server-rendered SVG charts, sized by viewBox so they fit a 390 px phone and a projector alike.

No scripts and no style attributes (the CSP allows neither): colours are SVG presentation attributes."""

from __future__ import annotations

from markupsafe import Markup, escape

from .models import clock

OK, LATE, PLAN, HELD, GRID, INK = "#1e6b34", "#b3261e", "#9aa0a6", "#0b4fb3", "#d5d7dc", "#1b1b1f"
WIDTH, LABEL_W, ROW = 360, 120, 30


def evacuation_chart(rows: list[tuple[str, int | None, int, str | None]], title: str) -> Markup:
    """rows: (label, evacuation seconds or None, target seconds, the drill's page or None), one horizontal
    bar each; a bar with a page is a link to it (its after-action page), named "label: 2:38 (target 3:00)"."""
    if not rows:
        return Markup("")
    scale_max = max(max((r[1] or 0) for r in rows), max(r[2] for r in rows)) * 1.15 or 1
    bar_w = WIDTH - LABEL_W - 10
    height = ROW * len(rows) + 10
    out = [f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="group" aria-label="{escape(title)}" '
           f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for i, (label, seconds, target, href) in enumerate(rows):
        y = 5 + i * ROW
        if href:
            name = f"{label}: {clock(seconds)} ({clock(target)})"
            out.append(f'<a href="{escape(href)}" aria-label="{escape(name)}">'
                       f'<rect x="0" y="{y}" width="{WIDTH}" height="{ROW}" fill="transparent"/>')
        out.append(f'<text x="0" y="{y + 19}" font-size="12" fill="{INK}">{escape(label)}</text>')
        if seconds is not None:
            w = max(2, round(bar_w * seconds / scale_max))
            colour = OK if seconds <= target else LATE
            out.append(f'<rect x="{LABEL_W}" y="{y + 4}" width="{w}" height="20" rx="3" fill="{colour}"/>')
            tx, anchor, tc = (LABEL_W + w - 4, "end", "#fff") if w > 50 else (LABEL_W + w + 4, "start", INK)
            out.append(f'<text x="{tx}" y="{y + 19}" font-size="12" fill="{tc}" text-anchor="{anchor}" '
                       f'font-weight="bold">{clock(seconds)}</text>')
        else:
            out.append(f'<text x="{LABEL_W + 4}" y="{y + 19}" font-size="12" fill="{INK}">—</text>')
        tx = LABEL_W + round(bar_w * target / scale_max)
        out.append(f'<line x1="{tx}" x2="{tx}" y1="{y}" y2="{y + ROW - 2}" stroke="{INK}" stroke-width="2" '
                   f'stroke-dasharray="3 2"/>')
        if href:
            out.append("</a>")
    out.append("</svg>")
    return Markup("".join(out))


def plan_chart(rows: list[tuple[str, int, int]], title: str, planned_label: str, held_label: str) -> Markup:
    """rows: (period label, planned, held): two bars per period."""
    if not rows:
        return Markup("")
    top = max(1, max(max(p, h) for _l, p, h in rows))
    bar_w = WIDTH - LABEL_W - 30
    height = ROW * 2 * len(rows) + 36
    out = [f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(title)}" '
           f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for i, (label, planned, held) in enumerate(rows):
        y = 4 + i * ROW * 2
        out.append(f'<text x="0" y="{y + 30}" font-size="12" fill="{INK}">{escape(label)}</text>')
        for j, (value, colour) in enumerate(((planned, PLAN), (held, HELD))):
            w = round(bar_w * value / top)
            by = y + 6 + j * 24
            if w:
                out.append(f'<rect x="{LABEL_W}" y="{by}" width="{w}" height="20" rx="3" fill="{colour}"/>')
            out.append(f'<text x="{LABEL_W + w + 4}" y="{by + 15}" font-size="12" fill="{INK}">{value}</text>')
    ly = height - 14
    out.append(f'<rect x="0" y="{ly - 10}" width="12" height="12" fill="{PLAN}"/>'
               f'<text x="16" y="{ly}" font-size="12" fill="{INK}">{escape(planned_label)}</text>'
               f'<rect x="150" y="{ly - 10}" width="12" height="12" fill="{HELD}"/>'
               f'<text x="166" y="{ly}" font-size="12" fill="{INK}">{escape(held_label)}</text>')
    out.append("</svg>")
    return Markup("".join(out))
