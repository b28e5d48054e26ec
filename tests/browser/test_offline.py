"""Offline phones (issue 12): the app opens with no signal, every write waits in the phone's outbox
(photos included) through a closed and reopened app, and is stored exactly once when the network
comes back; the badge says what waits and returns to zero.

Each test waits on conditions (the badge's counts, the service worker, the database), never on a
fixed time.  The phone is offline through `context.set_offline(True)`.
"""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from PIL import Image
from playwright.sync_api import expect

from safetyops.extensions import db
from tests.browser.conftest import REPO, sign_in, sign_out

pytestmark = pytest.mark.browser

SCREENSHOTS = REPO / "docs" / "screenshots"
LONG = 60_000  # ms: a busy shared machine


def _jpeg(colour=(180, 40, 40)) -> dict:
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), colour).save(out, "JPEG")
    return {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


def _ready_offline(page) -> None:
    """The worker controls the page and has cached the pages this person needs today."""
    page.wait_for_function("() => navigator.serviceWorker && navigator.serviceWorker.controller", timeout=LONG)
    page.wait_for_function("() => document.documentElement.getAttribute('data-offline-ready') === '1'",
                           timeout=LONG)


def _phone(new_phone, user: str):
    page = new_phone()
    sign_in(page, user)
    _ready_offline(page)
    return page


def _waiting(page, n: int) -> None:
    expect(page.locator("#outbox")).to_have_attribute("data-waiting", str(n), timeout=LONG)


def _all_sent(page) -> None:
    _waiting(page, 0)
    expect(page.locator("#outbox")).to_have_attribute("data-failed", "0", timeout=LONG)
    expect(page.locator("#outbox")).to_be_hidden(timeout=LONG)


def _reopen(page, url: str):
    """The app closed and opened again (a new tab of the same phone), still offline."""
    context = page.context
    page.close()
    page = context.new_page()
    page.goto(url)
    return page


def test_the_app_opens_with_the_network_already_off(new_phone):
    page = _phone(new_phone, "teacher")
    context = page.context
    page.close()
    context.set_offline(True)
    page = context.new_page()
    page.goto("/")  # the phone's home screen icon, with no signal
    assert page.locator("#main").count() == 1
    assert page.get_attribute("html", "lang") == "ky"
    page.goto("/inspections/checks")
    assert page.locator("form.start-form, a.list-link").count() >= 1
    # a page the phone does not have: the app's own offline page, in the person's language
    page.goto("/schools/appointments")
    assert page.locator("#offline-page").count() == 1
    assert page.get_attribute("html", "lang") == "ky"
    expect(page.locator("#outbox")).to_be_visible()  # "no connection" shown
    for size, name in (((360, 640), "offline-page-360.png"),):
        page.set_viewport_size({"width": size[0], "height": size[1]})
        page.screenshot(path=str(SCREENSHOTS / name), full_page=False)
    context.set_offline(False)


def test_a_check_started_and_ticked_offline_with_a_photo_is_stored_once(new_phone, live_server):
    from safetyops.inspections.models import Answer, Run, Schedule

    schedule_id = live_server.query(lambda: db.session.scalar(
        sa.select(Schedule.id).where(Schedule.template_key == "lab_waste_weekly").order_by(Schedule.id)))
    page = _phone(new_phone, "teacher")
    context = page.context
    page.goto("/inspections/checks")
    context.set_offline(True)  # the basement

    start = page.locator(f"form[action='/inspections/checks/{schedule_id}/start'] button[type=submit]")
    with page.expect_navigation():
        start.click()
    assert f"/inspections/checks/{schedule_id}/walk" in page.url
    items = page.locator("li.item")
    total = items.count()
    assert total >= 3
    half = total // 2
    items.nth(0).locator(".js-fail").click()
    items.nth(0).locator("textarea[name=note]").fill("Контейнер ачык")
    items.nth(0).locator("input[type=file]").set_input_files(files=[_jpeg()])
    items.nth(0).locator("button[value=fail]").click()
    for i in range(1, half):
        items.nth(i).locator("button.tick-pass").click()
    _waiting(page, half)
    expect(page.locator("#sync-state")).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 360, "height": 640})
    page.screenshot(path=str(SCREENSHOTS / "offline-run-360.png"), full_page=False)

    # the phone's browser is closed in the basement and opened again, still offline
    page = _reopen(page, f"/inspections/checks/{schedule_id}/walk")
    items = page.locator("li.item")
    expect(page.locator("li.item.is-pending")).to_have_count(half, timeout=LONG)
    for i in range(half, total):
        items.nth(i).locator("button.tick-pass").click()
    _waiting(page, total)
    with page.expect_navigation():
        page.click("#finish")  # waits in the outbox behind the ticks
    assert page.url.endswith("/inspections/checks")
    _waiting(page, total + 1)
    expect(page.locator(".outbox-queued")).to_be_visible()

    context.set_offline(False)
    _all_sent(page)

    def stored():
        run = db.session.scalar(sa.select(Run).where(Run.schedule_id == schedule_id).order_by(Run.id.desc()))
        answers = db.session.scalars(sa.select(Answer).where(Answer.run_id == run.id)).all()
        runs = db.session.scalar(sa.select(sa.func.count(Run.id)).where(Run.schedule_id == schedule_id,
                                                                          Run.period_start == run.period_start))
        return runs, run.is_done, len(answers), sum(1 for a in answers if a.photo_id), len({a.item_id for a in answers})
    runs, done, answers, photos, distinct = live_server.query(stored)
    assert (runs, done, answers, photos, distinct) == (1, True, total, 1, total)


def test_a_gate_entry_with_a_photo_and_a_sign_out_made_offline(new_phone, live_server):
    from safetyops.gate.models import GateEntry

    page = _phone(new_phone, "guard")
    context = page.context
    page.goto("/gate/")
    context.set_offline(True)
    page.goto("/gate/new")  # from the phone's cache
    page.fill("#name", "Офлайн Айбек")
    page.select_option("#kind", "visitor")
    page.fill("#purpose", "Жолугушуу")
    page.click("details.gate-more > summary")
    page.check("#has_photo_consent")
    page.set_input_files("#photo", files=[_jpeg((40, 90, 160))])
    with page.expect_navigation():
        page.click("#save-entry")
    assert page.url.endswith("/gate/")  # no browser error page: back on the gate, the entry waits
    _waiting(page, 1)
    page.set_viewport_size({"width": 360, "height": 640})
    page.screenshot(path=str(SCREENSHOTS / "offline-badge-gate-360.png"), full_page=False)

    # someone on site leaves while the phone is offline
    first_out = page.locator("#on-site form[data-outbox] button").first
    out_action = page.locator("#on-site form[data-outbox]").first.get_attribute("action")
    first_out.click()
    _waiting(page, 2)

    page = _reopen(page, "/gate/")
    _waiting(page, 2)
    page.click("#outbox > summary")
    expect(page.locator(".outbox-item")).to_have_count(2)
    page.screenshot(path=str(SCREENSHOTS / "offline-outbox-open-360.png"), full_page=False)

    context.set_offline(False)
    _all_sent(page)
    entry_id = int(out_action.split("/entries/")[1].split("/")[0])

    def stored():
        rows = db.session.scalars(sa.select(GateEntry).where(GateEntry.name == "Офлайн Айбек")).all()
        left = db.session.get(GateEntry, entry_id)
        return len(rows), rows[0].photo_id is not None, rows[0].in_dt <= rows[0].created_dt, left.out_dt is not None
    assert live_server.query(stored) == (1, True, True, True)


def test_a_night_round_checkpoint_and_a_hazard_with_a_photo_made_offline(new_phone, live_server):
    from safetyops.gate.models import Checkpoint, CheckpointScan
    from safetyops.inspections.models import CorrectiveAction

    def scans():
        cp = db.session.scalar(sa.select(Checkpoint).where(Checkpoint.code == "DEMO03"))
        return db.session.scalar(sa.select(sa.func.count(CheckpointScan.id))
                                 .where(CheckpointScan.checkpoint_id == cp.id))
    before = live_server.query(scans)
    guard = _phone(new_phone, "guard")
    guard.context.set_offline(True)
    guard.goto("/gate/c/DEMO03")  # the QR label's link, opened with no signal
    with guard.expect_navigation():
        guard.click("#confirm-scan")
    assert "/gate/rounds" in guard.url
    _waiting(guard, 1)

    teacher = _phone(new_phone, "teacher")
    teacher.context.set_offline(True)
    teacher.goto("/inspections/hazard")
    teacher.fill("#title", "Офлайн: розетка сынык")
    teacher.set_input_files("#photo", files=[_jpeg((200, 160, 20))])
    teacher.fill("#description", "Жертөлөдө")
    with teacher.expect_navigation():
        teacher.click("form[data-outbox] button[type=submit]")
    _waiting(teacher, 1)
    teacher = _reopen(teacher, "/")
    _waiting(teacher, 1)

    guard.context.set_offline(False)
    teacher.context.set_offline(False)
    _all_sent(guard)
    _all_sent(teacher)

    def stored():
        actions = db.session.scalars(sa.select(CorrectiveAction).where(
            CorrectiveAction.title == "Офлайн: розетка сынык")).all()
        return scans() - before, len(actions), actions[0].photo_id is not None
    assert live_server.query(stored) == (1, 1, True)


def test_a_class_report_during_a_drill_made_offline(new_phone, live_server):
    from safetyops.auth.models import User
    from safetyops.drills import services
    from safetyops.drills.models import ClassReport, SchoolClass
    from safetyops.schools.models import School

    def start():
        director = db.session.scalar(sa.select(User).where(User.username == "director"))
        school = db.session.scalar(sa.select(School).order_by(School.id))
        drill = services.start_drill(director, school, kind="fire")
        db.session.commit()
        return drill.id
    drill_id = live_server.query(start)
    try:
        page = _phone(new_phone, "teacher")
        page.context.set_offline(True)
        page.goto("/drills/my")
        with page.expect_navigation():
            page.click(f"a[href*='/drills/{drill_id}/classes/']")
        page.fill("#present", "24")
        page.fill("#evacuated", "24")
        with page.expect_navigation():
            page.click("form[data-outbox] button[type=submit]")
        assert page.url.endswith("/drills/my")
        _waiting(page, 1)
        page = _reopen(page, "/drills/my")
        page.context.set_offline(False)
        _all_sent(page)

        def stored():
            klass = db.session.scalar(sa.select(SchoolClass).where(SchoolClass.name == "5А"))
            rows = db.session.scalars(sa.select(ClassReport).where(ClassReport.drill_id == drill_id,
                                                                   ClassReport.class_id == klass.id)).all()
            return len(rows), rows[0].present
        assert live_server.query(stored) == (1, 24)
    finally:
        def end():
            from safetyops.drills.models import Drill
            drill = db.session.get(Drill, drill_id)
            services.all_clear(None, drill.school, drill, confirmed=True)
            db.session.commit()
        live_server.query(end)


def test_signing_out_clears_the_phone(new_phone):
    page = _phone(new_phone, "guard")
    page.goto("/gate/")
    assert page.evaluate("async () => (await caches.keys()).some(k => k.startsWith('pages-'))")
    sign_out(page)
    assert "/login" in page.url
    page.wait_for_function("async () => !(await caches.keys()).some(k => k.startsWith('pages-'))", timeout=LONG)
    page.context.set_offline(True)
    page.goto("/gate/")
    assert page.locator("#offline-page").count() == 1  # the next person sees nobody's gate
    page.context.set_offline(False)
