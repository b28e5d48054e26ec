"""No page of the main flows scrolls sideways on a 360×640 phone, in Kyrgyz (issue 12).

For every role: the home page and the pages it links to (its tiles and cards), measured with
`scrollWidth`.  Kyrgyz words are the longest of the four languages; a grid column that cannot
shrink below its longest word (Нөөмөт графиги) pushed the home page to 386 px.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.browser.conftest import sign_in, switch_language

pytestmark = pytest.mark.browser

ROLES = ["director", "deputy", "safety_officer", "teacher", "guard", "canteen", "nurse", "inspector", "admin"]
SKIP = (".pdf", ".xlsx", ".csv", ".ics", ".json", "/logout")
MAX_PAGES = 20


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


@pytest.mark.parametrize("username", ROLES)
def test_no_main_page_scrolls_sideways_at_360_px(new_phone, username):
    page = new_phone(viewport={"width": 360, "height": 640}, locale="ky-KG")
    page.goto("/login")
    sign_in(page, username)
    own = page.get_attribute("html", "lang")
    if own != "ky":
        switch_language(page, "ky")
    try:
        page.goto("/")
        links = page.eval_on_selector_all("main a[href^='/']", "els => els.map(e => e.getAttribute('href'))")
        seen, wide = [], []
        for href in ["/", *links]:
            href = href.split("#")[0]
            if href in seen or href.endswith(SKIP) or "/logout" in href:
                continue
            seen.append(href)
            if len(seen) > MAX_PAGES:
                break
            try:
                response = page.goto(href)
            except PlaywrightError as err:  # a link to a download (an export)
                if "Download is starting" in str(err):
                    continue
                raise
            if response is None or "text/html" not in (response.headers.get("content-type") or ""):
                continue
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 360:
                wide.append((href, width, _overflow(page)))
        assert len(seen) > 3, "the crawl found the role's pages"
        assert wide == []
    finally:
        if own and own != "ky":
            page.goto("/")
            switch_language(page, own)
