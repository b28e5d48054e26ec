"""The district inspector's school switcher (issue 19, item 8): every page loads the current school and
the person's own memberships only; the district's schools are searched on their own page, a page at
a time, and a switch is accepted only to a school the person may work in."""

from __future__ import annotations

import re

import sqlalchemy as sa

from safetyops.extensions import db
from safetyops.paging import PAGE_SIZE
from safetyops.schools.models import School
from tests.conftest import login


def _district(f, n, prefix="Школа №"):
    district = f.district(name="Big district")
    return district, [f.school(name=f"{prefix}{i:03d}", district=district) for i in range(n)]


def _schools_loaded(client, url):
    db.session.commit()
    loaded = []

    def on_load(target, context):
        loaded.append(target.id)

    sa.event.listen(School, "load", on_load)
    try:
        db.session.expunge_all()  # nothing comes from this test's identity map
        resp = client.get(url)
        html = resp.get_data(as_text=True)
    finally:
        sa.event.remove(School, "load", on_load)
    return resp.status_code, html, loaded


def test_an_inspectors_page_loads_only_the_current_school(client, f):
    _district_row, schools = _district(f, 60)
    inspector = f.user("inspector", schools[0])
    login(client, inspector)
    first = schools[0].id
    # Any page but home (the inspector's home compares the district's schools in one aggregate table).
    status, html, loaded = _schools_loaded(client, "/zones")
    assert status == 200
    assert loaded == [first]  # the first school of the district by name
    assert "Школа №001" not in html and "<select id=\"school-switch\"" not in html
    assert 'href="/school/switch"' in html


def test_the_switcher_searches_the_district_a_page_at_a_time(client, f):
    _district_row, schools = _district(f, PAGE_SIZE + 10)
    f.school(name="Школа №999 of another district")
    login(client, f.user("inspector", schools[0]))
    status, html, loaded = _schools_loaded(client, "/school/switch")
    assert status == 200 and len(loaded) <= PAGE_SIZE + 2
    names = re.findall(r"Школа №\d{3}", html.split('id="district-schools"')[1])
    assert len(names) == PAGE_SIZE and "page=2" in html and "№999" not in html
    html = client.get("/school/switch?page=2").get_data(as_text=True)
    assert len(re.findall(r"Школа №\d{3}", html.split('id="district-schools"')[1])) == 10
    # any case, any script: SQLite folds ASCII only
    for q in ("школа №05", "ШКОЛА №05", "№05"):
        html = client.get(f"/school/switch?q={q}").get_data(as_text=True)
        found = re.findall(r"Школа №\d{3}", html.split('id="district-schools"')[1])
        assert found == [f"Школа №{i:03d}" for i in range(50, 60)], q
    assert "No school found." in client.get("/school/switch?q=zzz").get_data(as_text=True)
    assert client.get("/school/switch?page=99999999999").status_code == 400


def test_a_switch_goes_only_to_a_school_the_person_may_work_in(client, f):
    _district_row, schools = _district(f, 5)
    stranger = f.school(name="Other district school")
    login(client, f.user("inspector", schools[0]))
    assert client.submit("/school", {"school_id": schools[3].id}, page="/school/switch").status_code == 302
    assert "Школа №003" in client.get("/").get_data(as_text=True)
    client.submit("/school", {"school_id": stranger.id}, page="/school/switch")
    html = client.get("/").get_data(as_text=True)
    assert "Школа №003" in html and "Other district school" not in html


def test_a_person_with_two_schools_keeps_the_short_select(client, f):
    user = f.user("director", f.school_a)
    other = f.school(name="Second school")
    user.memberships.append(type(user.memberships[0])(school=other, role="teacher"))
    db.session.flush()
    login(client, user)
    html = client.get("/").get_data(as_text=True)
    assert '<select id="school-switch"' in html and "Second school" in html and "School A" in html
    client.submit("/school", {"school_id": other.id})
    assert "Second school" in client.get("/").get_data(as_text=True).split('class="context"')[1][:200]
