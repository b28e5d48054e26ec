"""The young traffic inspectors squad (names only with a parent's consent, dropped on leaving) and the
road-safety events (with the traffic police, parents, competitions) with a photo."""

from __future__ import annotations

import datetime as dt
import io

import sqlalchemy as sa
from PIL import Image

from safetyops.audit.models import AuditEvent
from safetyops.extensions import db
from safetyops.roadsafety.models import RoadEvent, SquadMember


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 200, 10)).save(buf, "JPEG")
    return buf.getvalue()


def test_a_member_needs_the_parents_consent_and_one_leader_at_a_time(client, f, as_role):
    klass = f.school_class(f.school_a, name="6А")
    as_role("deputy")
    data = {"student_name": "Асанов Бакыт", "class_id": str(klass.id), "is_leader": "y", "consent_paper": "",
            "joined_on": "2026-09-05"}
    assert client.submit("/road-safety/squad/new", data).status_code == 200
    assert db.session.scalars(sa.select(SquadMember)).all() == []
    data["consent_paper"] = "№ 12, 02.09.2026"
    assert client.submit("/road-safety/squad/new", data).status_code == 302
    data.update(student_name="Токтогулова Айзада", consent_paper="№ 13")
    assert client.submit("/road-safety/squad/new", data).status_code == 302
    leaders = [m.student_name for m in db.session.scalars(sa.select(SquadMember)) if m.is_leader]
    assert leaders == ["Токтогулова Айзада"]
    page = client.get("/road-safety").get_data(as_text=True)
    assert "Асанов Бакыт" in page and "6А" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "roadsafety.read")) >= 1


def test_another_schools_class_cannot_be_chosen(client, f, as_role):
    other = f.school_class(f.school_b, name="7Б")
    as_role("director")
    resp = client.submit("/road-safety/squad/new", {"student_name": "X", "class_id": str(other.id),
                                                    "consent_paper": "№ 1", "joined_on": "2026-09-05"})
    assert resp.status_code == 200 and db.session.scalars(sa.select(SquadMember)).all() == []


def test_leaving_the_squad_drops_the_name(client, f, as_role):
    member = SquadMember(school_id=f.school_a.id, student_name="Асанов Бакыт", consent_paper="№ 12",
                         joined_on=dt.date(2026, 9, 5))
    db.session.add(member)
    db.session.flush()
    as_role("safety_officer")
    assert client.submit(f"/road-safety/squad/{member.id}/left", {}, page="/road-safety").status_code == 302
    db.session.refresh(member)
    assert member.left_on is not None and member.student_name == "—"
    assert "Асанов" not in client.get("/road-safety").get_data(as_text=True)


def test_a_joint_event_with_the_traffic_police_with_a_photo(client, f, as_role):
    as_role("director")
    resp = client.submit("/road-safety/events/new", {
        "kind": "police", "held_on": "2026-10-02", "topic": "Жол кыймылынын эрежелери: жөө жүргүнчүлөр",
        "participants": "5-А, 5-Б, ГУОБДД инспектору", "participants_count": "54", "result": "",
        "act_number": "", "photo": (io.BytesIO(_jpeg()), "event.jpg")}, content_type="multipart/form-data")
    assert resp.status_code == 302
    [event] = db.session.scalars(sa.select(RoadEvent)).all()
    photo = client.get(f"/road-safety/events/{event.id}/photo")
    assert photo.status_code == 200 and photo.data[:2] == b"\xff\xd8"
    page = client.get("/road-safety?kind=police").get_data(as_text=True)
    assert "ГУОБДД инспектору" in page
    assert "ГУОБДД" not in client.get("/road-safety?kind=parents").get_data(as_text=True)


def test_a_future_event_is_refused(client, f, as_role):
    as_role("director")
    resp = client.submit("/road-safety/events/new", {"kind": "parents", "held_on": "2099-01-01", "topic": "x"})
    assert resp.status_code == 200 and db.session.scalars(sa.select(RoadEvent)).all() == []
