"""The director's week on a small phone (360×640), in Kyrgyz and Russian (issue 14): the "Last week" card
under "For information" on the home page, its three lines, each a tap to where it is acted on."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import REPO, check_page, sign_in, switch_language

pytestmark = pytest.mark.browser

SCREENSHOTS = REPO / "docs" / "screenshots"
SMALL_PHONE = {"viewport": {"width": 360, "height": 640}}


@pytest.mark.parametrize("lang", ["ky", "ru"])
def test_directors_week_on_a_small_phone(new_phone, live_server, lang):
    page = new_phone(**SMALL_PHONE)
    sign_in(page, "director")
    switch_language(page, lang)
    page.goto("/")
    card = page.locator("li.card", has=page.locator("ul.week-digest"))
    assert card.count() == 1
    group = page.locator("details.card-group", has=card)
    if group.count():  # a grouped home: the card informs, it is folded under "For information"
        group.locator("summary").click()
    assert card.is_visible()
    assert re.search(r"\d\d\.\d\d\u2060?–\u2060?\d\d\.\d\d", card.locator("h2").inner_text())
    lines = card.locator("ul.week-digest > li")
    assert lines.count() == 3
    for link in card.locator("ul.week-digest a").all():
        assert link.get_attribute("href") in ("/inspections/overdue#late-checks",
                                              "/inspections/actions?severity=critical")
        box = link.bounding_box()
        assert box["height"] >= 44  # a tap target
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
    check_page(page)
    card.scroll_into_view_if_needed()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"reports-digest-card-{lang}-360.png"), full_page=False)
