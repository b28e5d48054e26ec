"""The director on a small phone (360×640), in Kyrgyz and in Russian: adds a document with a photo of
its signed paper, sees it in force, uploads a new version, gets the reminder (console SMS) of the demo's
passport due for review, prints the instruction journal; a teacher confirms an instruction."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from tests.browser.conftest import REPO, check_page, sign_in, switch_language

pytestmark = pytest.mark.browser

SHOTS = REPO / "docs" / "screenshots"
SMALL = {"viewport": {"width": 360, "height": 640}}


def _photo() -> dict:
    img = Image.new("RGB", (900, 1200), (250, 250, 245))
    draw = ImageDraw.Draw(img)
    for y in range(100, 1100, 40):
        draw.line((80, y, 820, y), fill=(60, 60, 60), width=3)
    out = io.BytesIO()
    img.save(out, "JPEG")
    return {"name": "page-1.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


def _pdf() -> dict:
    data = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
            b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
    return {"name": "plan-v2.pdf", "mimeType": "application/pdf", "buffer": data}


def _add_and_revise(page, lang: str, kind: str, title: str) -> None:
    page.goto("/documents")
    check_page(page)
    page.click("a.btn-primary[href$='/documents/new']")
    check_page(page)
    with page.expect_navigation():
        page.click(f"a[href$='kind={kind}']")
    page.fill("input[name=title_local]", title)
    page.fill("input[name=title_ru]", title + " (ru)")
    page.set_input_files("input[name=files]", _photo())
    check_page(page)
    page.screenshot(path=str(SHOTS / f"documents-new-{lang}.png"), full_page=True)
    with page.expect_navigation():
        page.click("form.card button[type=submit]")
    expect(page.locator("h1")).to_contain_text(title)
    expect(page.locator(".lead .doc-status")).to_have_class("doc-status in_force")
    expect(page.locator(".doc-files img")).to_have_count(1)
    check_page(page)
    page.screenshot(path=str(SHOTS / f"documents-detail-{lang}.png"), full_page=True)

    with page.expect_navigation():
        page.click("a[href$='/versions/new']")
    page.set_input_files("input[name=files]", _pdf())
    page.fill("input[name=note]", "2")
    with page.expect_navigation():
        page.click("form.card button[type=submit]")
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("section.doc-version")).to_have_count(2)
    expect(page.locator("section.doc-version.current .doc-pdf")).to_have_count(1)
    check_page(page)


def test_director_documents_in_kyrgyz_and_russian(new_phone, live_server):
    page = new_phone(**SMALL)
    sign_in(page, "director")
    assert page.get_attribute("html", "lang") == "ky"
    _add_and_revise(page, "ky", "evacuation_plan", "Эвакуация планы, Б имараты, 1-кабат")

    # the demo's passport is due for review: the sweep queues the SMS (the console gateway prints it)
    def sweep():
        from safetyops.documents import jobs
        from safetyops.time import now_utc

        jobs.document_reminders(now_utc())
        from safetyops.extensions import db

        db.session.commit()
        from sqlalchemy import select

        from safetyops.notifications.models import OutboundMessage

        return list(db.session.scalars(select(OutboundMessage.kind).where(OutboundMessage.kind.like("docs.%"))))

    kinds = live_server.query(sweep)
    assert "docs.review" in kinds and "docs.expired" in kinds
    page.goto("/")
    # the home's cards (grouped: act now / for information) name the passport due
    expect(page.locator(".cards li").filter(has_text="паспорт").first).to_be_visible()
    page.screenshot(path=str(SHOTS / "documents-home-ky.png"), full_page=True)

    page.goto("/documents/journal")
    check_page(page)
    page.screenshot(path=str(SHOTS / "documents-journal-ky.png"), full_page=True)
    href = page.get_attribute("a[href*='/documents/journal.pdf']", "href")
    pdf = page.request.get(href)
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")

    switch_language(page, "ru")
    assert page.get_attribute("html", "lang") == "ru"
    _add_and_revise(page, "ru", "fire_memo", "Памятка о пожарной безопасности для дежурных")
    page.goto("/documents/journal")
    href = page.get_attribute("a[href*='/documents/journal.pdf']", "href")
    assert page.request.get(href).body().startswith(b"%PDF")
    switch_language(page, "ky")


def test_teacher_confirms_and_does_not_see_the_passport(new_phone):
    page = new_phone(**SMALL)
    sign_in(page, "teacher")
    page.goto("/documents")
    check_page(page)
    expect(page.locator("main")).not_to_contain_text("коргоо паспорту")  # the passport (orders about it are staff's)
    page.goto("/documents/my-instructions")
    check_page(page)
    page.screenshot(path=str(SHOTS / "documents-my-instructions-ky.png"), full_page=True)
    button = page.locator("form[action$='/sign'] button").first
    with page.expect_navigation():
        button.click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator(".doc-signed").first).to_be_visible()
