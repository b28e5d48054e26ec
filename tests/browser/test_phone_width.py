"""No page of the main flows scrolls sideways on a 360×640 phone, in Kyrgyz, and every tap target
is big enough (issue 12).

For every role: the home page, the pages it links to (its tiles and cards) and the role's main
forms (`EXTRA`), measured with `scrollWidth`.  Kyrgyz words are the longest of the four
languages; a grid column that cannot shrink below its longest word (Нөөмөт графиги) pushed the
home page to 386 px.

On the same pages every visible interactive element (links, buttons, fields, selects, summaries)
is at least 44×44 px, or has 44 px of spacing: the 44×44 square centred on it touches no other
target (WCAG 2.5.8's spacing rule at 44 px).  A checkbox or radio counts with its label (a tap on
the label ticks it).  Folded sections of the page are opened first; elements hidden from sight
(screen-reader-only, the closed top menu) do not count.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.browser.conftest import sign_in, switch_language

pytestmark = pytest.mark.browser

ROLES = ["director", "deputy", "safety_officer", "teacher", "guard", "canteen", "nurse", "inspector", "admin"]
SKIP = (".pdf", ".xlsx", ".csv", ".ics", ".json", "/logout")
MAX_PAGES = 20
TAP = 44
#: The role's main forms and lists beyond the home page's links ("@walk": the first check's phone screen).
EXTRA = {
    "teacher": ["/inspections/checks", "/inspections/hazard", "@walk", "/drills/my", "/rosters/"],
    "guard": ["/gate/", "/gate/new", "/gate/rounds", "/gate/closing", "/gate/entries"],
    "director": ["/gate/report", "/inspections/actions", "/drills", "/calendar"],
    "deputy": ["/gate/report"],
    "safety_officer": ["/inspections/checks", "/inspections/hazard", "@walk"],
}


def _overflow(page) -> list[str]:
    """The innermost elements that stick out to the right of the screen."""
    return page.evaluate("""() => {
        const out = [];
        for (const el of document.querySelectorAll('body *')) {
            const r = el.getBoundingClientRect();
            if (r.right > window.innerWidth + 1 && el.children.length === 0 && r.width > 0) {
                const text = (el.textContent || '').trim().slice(0, 30);
                out.push(`${el.tagName}.${el.className}: ${text} (${Math.round(r.right)} px)`);
                if (out.length > 4) break;
            }
        }
        return out;
    }""")


def _small_targets(page) -> list[str]:
    """Interactive elements under 44×44 px whose centred 44×44 square touches another target."""
    return page.evaluate(
        r"""(tap) => {
        const sel = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]';
        const boxes = [];
        for (const el of document.querySelectorAll(sel)) {
            const st = getComputedStyle(el);
            if (st.visibility === 'hidden' || st.display === 'none') continue;
            const closed = el.closest('details:not([open])');  // inside a closed menu or section
            if (closed && el.parentElement !== closed) continue;
            if (el.checkVisibility && !el.checkVisibility({visibilityProperty: true})) continue;
            let r = el.getBoundingClientRect();
            if (r.width <= 1 || r.height <= 1 || r.right <= 0) continue;  // not shown, screen-reader only
            let box = {left: r.left, top: r.top + scrollY, right: r.right, bottom: r.bottom + scrollY};
            if (el.labels && (el.type === 'checkbox' || el.type === 'radio')) {
                for (const label of el.labels) {  // the label is part of the target
                    const l = label.getBoundingClientRect();
                    if (l.width <= 1) continue;
                    box = {left: Math.min(box.left, l.left), top: Math.min(box.top, l.top + scrollY),
                           right: Math.max(box.right, l.right), bottom: Math.max(box.bottom, l.bottom + scrollY)};
                }
            }
            const text = (el.textContent || el.getAttribute('aria-label') || el.name || el.type || '')
                .trim().replace(/\s+/g, ' ').slice(0, 30);
            const cls = el.getAttribute('class') ? '.' + el.getAttribute('class') : '';
            boxes.push({el, box, name: `${el.tagName.toLowerCase()}${cls} "${text}"`});
        }
        const hits = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
        const out = [];
        for (const t of boxes) {
            const w = t.box.right - t.box.left, h = t.box.bottom - t.box.top;
            if (w >= tap - 0.5 && h >= tap - 0.5) continue;
            const cx = (t.box.left + t.box.right) / 2, cy = (t.box.top + t.box.bottom) / 2;
            const half = {x: Math.max(w, tap) / 2, y: Math.max(h, tap) / 2};
            const zone = {left: cx - half.x, right: cx + half.x, top: cy - half.y, bottom: cy + half.y};
            const near = boxes.filter(o => o !== t && !o.el.contains(t.el) && !t.el.contains(o.el)
                                           && hits(zone, o.box));
            if (near.length) out.push(`${t.name} ${Math.round(w)}×${Math.round(h)} near ${near[0].name}`);
        }
        return out;
    }""",
        TAP,
    )


def _cut_selects(page) -> list[str]:
    """Selects whose chosen option does not fit (“Документсиз” cut off): its text, measured in the
    select's font, wider than the select's content box less the arrow (about 20 px)."""
    return page.evaluate("""() => {
        const ctx = document.createElement('canvas').getContext('2d');
        const out = [];
        for (const s of document.querySelectorAll('main select')) {
            if (s.selectedIndex < 0 || !s.getClientRects().length) continue;
            const st = getComputedStyle(s);
            ctx.font = `${st.fontWeight} ${st.fontSize} ${st.fontFamily}`;
            const text = s.options[s.selectedIndex].text;
            const room = s.clientWidth - parseFloat(st.paddingLeft) - parseFloat(st.paddingRight) - 20;
            if (ctx.measureText(text).width > room + 1) out.push(`select#${s.id} "${text}" in ${Math.round(room)} px`);
        }
        return out;
    }""")


def _walk_url(page) -> str | None:
    page.goto("/inspections/checks")
    return (
        page.get_attribute("form[data-offline-href]", "data-offline-href", timeout=2000)
        if page.locator("form[data-offline-href]").count()
        else None
    )


@pytest.mark.parametrize("username", ROLES)
def test_no_main_page_scrolls_sideways_and_taps_are_44_px_at_360_px(new_phone, username):
    page = new_phone(viewport={"width": 360, "height": 640}, locale="ky-KG")
    page.goto("/login")
    sign_in(page, username)
    own = page.get_attribute("html", "lang")
    if own != "ky":
        switch_language(page, "ky")
    try:
        page.goto("/")
        links = page.eval_on_selector_all("main a[href^='/']", "els => els.map(e => e.getAttribute('href'))")
        extra = [u for u in EXTRA.get(username, []) if u != "@walk"]
        if "@walk" in EXTRA.get(username, []):
            extra += [u for u in [_walk_url(page)] if u]
        seen, wide, small, missed = [], [], [], []
        for href in ["/", *links[:MAX_PAGES], *extra]:
            href = href.split("#")[0]
            if href in seen or href.endswith(SKIP) or "/logout" in href:
                continue
            seen.append(href)
            try:
                response = page.goto(href)
            except PlaywrightError as err:  # a link to a download (an export)
                if "Download is starting" in str(err):
                    continue
                raise
            if response is None or "text/html" not in (response.headers.get("content-type") or ""):
                continue
            if href in extra and (not response.ok or urlsplit(page.url).path != urlsplit(href).path):
                missed.append((href, response.status, page.url))  # a main form must be measured itself
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 360:
                wide.append((href, width, _overflow(page)))
            wide += [(href, t) for t in _cut_selects(page)]
            # Folded sections of the page (the gate's photo with consent, …) count opened.
            page.evaluate("document.querySelectorAll('main details:not([open])').forEach(d => { d.open = true; })")
            small += [f"{href}: {t}" for t in _small_targets(page)]
        assert len(seen) > 3, "the crawl found the role's pages"
        assert missed == [], "the role's main forms open"
        assert wide == []
        assert small == [], f"{len(small)} tap target(s) under {TAP} px, too close to another:\n" + "\n".join(small)
    finally:
        if own and own != "ky":
            page.goto("/")
            switch_language(page, own)
