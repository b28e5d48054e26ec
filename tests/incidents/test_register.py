"""The road-incident register: input rules, consent, audit, names kept out of the inspector's views and exports."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import sqlalchemy as sa
import time_machine
from openpyxl import load_workbook

from safetyops.audit.models import AuditEvent
from safetyops.errors_service import ServiceError
from safetyops.extensions import db
from safetyops.incidents import services
from safetyops.incidents.models import RoadIncident

NOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)  # 15:00 in Bishkek
NAME = "Уникалов Айбек"


def _form(klass, **over):
    data = {"occurred_date": "2026-11-19", "occurred_time": "07:40", "place": "Ахунбаев / Токтогул",
            "class_id": str(klass.id) if klass else "", "student_name": "", "mode": "pedestrian",
            "journey": "to_school", "severity": "light", "description": "Hit by a car at the crossing",
            "police_report": "ПР-123", "informed_date": "2026-11-19", "informed_time": "08:10",
            "parents_informed_by_id": "", "measures": "", "status": "open"}
    data.update(over)
    return data


def _audit(action):
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


@time_machine.travel(NOW, tick=False)
def test_director_records_an_incident_and_every_read_is_audited(client, f, as_role):
    director = as_role("director")
    klass = f.school_class(f.school_a, name="5А", grade=5)
    resp = client.submit("/incidents/new", _form(klass, student_name=NAME, has_consent="y",
                                                 parents_informed_by_id=str(director.id)))
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    inc = db.session.scalar(sa.select(RoadIncident))
    assert inc.student_name == NAME and inc.class_id == klass.id and inc.grade == 5
    # 07:40 in Bishkek (UTC+6) is 01:40 UTC
    assert inc.occurred_dt == dt.datetime(2026, 11, 19, 1, 40, tzinfo=dt.UTC)
    assert inc.place_key == "ахунбаев токтогул"
    assert len(_audit("incident.create")) == 1
    page = client.get(f"/incidents/{inc.id}").get_data(as_text=True)
    assert NAME in page and "ПР-123" in page
    assert len(_audit("incident.read")) == 1
    client.get(f"/incidents/{inc.id}/edit")
    assert len(_audit("incident.read")) == 2


@time_machine.travel(NOW, tick=False)
def test_an_incident_in_the_future_is_refused_and_what_was_typed_stays(client, f, as_role):
    as_role("safety_officer")
    klass = f.school_class(f.school_a, grade=7)
    resp = client.submit("/incidents/new", _form(klass, occurred_date="2026-11-21", place="Уникальное место 77"))
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "The incident cannot be in the future." in html
    assert "Уникальное место 77" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RoadIncident)) == 0


@time_machine.travel(NOW, tick=False)
def test_a_class_of_another_school_is_refused(client, f, as_role):
    as_role("director")
    other = f.school_class(f.school_b, grade=4)
    resp = client.submit("/incidents/new", _form(other))
    assert resp.status_code == 200
    assert "Choose a class of this school." in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RoadIncident)) == 0


@time_machine.travel(NOW, tick=False)
def test_a_name_needs_the_parents_consent(client, f, as_role):
    as_role("nurse")
    klass = f.school_class(f.school_a, grade=2)
    resp = client.submit("/incidents/new", _form(klass, student_name=NAME))
    assert "written consent" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RoadIncident)) == 0
    # Without a name the incident is registered all the same.
    assert client.submit("/incidents/new", _form(klass)).status_code == 302


@time_machine.travel(NOW, tick=False)
def test_parents_informed_before_the_incident_is_refused(f):
    actor = f.user("director")
    with pytest.raises(ServiceError) as err:
        services.save_incident(actor, f.school_a, None, occurred_dt=NOW - dt.timedelta(hours=2),
                               parents_informed_dt=NOW - dt.timedelta(hours=3), place="X", mode="cyclist",
                               journey="other", severity="none")
    assert err.value.field == "informed_date"


def test_the_database_refuses_a_name_without_consent(f):
    with pytest.raises(sa.exc.IntegrityError):
        with db.session.begin_nested():
            db.session.add(RoadIncident(school_id=f.school_a.id, occurred_dt=NOW, place="X", place_key="x",
                                        student_name=NAME, has_consent=False, mode="pedestrian",
                                        journey="other", severity="none"))
            db.session.flush()


@pytest.mark.parametrize("role", ["teacher", "guard", "canteen", "admin"])
def test_the_register_is_closed_to_staff_outside_it(client, f, as_role, role):
    inc = f.road_incident(name=NAME)
    as_role(role)
    for url in ("/incidents", "/incidents/analysis", f"/incidents/{inc.id}", "/incidents/export.csv"):
        assert client.get(url).status_code == 403, url


def test_the_inspector_sees_no_names_in_the_list_analysis_or_exports(client, f, as_role):
    klass = f.school_class(f.school_a, name="3Б", grade=3)
    inc = f.road_incident(name=NAME, klass=klass, latitude=42.87, longitude=74.59)
    as_role("inspector")
    year = inc.occurred_dt.year
    for url in ("/incidents", f"/incidents/analysis?year={year}", f"/incidents?place={inc.place_key}"):
        html = client.get(url).get_data(as_text=True)
        assert NAME not in html and "Уникалов" not in html, url
        assert f"/incidents/{inc.id}" not in html  # no link to the page with the name
    assert client.get(f"/incidents/{inc.id}").status_code == 403
    csv_body = client.get(f"/incidents/export.csv?year={year}").get_data().decode("utf-8-sig")
    assert inc.place in csv_body and NAME not in csv_body and "42.87" not in csv_body
    wb = load_workbook(io.BytesIO(client.get(f"/incidents/export.xlsx?year={year}").get_data()))
    cells = [str(c.value) for row in wb.active.iter_rows() for c in row if c.value is not None]
    assert inc.place in cells and not any(NAME in c for c in cells) and "3Б" not in cells
    assert _audit("incident.export")


def test_exports_defuse_spreadsheet_formulas(f):
    inc = f.road_incident(place="=HYPERLINK(\"x\")")
    body = services.export_csv(f.school_a, [inc]).decode("utf-8-sig")
    assert "'=HYPERLINK" in body


def test_another_schools_incident_is_404(client, f, as_role):
    inc = f.road_incident(f.school_b, name=NAME)
    as_role("director")
    assert client.get(f"/incidents/{inc.id}").status_code == 404
    assert client.get(f"/incidents/{inc.id}/edit").status_code == 404
