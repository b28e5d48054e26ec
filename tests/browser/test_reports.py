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
    assert page.locator(".report-doc h3").count() >= 8  # issue 17 added the regulation areas' sections
    assert page.locator("textarea[name=problems]").input_value().startswith("1. ")
    check_page(page)
    page.screenshot(path=str(SCREENSHOTS / f"reports-term-{lang}-{size}.png"), full_page=False)
    with page.expect_download() as info:
        page.locator("form.card button[type=submit]").first.click()
    path = info.value.path()
    with open(path, "rb") as fh:
        assert fh.read(5) == b"%PDF-"
    assert info.value.suggested_filename.endswith(".pdf")


@pytest.mark.parametrize(("lang", "size"), [("ky", "phone"), ("ru", "laptop")])
def test_inspector_compares_every_school_on_the_home_page(new_phone, live_server, lang, size):
    import sqlalchemy as sa

    from safetyops.extensions import db
    from safetyops.schools.models import School

    schools = live_server.query(lambda: sorted(db.session.scalars(sa.select(School.name)).all()))
    page = new_phone(**(LAPTOP if size == "laptop" else {}))
    sign_in(page, "inspector")
    switch_language(page, lang)
    table = page.locator("table.compare-table")
    assert table.count() == 1
    # the demo's district: both schools side by side, the one needing attention in red
    assert sorted(table.locator("tbody th").all_inner_texts()) == schools
    assert table.locator("td.bad").count() >= 1
    with page.expect_navigation():
        table.locator("thead a").nth(2).click()  # sort by open critical deficiencies
    assert "sort=" in page.url
    if size == "phone":
        assert page.evaluate("() => document.documentElement.scrollWidth") <= page.viewport_size["width"]
    check_page(page)
    page.screenshot(path=str(SCREENSHOTS / f"reports-district-{lang}-{size}.png"), full_page=False)


# --------------------------------------------------------------------------- issue 14, second part

CLS_SCRIPT = """() => new Promise(resolve => {
  let total = 0; const sources = [];
  new PerformanceObserver(list => {
    for (const e of list.getEntries()) {
      if (!e.hadRecentInput) { total += e.value;
        for (const s of e.sources || []) {
          sources.push((s.node && s.node.nodeName) + '.' + (s.node && s.node.className));
        }
      }
    }
  }).observe({type: 'layout-shift', buffered: true});
  requestAnimationFrame(() => requestAnimationFrame(() => resolve({total, sources})));
})"""


def _cls(page) -> dict:
    """The page's cumulative layout shift once it and its late scripts have loaded (no network for 500 ms)."""
    page.wait_for_load_state("networkidle")
    page.evaluate("() => document.fonts.ready")
    return page.evaluate(CLS_SCRIPT)


@pytest.mark.parametrize(("lang", "size"), [("ky", "phone"), ("ru", "laptop")])
def test_director_school_calendar_monthly_report_and_roster_grid(new_phone, live_server, lang, size):
    page = new_phone(**(LAPTOP if size == "laptop" else {}))
    sign_in(page, "director")
    switch_language(page, lang)
    page.goto("/calendar")
    assert page.locator("#cal-national + ul li").count() >= 5  # the national holidays of Kyrgyzstan
    page.select_option("select[name=kind]", "day_off")
    name = f"Санитардык күн {lang} {size}"  # the live server is shared by the parameters
    page.fill("input[name=name]", name)
    page.fill("input[name=first_day]", "2027-04-30")
    with page.expect_navigation():
        page.locator("form.card button[type=submit]").last.click()
    assert page.locator(".calendar-table tbody tr", has_text=name).count() == 1
    check_page(page)
    # the monthly report: a month chip, then the PDF
    page.goto("/reports/safety")
    month = page.locator("nav.chips").nth(1).locator("a").last
    with page.expect_navigation():
        month.click()
    assert "period=m" in page.url
    assert page.locator(".report-doc h3").count() >= 8
    check_page(page)
    with page.expect_download() as info:
        page.locator("form.card button[type=submit]").first.click()
    assert info.value.suggested_filename.startswith("safety-report-m")
    # the roster: a grid on a laptop, the day-by-day list on a phone
    page.goto("/rosters/week")
    grid, days = page.locator(".roster-grid"), page.locator(".roster-list")
    if size == "laptop":
        assert grid.is_visible() and not days.is_visible()
        assert grid.locator("tbody tr").count() >= 2
    else:
        assert not grid.is_visible() and days.is_visible()
    check_page(page)
    page.screenshot(path=str(SCREENSHOTS / f"reports-roster-grid-{lang}-{size}.png"), full_page=False)
    # the home page: groups, the cards that only inform folded
    page.goto("/")
    assert page.locator("details.card-group").count() <= 1
    assert page.locator("h2.section-h").count() >= 2
    if size == "laptop":
        assert page.evaluate("() => document.querySelector('main').getBoundingClientRect().width") > 900
    else:
        assert page.evaluate("() => document.documentElement.scrollWidth") <= page.viewport_size["width"]
    page.screenshot(path=str(SCREENSHOTS / f"reports-home-grouped-{lang}-{size}.png"), full_page=False)


def test_inspector_district_report_and_canteen_page_is_steady(new_phone, live_server):
    page = new_phone(**LAPTOP)
    sign_in(page, "inspector")
    switch_language(page, "ru")
    page.goto("/reports/safety?scope=district")
    assert page.locator(".report-doc h3").first.inner_text().startswith("1.")
    check_page(page)
    with page.expect_download() as info:
        page.locator("form.card button[type=submit]").first.click()
    assert info.value.suggested_filename.startswith("district-safety-report-")
    page.goto("/canteen")
    shift = _cls(page)
    assert shift["total"] < 0.1, shift


def test_canteen_week_schedule_button_does_not_cover_the_date_on_a_phone(new_phone, live_server):
    page = new_phone()
    sign_in(page, "director")
    switch_language(page, "ky")
    page.goto("/canteen")
    button = page.locator(".head-row .btn").bounding_box()
    date = page.locator("p.lead").bounding_box()
    assert button["y"] + button["height"] <= date["y"] + 0.5, (button, date)
    assert _cls(page)["total"] < 0.1
