"""“Checks of this zone” (the zone link of a duty post): only that zone's checks, under the zone's
name, with a link back to all of them (issue 12)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from safetyops.extensions import db

MONDAY_0800 = dt.datetime(2026, 11, 16, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def two_zones(f):
    with time_machine.travel(MONDAY_0800, tick=False):
        mine = f.zone(name="Коридор 2-кабат")
        other = f.zone(name="Коридор 3-кабат")
        walk_mine = f.schedule("fire_daily_walk", zone=mine, starts_on=dt.date(2026, 11, 1))
        walk_other = f.schedule("fire_daily_walk", zone=other, starts_on=dt.date(2026, 11, 1))
        extinguisher = f.asset(zone=mine)
        by_asset = f.schedule("extinguisher_monthly", asset=extinguisher, starts_on=dt.date(2026, 11, 1))
        db.session.commit()
        yield mine, other, walk_mine, walk_other, by_asset


def test_the_zone_link_shows_only_that_zones_checks(client, as_role, two_zones):
    mine, other, walk_mine, walk_other, _by_asset = two_zones
    as_role("teacher")
    all_checks = client.get("/inspections/checks").get_data(as_text=True)
    assert f"/checks/{walk_mine.id}/start" in all_checks and f"/checks/{walk_other.id}/start" in all_checks
    r = client.get(f"/inspections/checks?zone={mine.id}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert f"<h1>{mine.name}</h1>" in html
    assert f"/checks/{walk_mine.id}/start" in html
    assert f"/checks/{walk_other.id}/start" not in html
    assert 'href="/inspections/checks"' in html  # back to all my checks


def test_equipment_checks_count_in_their_zone(client, as_role, two_zones):
    mine, other, _walk_mine, _walk_other, by_asset = two_zones
    as_role("safety_officer")
    assert f"/checks/{by_asset.id}/start" in client.get(f"/inspections/checks?zone={mine.id}").get_data(as_text=True)
    assert f"/checks/{by_asset.id}/start" not in client.get(f"/inspections/checks?zone={other.id}").get_data(
        as_text=True
    )


def test_a_zone_with_nothing_for_me_says_so(client, as_role, f, two_zones):
    empty = f.zone(name="Спортзал")
    db.session.commit()
    as_role("teacher")
    html = client.get(f"/inspections/checks?zone={empty.id}").get_data(as_text=True)
    assert f"<h1>{empty.name}</h1>" in html and "/start" not in html and 'class="empty"' in html


def test_another_schools_zone_is_not_found(client, as_role, f, two_zones):
    theirs = f.zone(school=f.school_b, name="Коридор")
    db.session.commit()
    as_role("teacher")
    assert client.get(f"/inspections/checks?zone={theirs.id}").status_code == 404


def test_the_duty_cards_zone_link_filters(client, f, two_zones):
    """The rosters area builds the link as /inspections/checks?zone=<id>."""
    from safetyops.rosters.views import _zone_checks_url

    mine = two_zones[0]
    with client.application.test_request_context():
        assert _zone_checks_url(mine.id) == f"/inspections/checks?zone={mine.id}"


def test_each_zones_checks_are_kept_on_the_phone(client, as_role, two_zones):
    mine, other, *_ = two_zones
    as_role("teacher")
    pages = client.get("/offline/pages.json", headers={"Accept": "application/json"}).get_json()["pages"]
    assert f"/inspections/checks?zone={mine.id}" in pages and f"/inspections/checks?zone={other.id}" in pages
