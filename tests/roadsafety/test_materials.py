"""The school's teaching materials on road safety (the seed's teaching-material base): recorded by the
managers, listed on the road-safety page; a day to come is refused with the form kept."""

from __future__ import annotations

import sqlalchemy as sa

from safetyops.extensions import db
from safetyops.roadsafety.models import RoadMaterial


def test_a_teaching_material_is_recorded_and_listed(client, f, as_role):
    as_role("deputy")
    data = {
        "kind": "poster",
        "title": "Плакаттар «Жол белгилери»",
        "quantity": "12",
        "kept_where": "12-кабинет",
        "added_on": "2099-09-02",
    }
    resp = client.submit("/road-safety/materials/new", data)
    assert resp.status_code == 200 and "Плакаттар «Жол белгилери»" in resp.get_data(as_text=True)
    assert db.session.scalars(sa.select(RoadMaterial)).all() == []
    data["added_on"] = "2026-09-02"
    assert client.submit("/road-safety/materials/new", data).status_code == 302
    [row] = db.session.scalars(sa.select(RoadMaterial)).all()
    assert (row.school_id, row.quantity, row.kept_where) == (f.school_a.id, 12, "12-кабинет")
    as_role("teacher")
    page = client.get("/road-safety").get_data(as_text=True)
    assert "Плакаттар «Жол белгилери»" in page or "Плакаттар &laquo;Жол белгилери&raquo;" in page
    assert client.get("/road-safety/materials/new").status_code == 403
    as_role("director", f.school_b)
    assert "Жол белгилери" not in client.get("/road-safety").get_data(as_text=True)
