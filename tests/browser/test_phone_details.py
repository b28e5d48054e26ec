"""Phone details of issue 12 on a 360 px phone, in Kyrgyz: the gate's host picker searches names
(the most frequent hosts first), and a duty post's zone link opens only that zone's checks."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from safetyops.extensions import db
from tests.browser.conftest import check_page, sign_in

pytestmark = pytest.mark.browser

PHONE_360 = {"viewport": {"width": 360, "height": 640}}


def test_the_guard_finds_the_host_by_typing_part_of_the_name(new_phone, live_server):
    from safetyops.gate.models import GateEntry

    page = new_phone(**PHONE_360)
    sign_in(page, "guard")
    page.goto("/gate/new")
    page.wait_for_selector("#host_id-search")
    check_page(page)
    assert page.is_visible("#host_id")  # the select stays: it shows what will be sent
    names = page.eval_on_selector_all("#host_id-names option", "os => os.map(o => o.value)")
    options = page.eval_on_selector_all("#host_id option", "os => os.map(o => o.textContent)")
    assert names == options[1:]  # the suggestions in the select's order: the most frequent first
    host = names[-1]
    # A name that is nobody's: said so, nothing chosen.
    page.fill("#host_id-search", "Жок Мындай")
    page.dispatch_event("#host_id-search", "change")
    assert page.is_visible("#host_id-search-note")
    assert page.eval_on_selector("#host_id", "s => s.selectedIndex") == 0
    # Part of the name offers it; the name picked selects it.
    page.fill("#host_id-search", host[:4])
    assert page.eval_on_selector("#host_id", "s => s.selectedIndex") == 0
    page.fill("#host_id-search", host)
    page.dispatch_event("#host_id-search", "change")
    assert page.is_hidden("#host_id-search-note")
    chosen = page.eval_on_selector("#host_id", "s => s.options[s.selectedIndex].textContent")
    assert chosen == host
    page.fill("#name", "Сыдыкова Айнура")
    with page.expect_navigation():
        page.click("#save-entry")
    from safetyops.auth.models import User

    host_name = live_server.query(
        lambda: db.session.scalar(
            sa.select(User.full_name)
            .join(GateEntry, GateEntry.host_id == User.id)
            .where(GateEntry.name == "Сыдыкова Айнура")
        )
    )
    assert host_name == host


def test_the_zone_link_of_a_duty_post_opens_only_that_zones_checks(new_phone):
    page = new_phone(**PHONE_360)
    sign_in(page, "teacher")
    page.goto("/rosters/")
    links = page.eval_on_selector_all("a[href*='/inspections/checks?zone=']", "els => els.map(e => e.href)")
    if not links:
        pytest.skip("the demo teacher has no duty post with a zone this week")
    page.goto(links[0])
    heading = page.inner_text("h1")
    assert heading and heading != "Менин текшерүүлөрүм"  # the zone's name, not "My checks"
    assert page.locator("main a[href='/inspections/checks']").count() == 1
    check_page(page)
