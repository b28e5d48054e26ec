"""At phone size: record a road incident and read its chart (and its export has no names)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_page, sign_in

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("SAFETYOPS_SHOTS", "/tmp/safetyops-shots"))
PLACE = "Ахунбаев / Токтогул кесилиши"


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_record_an_incident_and_read_its_chart(page, live_server):
    sign_in(page, "nurse")
    page.goto("/incidents/analysis")
    check_page(page)
    before = int(page.locator(".stats .stat strong").first.inner_text())
    page.click("a[href='/incidents/new']")
    check_page(page)
    today = page.input_value("#occurred_date")
    page.fill("#occurred_time", "00:05")
    page.fill("#place", "ахунбаев  /  токтогул кесилиши")  # spelled differently: still the same place
    page.select_option("#class_id", label="2А")
    page.select_option("#mode", "scooter")
    page.select_option("#journey", "to_school")
    page.select_option("#severity", "light")
    page.fill("#description", "Самокат менен жыгылды")
    with page.expect_navigation():
        page.click("form.card button[type=submit]")
    assert re.search(r"/incidents/\d+$", page.url), page.url
    expect(page.locator(".facts")).to_contain_text("токтогул")
    check_page(page)
    page.goto(f"/incidents/analysis?year={today[:4]}")
    assert int(page.locator(".stats .stat strong").first.inner_text()) == before + 1
    hot = page.locator(".bars li.hot a").first
    expect(hot).to_contain_text(PLACE)
    count = int(hot.locator(".bar-n").inner_text())
    assert count >= 4  # three in the demo and this one
    assert page.locator("svg.columns a").count() == 12
    _shot(page, "incidents_analysis")
    check_page(page)
    with page.expect_navigation():
        hot.click()
    assert page.locator(".list .list-item").count() == count
    # The export has no names.
    with page.expect_download() as dl:
        page.click("a[href^='/incidents/export.csv']")
    body = Path(dl.value.path()).read_text(encoding="utf-8-sig")
    assert PLACE.split()[0] in body and "Асанов" not in body
