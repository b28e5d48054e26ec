import re

import sqlalchemy as sa

from safetyops.audit.models import AuditEvent
from safetyops.auth.models import User
from safetyops.extensions import db
from safetyops.schools.models import Appointment, Membership, Zone
from tests.conftest import login

NEW = {"full_name": "Асанов Бакыт", "username": "bakyt", "phone": "0700 123 456", "role": "guard", "locale": "ru"}


def _events(action):
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


def test_director_adds_a_person_and_sees_the_one_time_password_once(client, as_role, app):
    as_role("director")
    r = client.submit("/staff/new", NEW)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    otp = re.search(r'class="otp"[^>]*>([a-z0-9]+)<', html).group(1)
    user = db.session.scalar(sa.select(User).where(User.username == "bakyt"))
    assert user.phone == "+996700123456" and user.must_change_password and user.locale == "ru"
    assert db.session.scalar(sa.select(Membership.role).where(Membership.user_id == user.id)) == "guard"
    assert _events("staff.create") and _events("staff.password_reset")
    # the password is in no cookie and no later page
    assert otp not in r.headers.get("Set-Cookie", "")
    assert otp not in client.get("/staff").get_data(as_text=True)
    # the new person signs in with it and must choose their own
    other = app.test_client()
    r = other.submit("/login", {"login": "bakyt", "password": otp})
    assert r.status_code == 302
    assert other.get("/").location.endswith("/password")


def test_malformed_phone_is_refused_and_what_was_typed_is_kept(client, as_role):
    as_role("director")
    r = client.submit("/staff/new", {**NEW, "phone": "12-34"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert 'aria-invalid="true"' in html
    assert 'value="Асанов Бакыт"' in html and 'value="12-34"' in html
    assert db.session.scalar(sa.select(User).where(User.username == "bakyt")) is None


def test_a_form_posted_twice_creates_one_account(client, as_role):
    as_role("director")
    token = client.csrf_token("/staff/new")
    first = client.post("/staff/new", data={**NEW, "csrf_token": token})
    second = client.post("/staff/new", data={**NEW, "csrf_token": token})
    assert first.status_code == 200 and second.status_code == 200
    assert 'aria-invalid="true"' in second.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).where(User.username == "bakyt")) == 1


def test_duplicate_phone_is_refused(client, as_role, f):
    f.user("teacher", phone="+996700123456")
    as_role("director")
    r = client.submit("/staff/new", NEW)
    assert 'aria-invalid="true"' in r.get_data(as_text=True)


def test_kazakh_school_reads_local_numbers_as_kazakh(client, f):
    login(client, f.user("director", f.school_b))
    client.submit("/staff/new", {**NEW, "phone": "8 701 123 4567"})
    assert db.session.scalar(sa.select(User.phone).where(User.username == "bakyt")) == "+77011234567"


def test_edit_role_and_details(client, as_role, f):
    as_role("director")
    person = f.user("teacher")
    r = client.submit(f"/staff/{person.id}", {**NEW, "username": person.username, "role": "deputy"})
    assert r.status_code == 302
    assert db.session.scalar(sa.select(Membership.role).where(Membership.user_id == person.id)) == "deputy"
    assert person.full_name == "Асанов Бакыт"


def test_director_cannot_lock_themselves_out(client, as_role):
    me = as_role("director")
    r = client.submit(f"/staff/{me.id}", {**NEW, "username": me.username, "role": "teacher"})
    assert r.status_code == 200 and 'aria-invalid="true"' in r.get_data(as_text=True)
    client.submit(f"/staff/{me.id}/active", {"enable": "0"}, page=f"/staff/{me.id}")
    assert me.is_enabled


def test_deactivation_ends_the_persons_sessions(client, as_role, f, app):
    as_role("director")
    person = f.user("teacher")
    phone = app.test_client()
    login(phone, person)
    assert phone.get("/").status_code == 200
    client.submit(f"/staff/{person.id}/active", {"enable": "0"}, page=f"/staff/{person.id}")
    assert not person.is_enabled
    assert phone.get("/").status_code == 302
    assert _events("staff.deactivate")


def test_reset_password_ends_sessions_and_requires_change(client, as_role, f, app):
    as_role("director")
    person = f.user("teacher")
    phone = app.test_client()
    login(phone, person)
    r = client.submit(f"/staff/{person.id}/password", {}, page=f"/staff/{person.id}")
    assert r.status_code == 200 and 'class="otp"' in r.get_data(as_text=True)
    assert person.must_change_password
    assert phone.get("/").status_code == 302


def test_reading_staff_phones_is_audited(client, as_role):
    director = as_role("director")
    client.get("/staff?q=abc")
    event = _events("staff.read_list")[-1]
    assert event.user_id == director.id and event.detail == "q=abc" and event.source == "127.0.0.1"


def test_teacher_sees_no_phone_numbers(client, as_role):
    as_role("teacher")
    assert client.get("/staff").status_code == 403


def test_zone_create_edit_and_duplicate_name(client, as_role):
    as_role("director")
    r = client.submit("/zones/new", {"name": "Коридор 2", "kind": "corridor", "floor": "2", "is_active": "y"})
    assert r.status_code == 302
    zone = db.session.scalar(sa.select(Zone).where(Zone.name == "Коридор 2"))
    assert zone.floor == 2
    r = client.submit("/zones/new", {"name": "Коридор 2", "kind": "gym"})
    assert r.status_code == 200 and 'aria-invalid="true"' in r.get_data(as_text=True)
    r = client.submit(f"/zones/{zone.id}", {"name": "Коридор 2", "kind": "corridor", "floor": "abc"})
    assert r.status_code == 200 and 'value="abc"' in r.get_data(as_text=True)


def test_appointment_dates_and_person_are_checked(client, as_role, f):
    as_role("director")
    officer = f.user("safety_officer")
    stranger = f.user("teacher", f.school_b)
    base = {"user_id": officer.id, "area": "fire_safety", "order_number": "12", "order_date": "2026-09-01",
            "starts_on": "2026-09-01"}
    r = client.submit("/appointments/new", {**base, "ends_on": "2026-08-01"})
    assert r.status_code == 200 and 'aria-invalid="true"' in r.get_data(as_text=True)
    r = client.submit("/appointments/new", {**base, "user_id": stranger.id})
    assert r.status_code == 200
    assert client.submit("/appointments/new", base).status_code == 302
    appt = db.session.scalar(sa.select(Appointment).where(Appointment.user_id == officer.id))
    assert appt.area == "fire_safety" and appt.ends_on is None


def test_profile_phone_and_language(client, as_role):
    me = as_role("teacher")
    r = client.submit("/profile", {"phone": "+996 555 000 111", "locale": "ru"})
    assert r.status_code == 302 and me.phone == "+996555000111" and me.locale == "ru"
    r = client.submit("/profile", {"phone": "555", "locale": "ru"})
    assert r.status_code == 200 and 'value="555"' in r.get_data(as_text=True)


def test_school_settings_reject_unknown_time_zone(client, as_role, f):
    as_role("director")
    r = client.submit("/school/settings", {"name": "A", "timezone": "Mars/Olympus", "default_locale": "ky"})
    assert r.status_code == 200 and 'value="Mars/Olympus"' in r.get_data(as_text=True)
    r = client.submit("/school/settings", {"name": "A", "timezone": "Asia/Almaty", "default_locale": "kk"})
    assert r.status_code == 302 and f.school_a.timezone == "Asia/Almaty"


def test_audit_page_filters_and_nothing_edits_it(client, as_role, app):
    as_role("director")
    client.get("/staff")
    html = client.get("/audit?action=staff.").get_data(as_text=True)
    assert "staff.read_list" in html
    audit_rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("audit.")]
    assert all(r.methods <= {"GET", "HEAD", "OPTIONS"} for r in audit_rules)
