"""Personal data on request, the consent register, the notice and the information-security register."""

from __future__ import annotations

import datetime as dt
import io
import json

import sqlalchemy as sa
from PIL import Image

from safetyops.audit.models import AuditEvent
from safetyops.audit.services import record, verify_chain
from safetyops.extensions import db
from safetyops.gate.models import GateEntry, GatePhoto
from safetyops.incidents.models import RoadIncident
from safetyops.notifications.models import Channel, MessageStatus, OutboundMessage
from safetyops.privacy.models import Consent
from safetyops.schools.models import Area
from tests.conftest import login


def _events(action):
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(buf, "JPEG")
    return buf.getvalue()


def _message(f, user, body="Эртең нөөмөт: 1-кабат"):
    m = OutboundMessage(school_id=f.school_a.id, user_id=user.id, kind="test", idempotency_key=f"t:{user.id}:{body}",
                        to_phone=user.phone or "", channel=Channel.SMS, body=body, status=MessageStatus.DELIVERED)
    db.session.add(m)
    db.session.flush()
    return m


# --- who may -------------------------------------------------------------------------------------------


def test_the_information_security_appointee_handles_requests_whatever_their_role(client, f):
    teacher = f.user("teacher", f.school_a)
    login(client, teacher)
    assert client.get("/privacy/subject").status_code == 403
    assert "Personal data requests" not in client.get("/privacy").get_data(as_text=True)
    appt = f.appointment(f.school_a, user=teacher, area=Area.INFORMATION_SECURITY)
    assert client.get("/privacy/subject").status_code == 200
    assert client.get("/privacy/register").status_code == 200
    page = client.get("/privacy").get_data(as_text=True)
    assert "Personal data requests" in page and "Consent register" in page
    appt.ends_on = appt.starts_on  # the order ended
    db.session.flush()
    assert client.get("/privacy/subject").status_code == 403


def test_an_appointee_at_another_school_gets_nothing_here(client, f):
    person = f.user("teacher", f.school_a)
    f.appointment(f.school_b, user=f.user("teacher", f.school_b), area=Area.INFORMATION_SECURITY)
    login(client, person)
    assert client.get("/privacy/consents").status_code == 403


def test_every_post_needs_the_csrf_token(client, f):
    login(client, f.user("director", f.school_a))
    resp = client.post("/privacy/subject", data={"kind": "student", "name": "X"})
    assert resp.status_code == 400


# --- the notice and the register ----------------------------------------------------------------------


def test_the_notice_says_what_why_how_long_who_sees_and_who_to_ask(client, f, app, monkeypatch):
    director = f.user("director", f.school_a, full_name="Сайдинова Н.С.")
    officer = f.user("teacher", f.school_a, full_name="Жапакова Н.")
    f.appointment(f.school_a, user=officer, area=Area.INFORMATION_SECURITY)
    monkeypatch.setitem(app.config, "AUDIT_RETENTION_DAYS", 1096)
    login(client, f.user("guard", f.school_a))
    page = client.get("/privacy").get_data(as_text=True)
    assert "Gate log" in page and "Road incidents" in page
    assert "1096 days" in page  # the audit log's retention
    assert "90 days" in page  # the gate log's default retention
    assert director.full_name in page and officer.full_name in page
    assert "Director, Administrator" in page  # who reads staff phones, from the roles


def test_the_register_lists_resources_access_by_role_backups_and_the_order(client, f, app, tmp_path, monkeypatch):
    officer = f.user("teacher", f.school_a, full_name="Жапакова Н.")
    f.appointment(f.school_a, user=officer, area=Area.INFORMATION_SECURITY)
    monkeypatch.setitem(app.config, "BACKUP_DIR", str(tmp_path))
    login(client, f.user("director", f.school_a))
    page = client.get("/privacy/register").get_data(as_text=True)
    assert "Жапакова Н." in page and "Order No. 1-к" in page
    assert "Confidential: personal data" in page
    assert "reads and changes" in page
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        assert "No backup has been made yet." in page
        (tmp_path / "safetyops-2026-12-01.sqlite3").write_bytes(b"x")
        page = client.get("/privacy/register").get_data(as_text=True)
        assert "safetyops-2026-12-01.sqlite3" in page


# --- subject access -------------------------------------------------------------------------------------


def test_a_staff_member_gets_everything_held_about_them(client, f):
    director = f.user("director", f.school_a)
    person = f.user("teacher", f.school_a, full_name="Асанова Гүлнара", phone="+996555123456")
    record(director, f.school_a, "staff.update", person, detail="phone")
    record(person, f.school_a, "zone.read")
    _message(f, person)
    other_school_message = OutboundMessage(school_id=f.school_b.id, user_id=person.id, kind="test",
                                           idempotency_key="other", to_phone="+996555123456", body="B",
                                           status=MessageStatus.DELIVERED)
    db.session.add(other_school_message)
    login(client, director)
    page = client.submit("/privacy/subject", {"kind": "staff", "user_id": person.id}).get_data(as_text=True)
    assert "Асанова Гүлнара" in page and "+996555123456" in page
    assert "Эртең нөөмөт" in page and "staff.update" in page and "zone.read" in page
    (event,) = [e for e in _events("privacy.subject_access") if e.detail]
    assert event.detail == f"kind=staff user={person.id}" and "Асанова" not in event.detail

    data = {"kind": "staff", "user_id": person.id, "fmt": "json"}
    resp = client.submit("/privacy/subject/export", data, page="/privacy/subject")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    assert "attachment" in resp.headers["Content-Disposition"]
    dump = json.loads(resp.get_data(as_text=True))
    sections = {s["key"]: s for s in dump["sections"]}
    assert sections["account"]["records"][0]["phone"] == "+996555123456"
    assert "password_hash" not in json.dumps(dump) and "session_token" not in json.dumps(dump)
    assert [m["text"] for m in sections["messages"]["records"]] == ["Эртең нөөмөт: 1-кабат"]  # not school B's
    assert dump["language"] == "ky"  # the school's language
    pdf = client.submit("/privacy/subject/export", {**data, "fmt": "pdf"}, page="/privacy/subject")
    assert pdf.status_code == 200 and pdf.get_data()[:5] == b"%PDF-"
    assert len(_events("privacy.subject_export")) == 2


def test_exports_are_in_the_schools_language(client, f):
    f.road_incident(f.school_a, name="Бакыт Асанов")
    login(client, f.user("director", f.school_a, locale="en"))
    resp = client.submit("/privacy/subject/export", {"kind": "student", "name": "бакыт  асанов", "fmt": "json"},
                         page="/privacy/subject")
    dump = json.loads(resp.get_data(as_text=True))
    assert dump["sections"][0]["title"] == "Жол-транспорт кырсыктары"
    assert len(dump["sections"][0]["records"]) == 1


def test_a_staff_member_of_another_school_is_not_found(client, f):
    login(client, f.user("director", f.school_a))
    stranger = f.user("teacher", f.school_b)
    resp = client.submit("/privacy/subject", {"kind": "staff", "user_id": stranger.id})
    assert resp.status_code == 200
    assert stranger.full_name not in resp.get_data(as_text=True)
    resp = client.submit("/privacy/subject/export", {"kind": "staff", "user_id": stranger.id, "fmt": "json"},
                         page="/privacy/subject")
    assert resp.status_code == 400


def test_a_visitor_is_found_by_name_and_the_last_characters_of_the_document(client, f):
    f.gate_entry(f.school_a, name="Иванов Иван", doc_last4="1234", phone="+996700111222")
    f.gate_entry(f.school_a, name="ИВАНОВ  иван", doc_last4="1234")
    f.gate_entry(f.school_a, name="Иванов Иван", doc_last4="9999")  # another Ivanov
    f.gate_entry(f.school_b, name="Иванов Иван", doc_last4="1234")  # another school
    login(client, f.user("director", f.school_a))
    page = client.submit("/privacy/subject", {"kind": "visitor", "name": "Иванов Иван", "doc": "1234"}).get_data(
        as_text=True)
    assert "Gate log (2)" in page and "+996700111222" in page
    # Bad input: a message beside the field, and what was typed stays.
    page = client.submit("/privacy/subject", {"kind": "visitor", "name": "Иванов Иван", "doc": ""}).get_data(
        as_text=True)
    assert "last 4 characters" in page and 'value="Иванов Иван"' in page


def test_erasing_a_visitor_anonymises_but_keeps_security_records_references_and_the_audit_trail(client, f):
    director = f.user("director", f.school_a)
    photo = f.gate_photo(f.school_a)
    photo_id = photo.id
    plain = f.gate_entry(f.school_a, name="Петров Пётр", doc_last4="77AB", phone="+996700111222",
                         has_photo_consent=True, photo_id=photo.id)
    refused = f.gate_entry(f.school_a, name="Петров Пётр", doc_last4="77AB", is_refused=True)
    consent = Consent(school_id=f.school_a.id, subject_kind="visitor", subject_name="Петров Пётр",
                      given_by="Петров Пётр", purpose="visitor_photo", given_on=dt.date(2026, 1, 5), paper_ref="7",
                      gate_entry_id=plain.id)
    db.session.add(consent)
    record(director, f.school_a, "gate.entry.read", plain)
    login(client, director)
    fields = {"kind": "visitor", "name": "Петров Пётр", "doc": "77ab"}
    resp = client.submit("/privacy/subject/erase", fields, page="/privacy/subject")
    assert resp.status_code == 422  # not confirmed: the page again, with the message
    assert "Tick the confirmation" in resp.get_data(as_text=True)
    resp = client.submit("/privacy/subject/erase", {**fields, "confirm": "y"}, page="/privacy/subject")
    assert resp.status_code == 302
    db.session.expire_all()
    plain, refused, consent = (db.session.get(GateEntry, plain.id), db.session.get(GateEntry, refused.id),
                               db.session.get(Consent, consent.id))
    assert plain.name == "—" and plain.doc_last4 is None and plain.phone is None and plain.photo_id is None
    assert plain.anonymised_dt is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(GatePhoto).where(GatePhoto.id == photo_id)) == 0
    assert refused.name == "Петров Пётр"  # kept: the school's security record
    assert consent.subject_name == "—" and consent.gate_entry_id == plain.id  # the reference stays
    assert _events("gate.entry.read")  # the audit trail stays
    (erase,) = _events("privacy.erase")
    assert erase.detail.endswith("erased=1 kept=1") and "Петров" not in erase.detail
    assert verify_chain().ok


def test_correcting_and_erasing_a_students_name(client, f):
    a = f.road_incident(f.school_a, name="Бакыт Асанов", latitude=42.87, longitude=74.6)
    b = f.road_incident(f.school_a, name="бакыт асанов")
    login(client, f.user("director", f.school_a))
    resp = client.submit("/privacy/subject/correct", {"kind": "student", "name": "Бакыт Асанов",
                                                      "new_name": "Бакыт Асанбеков"}, page="/privacy/subject")
    assert resp.status_code == 302
    db.session.expire_all()
    assert {db.session.get(RoadIncident, i.id).student_name for i in (a, b)} == {"Бакыт Асанбеков"}
    client.submit("/privacy/subject/erase", {"kind": "student", "name": "Бакыт Асанбеков", "confirm": "y"},
                  page="/privacy/subject")
    db.session.expire_all()
    a = db.session.get(RoadIncident, a.id)
    assert a.student_name == "" and a.latitude is None and a.is_anonymised and a.place  # the incident stays


def test_a_staff_member_is_erased_only_after_leaving(client, f):
    director = f.user("director", f.school_a)
    person = f.user("teacher", f.school_a, full_name="Осмонов Азамат", phone="+996555000111")
    _message(f, person)
    login(client, director)
    fields = {"kind": "staff", "user_id": person.id, "confirm": "y"}
    resp = client.submit("/privacy/subject/erase", fields, page="/privacy/subject")
    assert resp.status_code == 422 and "deactivate the account" in resp.get_data(as_text=True)
    assert db.session.get(type(person), person.id).full_name == "Осмонов Азамат"
    person.is_enabled = False
    db.session.flush()
    assert client.submit("/privacy/subject/erase", fields, page="/privacy/subject").status_code == 302
    db.session.expire_all()
    person = db.session.get(type(person), person.id)
    assert "Осмонов" not in person.full_name and person.phone is None and person.username.startswith("erased-")
    assert db.session.scalar(sa.select(OutboundMessage.to_phone).where(OutboundMessage.user_id == person.id)) == ""


def test_a_person_who_works_at_another_school_too_is_not_erased_from_here(client, f):
    person = f.user("teacher", f.school_a, enabled=False)
    from safetyops.schools.models import Membership

    person.memberships.append(Membership(school=f.school_b, role="teacher"))
    db.session.flush()
    login(client, f.user("director", f.school_a))
    resp = client.submit("/privacy/subject/erase", {"kind": "staff", "user_id": person.id, "confirm": "y"},
                         page="/privacy/subject")
    assert resp.status_code == 422 and "another school" in resp.get_data(as_text=True)


# --- the consent register ---------------------------------------------------------------------------------


def _consent_form(**kw):
    return {"subject_kind": "student", "subject_name": "Бакыт Асанов", "given_by": "Асанова Айгүл",
            "given_by_relation": "апасы", "purpose": "incident_name", "purpose_detail": "",
            "given_on": "2026-09-02", "paper_ref": "Арыз №12, 02.09.2026", **kw}


def test_record_a_consent_with_its_scan_and_withdraw_it_the_name_follows(client, f):
    incident = f.road_incident(f.school_a, name="Бакыт Асанов")
    director = f.user("director", f.school_a)
    login(client, director)
    resp = client.submit("/privacy/consents/new", _consent_form(
        incident_id=str(incident.id), scan=(io.BytesIO(_jpeg()), "paper.jpg")),
        content_type="multipart/form-data")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    consent = db.session.scalar(sa.select(Consent))
    assert consent.scan_id is not None and consent.given_by == "Асанова Айгүл"
    scan = client.get(f"/privacy/consents/{consent.id}/scan")
    assert scan.status_code == 200 and scan.mimetype == "image/jpeg" and scan.get_data()[:2] == b"\xff\xd8"
    page = client.get(f"/privacy/consents/{consent.id}").get_data(as_text=True)
    assert "Асанова Айгүл" in page
    resp = client.submit(f"/privacy/consents/{consent.id}/withdraw", {"withdrawn_on": "2026-09-01"},
                         page=f"/privacy/consents/{consent.id}")
    assert resp.status_code == 422  # before it was given
    resp = client.submit(f"/privacy/consents/{consent.id}/withdraw", {"withdrawn_on": "2026-10-01", "note": "арыз"},
                         page=f"/privacy/consents/{consent.id}")
    assert resp.status_code == 302
    db.session.expire_all()
    incident = db.session.get(RoadIncident, incident.id)
    assert incident.student_name == "" and not incident.has_consent
    assert db.session.get(Consent, consent.id).withdrawn_on == dt.date(2026, 10, 1)
    assert _events("consent.withdraw") and _events("incident.consent_withdrawn")
    assert client.submit(f"/privacy/consents/{consent.id}/withdraw", {"withdrawn_on": "2026-10-02"},
                         page=f"/privacy/consents/{consent.id}/withdraw").status_code in (400, 422)


def test_withdrawing_a_visitor_photo_consent_deletes_the_photo(client, f):
    photo = f.gate_photo(f.school_a)
    photo_id = photo.id
    entry = f.gate_entry(f.school_a, has_photo_consent=True, photo_id=photo.id)
    login(client, f.user("director", f.school_a))
    client.submit("/privacy/consents/new", _consent_form(subject_kind="visitor", purpose="visitor_photo",
                                                         gate_entry_id=str(entry.id)))
    consent = db.session.scalar(sa.select(Consent))
    client.submit(f"/privacy/consents/{consent.id}/withdraw", {"withdrawn_on": "2026-10-01"},
                  page=f"/privacy/consents/{consent.id}")
    db.session.expire_all()
    entry = db.session.get(GateEntry, entry.id)
    assert entry.photo_id is None and not entry.has_photo_consent and entry.name  # the entry stays
    assert db.session.scalar(sa.select(sa.func.count()).select_from(GatePhoto).where(GatePhoto.id == photo_id)) == 0


def test_bad_consent_input_gets_a_message_and_keeps_what_was_typed(client, f):
    login(client, f.user("director", f.school_a))
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    resp = client.submit("/privacy/consents/new", _consent_form(given_on=future))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "cannot be in the future" in page and "Асанова Айгүл" in page
    resp = client.submit("/privacy/consents/new", _consent_form(incident_id="999999"))
    assert "Choose a road incident of this school" in resp.get_data(as_text=True)
    resp = client.submit("/privacy/consents/new", _consent_form(scan=(io.BytesIO(b"not an image"), "x.jpg")),
                         content_type="multipart/form-data")
    assert "not a photo" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Consent)) == 0


def test_numbers_no_record_can_have_are_refused_not_500(client, f):
    login(client, f.user("director", f.school_a))
    huge = str(2**70)
    resp = client.submit("/privacy/subject", {"kind": "staff", "user_id": huge})
    assert resp.status_code == 200 and "Choose a person who works at this school" in resp.get_data(as_text=True)
    resp = client.submit("/privacy/consents/new", _consent_form(incident_id=huge, user_id="-5"))
    assert resp.status_code in (200, 302)
    resp = client.submit("/privacy/subject/export", {"kind": "staff", "user_id": huge, "fmt": "json"},
                         page="/privacy/subject")
    assert resp.status_code == 400
