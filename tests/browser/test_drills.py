"""A drill run entirely from phones: the director starts it, three teachers report, the board updates by itself,
all clear, and the after-action shows the evacuation time."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import REPO, check_page, sign_in

pytestmark = pytest.mark.browser

SHOTS = REPO / "docs" / "screenshots"
TEACHERS = [("teacher", "5А"), ("teacher2", "6Б"), ("teacher3", "7В")]


def _report(page, klass: str, present: int | None = None) -> None:
    page.goto("/drills/my")
    page.click(f"a.drill-my:has-text('{klass}')")
    if present is not None:
        page.fill("input[name=present]", str(present))
        page.fill("input[name=evacuated]", str(present))
    with page.expect_navigation():
        page.click("form.drill-report-form button[type=submit]")
    expect(page.locator(".flash-success")).to_contain_text(klass)


def test_drill_from_phones(new_phone):
    director = new_phone()
    sign_in(director, "director")
    director.goto("/drills/start")
    check_page(director)
    director.select_option("select[name=plan_id]", index=0)  # not in the plan
    director.check("input[name=kind][value=earthquake]")  # nothing is pre-selected
    director.check("input[name=send_sms][value=no]")
    with director.expect_navigation():
        director.click("form.card button[type=submit]")
    assert re.search(r"/drills/\d+/board$", director.url)
    board_url = director.url
    counts = director.locator(".drill-counts li").first
    expected = counts.inner_text().split("/")[1].split()[0]
    expect(counts).to_contain_text(f"0 / {expected}")
    SHOTS.mkdir(parents=True, exist_ok=True)
    check_page(director)

    phones = []
    for username, klass in TEACHERS:
        phone = new_phone()
        sign_in(phone, username)
        phones.append((phone, klass))
    # the teachers see the drill on their home page and report, one after the other
    expect(phones[0][0].locator(".cards li").filter(has_text="5А").first).to_be_visible()
    for n, (phone, klass) in enumerate(phones, start=1):
        _report(phone, klass, present=20 if n == 2 else None)
        # the board updates itself, without a reload
        expect(counts).to_contain_text(f"{n} / {expected}", timeout=15000)
    assert director.url == board_url
    check_page(phones[0][0])
    # a second report of the same class updates it and counts nothing twice
    _report(phones[1][0], "6Б", present=21)
    expect(director.locator("#board")).to_contain_text("21/21", timeout=15000)
    expect(counts).to_contain_text(f"3 / {expected}")
    director.screenshot(path=str(SHOTS / "drills-board.png"), full_page=False)

    with director.expect_navigation():
        director.click("form[action$='/all-clear'] button[type=submit]")
    assert re.search(r"/drills/\d+$", director.url)
    time_text = director.inner_text("#evacuation-time").strip()
    assert re.fullmatch(r"\d+:\d\d", time_text), time_text
    check_page(director)
    director.screenshot(path=str(SHOTS / "drills-after-action.png"), full_page=True)
    pdf = director.request.get(director.url + "/report.pdf")
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")


def test_drills_pages_are_valid_and_accessible(new_phone):
    page = new_phone()
    sign_in(page, "director")
    for url in ("/drills", "/training", "/civil-defence", "/drills/classes", "/drills/emergency", "/drills/settings"):
        page.goto(url)
        check_page(page)
    page.goto("/drills")
    page.screenshot(path=str(SHOTS / "drills-index.png"), full_page=True)
