"""Issue 15, reunification, at phone size (360×640): a teacher raises "earthquake", the director runs the
roll-call of the teacher's class from the board and gives the all clear; then the class is reunited: the
teacher hands one child to a listed guardian, the guard at the gate hands another to a neighbour (name and the
last 4 characters of a document), and the director's open board counts one child fewer each time."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import REPO, check_page, sign_in

pytestmark = pytest.mark.browser

SHOTS = REPO / "docs" / "screenshots"
SMALL = {"viewport": {"width": 360, "height": 640}}


def _handovers(live_server):
    from safetyops.drills.models import Handover
    from safetyops.extensions import db

    def read():
        return [(h.is_guardian, h.taken_by_name, h.doc_last4) for h in
                db.session.scalars(sa.select(Handover).order_by(Handover.id))]

    return live_server.query(read)


def _still(page, klass: str) -> str:
    return page.locator(f".reunion-counts tr[data-class='{klass}'] .reunion-still").inner_text().strip()


def test_a_class_is_reunited_after_the_all_clear(new_phone, live_server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    teacher = new_phone(**SMALL)
    sign_in(teacher, "teacher")  # homeroom teacher of 5А
    teacher.goto("/drills/my")
    with teacher.expect_navigation():
        teacher.click("#alarm-button")
    with teacher.expect_navigation():
        teacher.click("a.alarm-earthquake")
    with teacher.expect_navigation():
        teacher.click("#alarm-confirm")

    # the director: the banner opens the board; roll-call of 5А from the board, then the all clear
    director = new_phone(**SMALL)
    sign_in(director, "director")
    with director.expect_navigation():
        director.click("#alarm-banner-link")
    assert re.search(r"/drills/\d+/board$", director.url)
    board_url = director.url
    with director.expect_navigation():
        director.click(".drill-waiting a.list-link:has(.title:text-is('5А'))")
    with director.expect_navigation():
        director.click("form.drill-report-form button[type=submit]")
    with director.expect_navigation():
        director.click("form[action$='/all-clear'] button[type=submit]")
    if "/all-clear" in director.url:  # asked to confirm
        with director.expect_navigation():
            director.click("form[action$='/all-clear'] input[name=confirmed] ~ button[type=submit]")
    expect(director).to_have_url(re.compile(r"/drills/\d+$"))

    # the board now counts per class who is still with the school, and keeps following the hand-overs
    director.goto(board_url)
    expect(director.locator(".reunion-counts")).to_be_visible()
    start = int(_still(director, "5А"))
    assert start > 0
    check_page(director)

    # the teacher: "My class" leads to reunification; a search in Latin finds a Cyrillic name
    teacher.goto("/drills/my")
    with teacher.expect_navigation():
        teacher.click("#reunion-link")
    teacher.fill("#q", "Jumabaev")
    with teacher.expect_navigation():
        teacher.click("form.reunion-search button[type=submit]")
    expect(teacher.locator("a.reunion-child")).to_have_count(1)
    check_page(teacher)
    teacher.screenshot(path=str(SHOTS / "reunification-search-360.png"), full_page=False)
    assert teacher.evaluate("() => document.documentElement.scrollWidth") <= 360
    with teacher.expect_navigation():
        teacher.click("a.reunion-child")
    check_page(teacher)
    teacher.screenshot(path=str(SHOTS / "reunification-handover-360.png"), full_page=True)
    teacher.check("input[name=guardian_id] >> nth=0")  # the first listed guardian
    with teacher.expect_navigation():
        teacher.click("#handover-submit")
    expect(director.locator(".reunion-counts tr[data-class='5А'] .reunion-still")).to_have_text(
        str(start - 1), timeout=20000)

    # the guard at the gate: the alarm screen leads to reunification; another adult takes a child
    guard = new_phone(**SMALL)
    sign_in(guard, "guard")
    guard.goto("/alarm")
    with guard.expect_navigation():
        guard.click("#reunion-link")
    guard.fill("#q", "Иванова")
    with guard.expect_navigation():
        guard.click("form.reunion-search button[type=submit]")
    with guard.expect_navigation():
        guard.click("a.reunion-child >> nth=0")
    handover_url = guard.url
    guard.check("input[name=guardian_id][value='']")  # another adult
    guard.fill("input[name=adult_name]", "Сосед Бакыт Асанов")
    guard.fill("input[name=relation]", "сосед")
    guard.fill("input[name=doc_last4]", "4521")
    with guard.expect_navigation():
        guard.click("#handover-submit")
    expect(director.locator(".reunion-counts tr[data-class='5А'] .reunion-still")).to_have_text(
        str(start - 2), timeout=20000)
    director.screenshot(path=str(SHOTS / "reunification-board-360.png"), full_page=False)

    # the same child again: a clear message, nothing stored twice
    guard.goto(handover_url)
    expect(guard.locator("#handed-over")).to_be_visible()
    check_page(guard)

    assert _handovers(live_server) == [(True, "Жумабаева Айгүл", None), (False, "Сосед Бакыт Асанов", "4521")]

    # the after-action page has the reunification times; the director's class list passes the checkers too
    director.goto(re.sub(r"/board$", "", board_url))
    expect(director.locator("#reunion-first")).to_be_visible()
    check_page(director)
    director.goto("/drills/classes")
    with director.expect_navigation():
        director.click("a[href$='/students'] >> nth=4")  # 5А, the fifth class
    expect(director.locator(".reunion-guardian").first).to_be_visible()
    check_page(director)
