"""At phone size: a teacher sees the class's meal time; the canteen manager ticks the sanitary check
and enters the breakfast tally."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from playwright.sync_api import expect

from tests.browser.conftest import check_page, sign_in
from tests.browser.test_incidents import _shot

pytestmark = pytest.mark.browser


def test_a_teacher_sees_the_class_meal_time(page, live_server):
    sign_in(page, "teacher")  # homeroom teacher of 5А in the demo
    card = page.locator(".cards .card", has_text="5А").filter(has_text="10:15")
    expect(card).to_have_count(1)
    check_page(page)
    card.locator("a").first.click()
    expect(page.locator(".mealtime .big")).to_have_text("10:15")
    _shot(page, "canteen_teacher")
    check_page(page)


def _next_monday_8am() -> dt.datetime:
    bishkek = dt.timezone(dt.timedelta(hours=6))
    today = dt.datetime.now(bishkek).date()
    monday = today + dt.timedelta(days=(7 - today.weekday()) % 7 or 7)
    return dt.datetime.combine(monday, dt.time(8, 0), tzinfo=bishkek)


def test_the_canteen_manager_ticks_the_sanitary_check_and_enters_the_tally(page, live_server):
    with time_machine.travel(_next_monday_8am(), tick=True):  # a school day for the server, whatever today is
        sign_in(page, "canteen")
        page.goto("/canteen")
        check_page(page)
        _shot(page, "canteen_today")
        with page.expect_navigation():
            page.click(".tiles .tile >> nth=0")  # the sanitary check (the inspections engine's run)
        passes = page.locator("button.tick-pass")
        total = passes.count()
        assert total >= 8
        for i in range(total):
            passes.nth(i).click()
            expect(page.locator("#progress")).to_contain_text(f"{i + 1}")
        expect(page.locator("#progress")).to_contain_text(f"{total}")
        with page.expect_navigation():
            page.click("#finish")
        page.goto("/canteen")
        expect(page.locator(".tiles .tile").first).to_contain_text("✓")

        page.goto("/canteen/tally")
        check_page(page)
        rows = page.locator("fieldset.tally-row")
        assert rows.count() == 4  # grades 1–4
        first = rows.nth(0)
        size = int(first.locator("input[name^=served-]").get_attribute("max"))
        first.locator("input[name^=served-]").fill(str(size + 3))
        with page.expect_navigation():
            page.click("form.stack button[type=submit]")
        expect(page.locator("fieldset.tally-row.has-error .error")).to_contain_text(str(size + 3))
        expect(first.locator("input[name^=served-]")).to_have_value(str(size + 3))  # what was typed stays
        for i in range(rows.count()):
            row = rows.nth(i)
            n = int(row.locator("input[name^=served-]").get_attribute("max"))
            row.locator("input[name^=served-]").fill(str(n - 1))
            row.locator("input[name^=absent-]").fill("1")
        with page.expect_navigation():
            page.click("form.stack button[type=submit]")
        expect(page.locator(".flash-success")).to_be_visible()
        assert page.locator(".ok-mark").count() == 4
        _shot(page, "canteen_tally")
        check_page(page)
