"""A teacher's daily walk on a phone: ticks, a failure with a note and a photo, the browser
closed mid-run, signed in again, finished (in Russian); the director sees the deficiency."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from PIL import Image

from safetyops.extensions import db
from safetyops.inspections.models import Answer, CorrectiveAction, Run
from tests.browser.conftest import REPO, check_page, sign_in, switch_language

pytestmark = pytest.mark.browser

SCREENSHOTS = REPO / "docs" / "screenshots"
ZONE = "2-кабат"
NOTE = "Белги күйбөйт"


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), (180, 40, 40)).save(out, "JPEG")
    return out.getvalue()


def _open_walk(page):
    page.goto("/inspections/checks")
    item = page.locator("li.list-item", has_text=ZONE).filter(has_text="кыдыруу").first
    link = item.locator("a.list-link")
    with page.expect_navigation():
        if link.count():
            link.click()
        else:
            item.locator("button[type=submit]").click()
    assert "/inspections/runs/" in page.url
    return int(page.url.split("/inspections/runs/")[1].split("/")[0].split("#")[0])


def _wait_saved(page):
    page.wait_for_function("() => !document.querySelector('.item.is-pending') && "
                           "!(JSON.parse(localStorage.getItem('safetyops.insp.queue') || '[]').length)")



def test_daily_walk_resumed_after_closing_the_browser(new_phone, live_server):
    page = new_phone()
    sign_in(page, "teacher")
    run_id = _open_walk(page)
    check_page(page)
    items = page.locator("li.item")
    total = items.count()
    assert total >= 5
    half = total // 2

    # Tick the first half: Pass, except one Fail with a note and a photo from the "camera".
    fail_index = next(i for i in range(half) if "sev-critical" not in (items.nth(i).get_attribute("class") or ""))
    for i in range(half):
        item = items.nth(i)
        if i == fail_index:
            item.locator(".js-fail").click()
            item.locator("textarea[name=note]").fill(NOTE)
            item.locator("input[type=file]").set_input_files(
                files=[{"name": "fail.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}])
            item.locator("button[value=fail]").click()
        else:
            item.locator("button.tick-pass").click()
        _wait_saved(page)
    assert page.locator("li.item.is-fail").count() == 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "inspections-run.png"), full_page=False)
    page.context.close()  # the phone's browser is closed mid-run

    answers = live_server.query(lambda: db.session.scalar(
        sa.select(sa.func.count(Answer.id)).where(Answer.run_id == run_id)))
    assert answers == half

    # Back later, signed in again: the run resumes where it was, then finished in Russian.
    page = new_phone()
    sign_in(page, "teacher")
    assert _open_walk(page) == run_id
    assert page.locator("li.item.is-pass").count() == half - 1
    assert page.locator("li.item.is-fail").count() == 1
    switch_language(page, "ru")
    assert page.get_attribute("html", "lang") == "ru"
    items = page.locator("li.item")
    for i in range(half, total):
        items.nth(i).locator("button.tick-na" if i == total - 1 else "button.tick-pass").click()
        _wait_saved(page)
    assert "Ответ" in page.inner_text("#progress") or str(total) in page.inner_text("#progress")
    with page.expect_navigation():
        page.click("#finish")
    assert page.url.endswith("/inspections/checks")
    run = live_server.query(lambda: db.session.get(Run, run_id).is_done)
    assert run

    action_id, action_title = live_server.query(lambda: db.session.execute(
        sa.select(CorrectiveAction.id, CorrectiveAction.title).where(CorrectiveAction.run_id == run_id)).one())

    # The director sees the deficiency on the overdue page.
    director = new_phone()
    sign_in(director, "director")
    director.goto("/inspections/overdue")
    assert f"#{action_id} {action_title}" in director.inner_text("main")
    check_page(director)
    director.screenshot(path=str(SCREENSHOTS / "inspections-overdue.png"), full_page=False)
    with director.expect_navigation():
        director.locator(f"a.list-link[href$='/inspections/actions/{action_id}']").click()
    assert NOTE in director.inner_text("main")
    assert director.locator("figure img").count() == 1
