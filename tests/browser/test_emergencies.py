"""Issue 15 at phone size (360×640): a teacher raises "earthquake" in two taps and a confirmation, the guard's
open page shows the banner by itself, every member of staff got one SMS, a second teacher's alarm joins the
first, the director runs the roll-call from the board (emergency numbers one tap away) and gives the all clear."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import REPO, check_page, sign_in

pytestmark = pytest.mark.browser

SHOTS = REPO / "docs" / "screenshots"
SMALL = {"viewport": {"width": 360, "height": 640}}


def _sms_per_person(live_server):
    from safetyops.drills.models import Drill
    from safetyops.drills.services import staff_of
    from safetyops.extensions import db
    from safetyops.notifications.models import OutboundMessage

    def read():
        drill = db.session.scalar(sa.select(Drill).where(Drill.is_real.is_(True), Drill.ended_dt.is_(None)))
        rows = db.session.scalars(sa.select(OutboundMessage).where(
            OutboundMessage.kind == "drills.alarm.earthquake", OutboundMessage.school_id == drill.school_id)).all()
        staff = {u.id for u in staff_of(drill.school)}
        per: dict[int, int] = {}
        for m in rows:
            per[m.user_id] = per.get(m.user_id, 0) + 1
        alarms = [(a.is_join, a.kind.value) for a in drill.alarms]
        live = db.session.scalar(sa.select(sa.func.count()).select_from(Drill).where(
            Drill.is_real.is_(True), Drill.ended_dt.is_(None)))
        return staff, per, alarms, live

    return live_server.query(read)


def test_alarm_from_a_teacher_reaches_every_phone(new_phone, live_server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    guard = new_phone(**SMALL)
    sign_in(guard, "guard")
    guard.goto("/")
    expect(guard.locator("#alarm-banner")).to_be_hidden()

    teacher = new_phone(**SMALL)
    sign_in(teacher, "teacher")
    # (the home page's tiles are 386 px wide at 360 px, so the phone zooms out and the floating button
    # sits below Playwright's 640 px viewport there: start from "My class")
    teacher.goto("/drills/my")
    with teacher.expect_navigation():
        teacher.click("#alarm-button")  # tap 1
    check_page(teacher)
    teacher.screenshot(path=str(SHOTS / "emergency-alarm-360.png"), full_page=False)
    assert teacher.evaluate("() => document.documentElement.scrollWidth") <= 360  # nothing wider than the phone
    with teacher.expect_navigation():
        teacher.click("a.alarm-earthquake")  # tap 2
    teacher.fill("input[name=note]", "Трещины на лестнице")
    check_page(teacher)
    teacher.screenshot(path=str(SHOTS / "emergency-confirm-360.png"), full_page=False)
    with teacher.expect_navigation():
        teacher.click("#alarm-confirm")  # the one confirmation
    assert teacher.url.endswith("/drills/my")

    # the guard's page, open all along, shows the banner by itself (short polling)
    expect(guard.locator("#alarm-banner")).to_be_visible(timeout=20000)
    guard.screenshot(path=str(SHOTS / "emergency-banner-guard-360.png"), full_page=False)
    with guard.expect_navigation():
        guard.click("#alarm-banner-link")
    expect(guard.locator("a[href='tel:101']")).to_be_visible()
    check_page(guard)
    guard.screenshot(path=str(SHOTS / "emergency-alert-guard-360.png"), full_page=True)

    staff, per, alarms, live = _sms_per_person(live_server)
    assert live == 1 and alarms == [(False, "earthquake")]
    assert set(per) == staff and set(per.values()) == {1}  # once to each member of staff

    # a second teacher raising the same alarm joins it: no second emergency, no second SMS
    second = new_phone(**SMALL)
    sign_in(second, "teacher2")
    second.goto("/alarm")
    with second.expect_navigation():
        second.click("a.alarm-earthquake")
    expect(second.locator(".flash-warning")).to_be_visible()
    with second.expect_navigation():
        second.click("#alarm-confirm")
    _staff, per2, alarms2, live2 = _sms_per_person(live_server)
    assert live2 == 1 and alarms2 == [(False, "earthquake"), (True, "earthquake")] and per2 == per

    # the director: the banner opens the board, the numbers are one tap away; roll-call, all clear
    director = new_phone(**SMALL)
    sign_in(director, "director")
    expect(director.locator("#alarm-banner")).to_be_visible()
    with director.expect_navigation():
        director.click("#alarm-banner-link")
    assert re.search(r"/drills/\d+/board$", director.url)
    expect(director.locator(".drill-banner.real")).to_be_visible()
    for number in ("101", "102", "103", "112"):
        expect(director.locator(f"a[href='tel:{number}']")).to_be_visible()
    with teacher.expect_navigation():
        teacher.click("a.drill-my >> nth=0")
    with teacher.expect_navigation():
        teacher.click("form.drill-report-form button[type=submit]")
    expect(director.locator(".drill-counts li").first).to_contain_text(re.compile(r"^\s*1 /"), timeout=15000)
    check_page(director)
    director.screenshot(path=str(SHOTS / "emergency-board-360.png"), full_page=False)
    with director.expect_navigation():
        director.click("form[action$='/all-clear'] button[type=submit]")
    if "/all-clear" in director.url:  # the board asked to confirm (it had not seen the report yet)
        with director.expect_navigation():
            director.click("form[action$='/all-clear'] input[name=confirmed] ~ button[type=submit]")
    expect(director).to_have_url(re.compile(r"/drills/\d+$"))
    expect(director.locator("#evacuation-time")).to_have_text(re.compile(r"\d+:\d\d"))
    guard.goto("/")
    expect(guard.locator("#alarm-banner")).to_be_hidden()
