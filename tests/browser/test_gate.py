"""The gate on the guard's phone (iPhone 13 size, Kyrgyz): log a visitor in a few taps, a watchlist
match warns at once and queues the SMS, the visitor signs out, a night-round checkpoint is scanned."""

from __future__ import annotations

import sqlalchemy as sa

from safetyops.extensions import db
from tests.browser.conftest import REPO, check_page, sign_in

SCREENSHOTS = REPO / "docs" / "screenshots"



def test_a_guard_runs_the_gate_on_a_phone(page, live_server):
    from safetyops.gate.models import CheckpointScan, GateEntry
    from safetyops.notifications.models import OutboundMessage

    sign_in(page, "guard")
    taps = 0
    page.goto("/gate/")
    check_page(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "gate-phone.png"), full_page=True)

    # --- a visitor in under ten taps: kind tile, name, host, save ---
    page.click("a.tile[href$='kind=visitor']")
    taps += 1
    page.wait_for_selector("#entry-form")
    check_page(page)
    page.screenshot(path=str(SCREENSHOTS / "gate-new-entry.png"), full_page=True)
    page.fill("#name", "Бейшеналиев Тилек")
    taps += 1
    page.select_option("#host_id", index=1)
    taps += 1
    page.fill("#purpose", "Жолугушуу")
    taps += 1
    with page.expect_navigation():
        page.click("#save-entry")
    taps += 1
    assert taps < 10
    assert "Бейшеналиев Тилек" in page.inner_text("#on-site")
    logged = live_server.query(lambda: db.session.scalar(
        sa.select(GateEntry).where(GateEntry.name == "Бейшеналиев Тилек")))
    assert logged is not None and logged.out_dt is None

    # --- a watchlist match (Latin spelling of a Cyrillic entry) warns while typing and after saving ---
    page.goto("/gate/new")
    page.click("#name")
    page.keyboard.type("Petr Sidorov", delay=20)
    page.wait_for_selector("#watch-alert:not([hidden])", timeout=5000)
    assert "Сидоров" in page.inner_text("#watch-alert")
    with page.expect_navigation():
        page.click("#save-entry")
    assert page.is_visible(".gate-alarm")
    check_page(page)
    hit = live_server.query(lambda: db.session.scalar(
        sa.select(GateEntry).where(GateEntry.name == "Petr Sidorov")))
    assert hit.watchlist_id is not None
    queued = live_server.query(lambda: db.session.scalars(
        sa.select(OutboundMessage).where(OutboundMessage.kind == "gate.watch",
                                         OutboundMessage.idempotency_key.like(f"gate.watch:{hit.id}:%"))).all())
    assert queued and all(m.is_urgent for m in queued)
    with page.expect_navigation():
        page.click("#refuse")

    # --- the visitor signs out from the on-site list (one tap) ---
    page.click(f"form[action$='/gate/entries/{logged.id}/out'] button")
    page.wait_for_load_state()
    assert "Бейшеналиев Тилек" not in page.inner_text("#on-site")
    signed_out = live_server.query(lambda: db.session.get(GateEntry, logged.id))
    assert signed_out.out_dt is not None

    # --- a night round: the QR label's link opens the checkpoint, one tap marks it ---
    page.goto("/gate/c/DEMO02")
    check_page(page)
    with page.expect_navigation():
        page.click("#confirm-scan")
    assert "/gate/rounds" in page.url
    check_page(page)
    scans = live_server.query(lambda: db.session.scalar(
        sa.select(sa.func.count()).select_from(CheckpointScan).where(CheckpointScan.client_id.not_like("demo-%"))))
    assert scans == 1
    # and by typing the code when the camera fails
    page.fill("#code", "demo03")
    with page.expect_navigation():
        page.click("#scan-code")
    assert "/gate/rounds" in page.url


def test_the_director_reads_the_report_and_the_journal(page, live_server):
    sign_in(page, "director")
    page.goto("/gate/report")
    check_page(page)
    page.screenshot(path=str(SCREENSHOTS / "gate-report.png"), full_page=True)
    resp = page.request.get("/gate/report/journal.pdf")
    assert resp.status == 200 and resp.body().startswith(b"%PDF")
