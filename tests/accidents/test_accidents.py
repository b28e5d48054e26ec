"""The incident register: what happened is read by the managers; the injuries (health data) only by the
director, the deputy and the nurse, every read audited; a name only with the parent's written consent."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from safetyops.accidents import services
from safetyops.accidents.models import Injury, SchoolIncident
from safetyops.audit.models import AuditEvent
from safetyops.extensions import db


def _incident(school):
    return services.record_incident(None, school, kind="injury",
                                    occurred_dt=dt.datetime(2026, 10, 5, 5, 30, tzinfo=dt.UTC), place="Спорт зал",
                                    description="Секирүүдө бутун бурап алды", parents_informed=True,
                                    ambulance=False, police=False)


def test_the_nurse_records_first_aid_and_a_name_needs_consent(client, f, as_role):
    klass = f.school_class(f.school_a, name="7А")
    incident = _incident(f.school_a)
    nurse = as_role("nurse")
    url = f"/accidents/{incident.id}/injuries"
    data = {"class_id": str(klass.id), "injury": "Тамандын чыгышы", "first_aid": "Муз, бинт",
            "person_name": "Асанов Бакыт", "consent_paper": ""}
    assert client.submit(url, data, page=f"/accidents/{incident.id}").status_code == 422
    assert db.session.scalars(sa.select(Injury)).all() == []
    data["person_name"] = ""
    assert client.submit(url, data, page=f"/accidents/{incident.id}").status_code == 302
    [injury] = db.session.scalars(sa.select(Injury)).all()
    assert injury.person_name == "" and injury.first_aid_by_id == nurse.id and injury.class_id == klass.id
    page = client.get(f"/accidents/{incident.id}").get_data(as_text=True)
    assert "Тамандын чыгышы" in page
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "accidents.read",
                                                            AuditEvent.user_id == nurse.id)).all()
    assert events and events[-1].detail == "injuries"


def test_health_details_are_hidden_from_other_readers(client, f, as_role):
    incident = _incident(f.school_a)
    services.add_injury(None, f.school_a, incident, class_id=None, person_name="", consent_paper="",
                        injury="Мурундан кан агуу", first_aid="")
    for role in ("safety_officer", "admin"):
        as_role(role)
        page = client.get(f"/accidents/{incident.id}").get_data(as_text=True)
        assert "Спорт зал" in page and "Мурундан кан агуу" not in page
    for role in ("director", "deputy"):
        as_role(role)
        assert "Мурундан кан агуу" in client.get(f"/accidents/{incident.id}").get_data(as_text=True)
    as_role("teacher")
    assert client.get("/accidents").status_code == 403


def test_an_incident_is_recorded_in_school_time(client, f, as_role):
    as_role("safety_officer")
    resp = client.submit("/accidents/new", {"kind": "fight", "occurred_on": "2026-11-20", "occurred_at": "10:15",
                                            "place": "2-кабат", "description": "Танапис учурунда мушташ",
                                            "parents_informed": "y", "measures": "Нөөмөт күчөтүлдү"})
    assert resp.status_code == 302
    [row] = db.session.scalars(sa.select(SchoolIncident)).all()
    assert row.occurred_dt == dt.datetime(2026, 11, 20, 4, 15, tzinfo=dt.UTC)  # Bishkek is UTC+6
    assert row.has_parents_informed and not row.has_ambulance
    assert "Танапис" not in client.get("/accidents").get_data(as_text=True)  # the list shows no description
    assert "2-кабат" in client.get("/accidents?kind=fight").get_data(as_text=True)


def test_another_schools_incident_is_404(client, f, as_role):
    incident = _incident(f.school_b)
    as_role("director")
    assert client.get(f"/accidents/{incident.id}").status_code == 404
