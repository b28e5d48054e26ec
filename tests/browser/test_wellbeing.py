"""At 360×640: an anonymous report sent without signing in (Kyrgyz), the director answers it, the
reporter reads the answer with the code; the director's ecology page."""

from __future__ import annotations

import os
import re
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
    assert not page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth + 1")


def _link(live_server) -> str:
    def token():
        import sqlalchemy as sa

        from safetyops.demo import SCHOOL_NAME
        from safetyops.extensions import db
        from safetyops.schools.models import School
        from safetyops.wellbeing.services import link_for

        school = db.session.scalar(sa.select(School).where(School.name == SCHOOL_NAME))
        found = link_for(school).token
        db.session.commit()
        return found

    return f"/r/{live_server.query(token)}"


def test_an_anonymous_report_is_answered_and_read_with_the_code(new_phone, live_server):
    url = _link(live_server)
    reporter = new_phone(**SMALL_PHONE)
    reporter.goto(url)
    assert reporter.locator("h1").count() == 1
    _no_sideways_scroll(reporter)
    check_page(reporter)
    _shot(reporter, "wellbeing_report_360")
    a, b = map(int, re.search(r"(\d) \+ (\d)", reporter.locator("#answer-hint").inner_text()).groups())
    reporter.select_option("#kind", "bullying")
    reporter.fill("#body", "8-Б класстагы балдар бир окуучуну күн сайын шылдыңдашат, телефонун тартып алышат.")
    reporter.fill("#place", "3-кабат, дааратканага жакын")
    reporter.fill("#answer", str(a + b))
    with reporter.expect_navigation():
        reporter.click("form.card button[type=submit]")
    code = reporter.locator(".big-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    check_page(reporter)
    _shot(reporter, "wellbeing_sent_360")

    director = new_phone(**SMALL_PHONE)
    sign_in(director, "director")
    director.goto("/wellbeing/cases")
    check_page(director)
    _no_sideways_scroll(director)
    _shot(director, "wellbeing_cases_360")
    with director.expect_navigation():
        director.locator("ul.list a.list-link").first.click()
    assert "телефонун тартып алышат" in director.content()
    director.fill("#reply", "Рахмат. Класс жетекчиси жана психолог балдар менен сүйлөштү, көзөмөлдө.")
    with director.expect_navigation():
        director.click("form[action$='/reply'] button[type=submit]")
    check_page(director)
    _no_sideways_scroll(director)
    _shot(director, "wellbeing_case_360")

    reporter.goto(f"{url}/answer")
    reporter.fill("#code", code.lower())
    with reporter.expect_navigation():
        reporter.click("form.card button[type=submit]")
    assert "психолог балдар менен сүйлөштү" in reporter.content()
    check_page(reporter)
    _no_sideways_scroll(reporter)
    _shot(reporter, "wellbeing_answer_360")


def test_the_ecology_page_on_a_small_phone(new_phone):
    page = new_phone(**SMALL_PHONE)
    sign_in(page, "director")
    page.goto("/ecology")
    assert page.locator("h1").count() == 1
    _no_sideways_scroll(page)
    check_page(page)
    _shot(page, "ecology_360")


@pytest.mark.parametrize(("user", "path", "name"), [
    ("deputy", "/road-safety", "roadsafety_360"),
    ("nurse", "/accidents", "accidents_360"),
])
def test_the_road_safety_work_and_the_incident_register_on_a_small_phone(new_phone, user, path, name):
    page = new_phone(**SMALL_PHONE)
    sign_in(page, user)
    page.goto(path)
    assert page.locator("h1").count() == 1
    _no_sideways_scroll(page)
    check_page(page)
    _shot(page, name)
    if path == "/accidents":
        with page.expect_navigation():
            page.locator("ul.list a.list-link").last.click()
        _no_sideways_scroll(page)
        check_page(page)
        _shot(page, "accidents_detail_360")
