"""The director finds the late checks with whose they are, in one tap from home, and downloads the
term safety report; the district inspector compares the schools — on a phone and on a laptop, in
Kyrgyz and Russian (issue 14)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import REPO, check_page, sign_in, switch_language

pytestmark = pytest.mark.browser

SCREENSHOTS = REPO / "docs" / "screenshots"
LAPTOP = {"viewport": {"width": 1366, "height": 768}, "is_mobile": False, "has_touch": False,
          "device_scale_factor": 1}


@pytest.mark.parametrize(("lang", "size"), [("ky", "phone"), ("ru", "laptop")])
def test_director_finds_late_checks_and_downloads_the_term_report(new_phone, live_server, lang, size):
    page = new_phone(**(LAPTOP if size == "laptop" else {}))
    sign_in(page, "director")
    switch_language(page, lang)
    # one tap from home to the overdue page
    with page.expect_navigation():
        page.locator("ul.cards a[href^='/inspections/overdue']").first.click()
    assert page.url.endswith("/inspections/overdue#late-checks")
    late = page.locator("li.list-item[class*='due-']")
    assert late.count() >= 1
    first = late.first
    assert first.locator(".responsible strong").count() >= 1, first.inner_text()
    assert first.locator("a[href^='tel:']").count() >= 1
    assert first.locator("a[href^='sms:']").count() >= 1
    check_page(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"reports-overdue-{lang}-{size}.png"), full_page=False)

    # the term report: figures on the page, the text pre-filled, the PDF downloaded
    page.goto("/reports/safety")
    assert page.locator(".report-doc h3").count() == 8
    assert page.locator("textarea[name=problems]").input_value().startswith("1. ")
    check_page(page)
    page.screenshot(path=str(SCREENSHOTS / f"reports-term-{lang}-{size}.png"), full_page=False)
    with page.expect_download() as info:
        page.locator("form.card button[type=submit]").first.click()
    path = info.value.path()
    with open(path, "rb") as fh:
        assert fh.read(5) == b"%PDF-"
    assert info.value.suggested_filename.endswith(".pdf")


def test_inspector_compares_the_schools_on_a_laptop(new_phone, live_server):
    page = new_phone(**LAPTOP)
    sign_in(page, "inspector")
    switch_language(page, "ru")
    table = page.locator("table.compare-table")
    assert table.count() == 1
    assert table.locator("tbody tr").count() >= 1
    with page.expect_navigation():
        table.locator("thead a").nth(2).click()  # sort by open critical deficiencies
    assert "sort=" in page.url
    check_page(page)
    page.screenshot(path=str(SCREENSHOTS / "reports-district-ru-laptop.png"), full_page=False)
