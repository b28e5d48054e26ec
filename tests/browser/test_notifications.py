"""Messages on a phone (iPhone 13, Kyrgyz): the director reads the log, sends a message to all
teachers with a live SMS counter, a preview and a confirmation, and watches it go out;
a teacher sets quiet hours."""

from __future__ import annotations

import sqlalchemy as sa

from safetyops.extensions import db
from tests.browser.conftest import REPO, check_page, sign_in

SCREENSHOTS = REPO / "docs" / "screenshots"



def test_director_log_and_broadcast_on_a_phone(page, live_server):
    from safetyops.notifications.models import OutboundMessage

    sign_in(page, "director")
    page.goto("/messages/")
    check_page(page)
    assert page.locator(".sms-status").count() > 0
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "notifications-log-phone.png"), full_page=True)

    # the refused number is listed for the director
    page.goto("/messages/phones")
    check_page(page)
    assert "21211" in page.inner_text("main")

    page.goto("/messages/broadcast")
    check_page(page)
    page.select_option("#audience", "teacher")
    text = "Бүгүн саат 14:00дө мугалимдер жыйыны, 2-кабат."
    page.fill("#text", text)
    counter = page.locator("#sms-counter")
    assert counter.is_visible()
    assert f"{len(text)}" in counter.inner_text() and "70" in counter.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "notifications-broadcast-phone.png"), full_page=True)
    with page.expect_navigation():
        page.click("form.card button[type=submit]")
    check_page(page)
    assert text in page.inner_text("main")
    assert live_server.query(lambda: db.session.scalar(
        sa.select(sa.func.count(OutboundMessage.id)).where(OutboundMessage.body == text))) == 0
    with page.expect_navigation():
        page.click("form.card button[type=submit]")
    assert "/messages/broadcast/" in page.url
    assert page.locator("#sms-progress[data-refresh]").count() == 1  # reloads itself while sending
    queued = live_server.query(lambda: db.session.scalar(
        sa.select(sa.func.count(OutboundMessage.id)).where(OutboundMessage.body == text)))
    assert queued >= 6  # the demo's teachers

    def dispatch():  # what the scheduler's dispatcher thread does after the commit
        from safetyops.notifications.dispatcher import run_pass

        return run_pass(housekeeping=False).sent

    assert live_server.query(dispatch) >= 6
    page.goto(page.url)
    assert page.locator("#sms-progress[data-refresh]").count() == 0
    check_page(page)
    page.screenshot(path=str(SCREENSHOTS / "notifications-progress-phone.png"), full_page=True)
    box = page.locator("#sms-progress").bounding_box()
    assert box["width"] <= 390


def test_teacher_sets_quiet_hours(page, live_server):
    from safetyops.notifications.models import NotificationPreference

    sign_in(page, "teacher2")
    page.goto("/messages/settings")
    check_page(page)
    page.select_option("#channel", "sms")
    page.fill("#quiet_start", "21:30")
    page.fill("#quiet_end", "07:00")
    with page.expect_navigation():
        page.click("form.card button[type=submit]")
    assert page.locator(".flash-success").count() == 1
    check_page(page)
    for sel in ("#channel", "#quiet_start", "form.card button[type=submit]"):
        assert page.locator(sel).bounding_box()["height"] >= 44, sel

    def pref():
        from safetyops.auth.models import User

        user = db.session.scalar(sa.select(User).where(User.username == "teacher2"))
        return db.session.scalar(sa.select(NotificationPreference).where(NotificationPreference.user_id == user.id))

    saved = live_server.query(pref)
    assert saved is not None and saved.quiet_start.strftime("%H:%M") == "21:30"
