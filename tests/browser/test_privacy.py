"""At 360×640: the privacy notice (a teacher) and a subject-access answer for a staff member (the director)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.conftest import check_page, sign_in

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("SAFETYOPS_SHOTS", "/tmp/safetyops-shots"))
SMALL_PHONE = {"viewport": {"width": 360, "height": 640}, "device_scale_factor": 2, "is_mobile": True,
               "has_touch": True}


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _no_sideways_scroll(page) -> None:
    """Nothing but the marked table regions may be wider than the phone."""
    wide = page.evaluate("""() => document.documentElement.scrollWidth > window.innerWidth + 1""")
    assert not wide, "the page scrolls sideways"


def test_privacy_notice_and_a_staff_members_data_on_a_small_phone(new_phone):
    page = new_phone(**SMALL_PHONE)
    sign_in(page, "teacher")
    page.goto("/privacy")
    assert page.locator("h1").count() == 1
    assert page.locator("section.notice-item").count() >= 5
    _no_sideways_scroll(page)
    check_page(page)
    _shot(page, "privacy_notice_360")

    boss = new_phone(**SMALL_PHONE)
    sign_in(boss, "director")
    boss.goto("/privacy/subject")
    check_page(boss)
    boss.select_option("#kind", "staff")
    boss.select_option("#user_id", index=2)
    with boss.expect_navigation():
        boss.click("form.card button[type=submit]")
    assert boss.locator("h2").first.is_visible()
    assert boss.locator(".table-scroll").count() >= 2  # the account and what they did, at least
    _no_sideways_scroll(boss)
    check_page(boss)
    _shot(boss, "privacy_subject_staff_360")
    with boss.expect_download() as dl:
        boss.click("form[action$='/privacy/subject/export'] button:has-text('PDF')")
    pdf = Path(dl.value.path()).read_bytes()
    assert pdf[:5] == b"%PDF-"
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "privacy_subject_staff.pdf").write_bytes(pdf)
