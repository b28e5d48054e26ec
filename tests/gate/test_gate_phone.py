"""The shared gate phone: a PIN unlocks it for the same guard; a new guard signing in ends the first shift."""

from __future__ import annotations

import sqlalchemy as sa

from safetyops.extensions import db
from safetyops.gate import phone
from safetyops.gate.models import GateShift
from tests.factories import PASSWORD
from tests.gate.helpers import english  # noqa: F401  (autouse)


def test_pin_rules(f):
    guard = f.user("guard")
    import pytest

    from safetyops.errors_service import ServiceError

    for bad in ("12", "abcd", "1111", "1234", "123456789"):
        with pytest.raises(ServiceError):
            phone.set_pin(guard, f.school_a, bad)
    phone.set_pin(guard, f.school_a, "2580")
    assert phone.check_unlock(guard, f.school_a, "2580") is True
    assert phone.check_unlock(guard, f.school_a, "0000") is False


def test_locked_phone_shows_only_the_lock_screen_until_the_pin(client, as_role, f):
    guard = as_role("guard")
    phone.set_pin(guard, f.school_a, "2580")
    e = f.gate_entry()
    assert client.submit("/gate/lock", {}, page="/gate/").status_code == 302
    resp = client.get("/gate/")
    assert resp.status_code == 302 and resp.location.endswith("/gate/locked")
    assert client.get(f"/gate/entries/{e.id}").status_code == 302
    assert client.get("/").status_code == 302  # the whole app, not only the gate pages
    page = client.get("/gate/locked").get_data(as_text=True)
    assert guard.full_name in page and e.name not in page
    resp = client.submit("/gate/unlock", {"secret": "1111"}, page="/gate/locked")
    assert "Wrong PIN." in resp.get_data(as_text=True)
    resp = client.submit("/gate/unlock", {"secret": "2580"}, page="/gate/locked")
    assert resp.status_code == 302 and client.get("/gate/").status_code == 200


def test_five_wrong_pins_end_the_session(client, as_role, f):
    guard = as_role("guard")
    phone.set_pin(guard, f.school_a, "2580")
    client.submit("/gate/lock", {}, page="/gate/")
    for _ in range(4):
        client.submit("/gate/unlock", {"secret": "9999"}, page="/gate/locked")
    resp = client.submit("/gate/unlock", {"secret": "9999"}, page="/gate/locked")
    assert resp.status_code == 302 and "/login" in resp.location
    assert client.get("/gate/").status_code == 302 and "/login" in client.get("/gate/").location


def test_without_a_pin_the_password_unlocks(client, as_role, f):
    as_role("guard")
    client.submit("/gate/lock", {}, page="/gate/")
    assert "Password" in client.get("/gate/locked").get_data(as_text=True)
    resp = client.submit("/gate/unlock", {"secret": PASSWORD}, page="/gate/locked")
    assert resp.status_code == 302 and resp.location.endswith("/gate/")


def test_another_guard_signing_in_on_the_phone_ends_the_first_shift(app, client, f):
    first = f.user("guard", username="guard_one")
    second = f.user("guard", username="guard_two")
    client.set_cookie("gate_device", "phone-1", domain="localhost")
    client.submit("/login", {"login": "guard_one", "password": PASSWORD})
    assert client.get("/gate/").status_code == 200
    first_cookie = client.get_cookie("session", domain="localhost").value

    # guard two takes the phone (through the lock screen's "another guard" or simply the sign-in page)
    other = app.test_client()
    other.set_cookie("gate_device", "phone-1", domain="localhost")
    other.submit("/login", {"login": "guard_two", "password": PASSWORD})
    assert other.get("/gate/").status_code == 200

    shifts = db.session.scalars(sa.select(GateShift).order_by(GateShift.id)).all()
    assert [(s.guard_id, s.ended_dt is None) for s in shifts] == [(first.id, False), (second.id, True)]
    # the first guard's session (any copy of it) has ended
    client.set_cookie("session", first_cookie, domain="localhost")
    resp = client.get("/gate/")
    assert resp.status_code == 302 and "/login" in resp.location


def test_switch_guard_from_the_lock_screen(client, f):
    f.user("guard", username="guard_three")
    client.set_cookie("gate_device", "phone-2", domain="localhost")
    client.submit("/login", {"login": "guard_three", "password": PASSWORD})
    client.submit("/gate/lock", {}, page="/gate/")
    resp = client.submit("/gate/switch", {}, page="/gate/locked")
    assert resp.status_code == 302 and "/login" in resp.location
    assert db.session.scalar(sa.select(GateShift.ended_dt)) is not None


# --- the lock lives on the server (issue 18): an older copy of the cookie does not skip the PIN ----------


def _session_cookie(client):
    return client.get_cookie("session", domain="localhost").value


def _restore(client, value):
    client.set_cookie("session", value, domain="localhost")


def test_replaying_a_cookie_from_before_the_lock_does_not_skip_the_pin(client, f):
    guard = f.user("guard", username="guard_replay")
    phone.set_pin(guard, f.school_a, "2580")
    client.set_cookie("gate_device", "phone-3", domain="localhost")
    client.submit("/login", {"login": "guard_replay", "password": PASSWORD})
    assert client.get("/gate/").status_code == 200
    unlocked = _session_cookie(client)  # captured while unlocked

    assert client.submit("/gate/lock", {}, page="/gate/").status_code == 302
    _restore(client, unlocked)
    resp = client.get("/gate/")
    assert resp.status_code == 302 and resp.location.endswith("/gate/locked")
    assert client.get("/").location.endswith("/gate/locked")
    token = client.csrf_token("/gate/locked")
    assert client.post("/password", data={"csrf_token": token, "current": PASSWORD}).status_code == 403
    assert client.get("/gate/locked").status_code == 200

    # the PIN unlocks it on the server: then every copy of the cookie is unlocked again
    assert client.submit("/gate/unlock", {"secret": "2580"}, page="/gate/locked").status_code == 302
    assert client.get("/gate/").status_code == 200
    unlocked_again = _session_cookie(client)
    client.submit("/gate/lock", {}, page="/gate/")
    _restore(client, unlocked_again)
    assert client.get("/gate/").location.endswith("/gate/locked")


def test_a_session_without_a_shift_ends_its_older_copies_when_locked(client, as_role, f):
    """Signed in before the phone had its device cookie: no shift holds the lock yet, so locking
    ends every earlier copy of the session cookie and goes on under a shift that holds it."""
    guard = as_role("guard")
    phone.set_pin(guard, f.school_a, "2580")
    assert client.get("/gate/").status_code == 200
    unlocked = _session_cookie(client)

    client.submit("/gate/lock", {}, page="/gate/")
    locked = _session_cookie(client)
    _restore(client, unlocked)
    resp = client.get("/gate/")
    assert resp.status_code == 302 and "/login" in resp.location  # the old copy is signed out

    _restore(client, locked)
    assert client.get("/gate/").location.endswith("/gate/locked")
    assert client.submit("/gate/unlock", {"secret": "2580"}, page="/gate/locked").status_code == 302
    unlocked = _session_cookie(client)
    client.submit("/gate/lock", {}, page="/gate/")  # now a shift holds the lock
    _restore(client, unlocked)
    assert client.get("/gate/").location.endswith("/gate/locked")
    shift = db.session.scalar(sa.select(GateShift).where(GateShift.guard_id == guard.id))
    assert shift.locked_dt is not None and shift.ended_dt is None


def test_pins_are_hashed_and_checked_outside_any_transaction(client, as_role, f, monkeypatch):
    from argon2 import PasswordHasher

    calls = []
    for name in ("hash", "verify"):
        original = getattr(PasswordHasher, name)

        def spy(self, *args, _original=original, _name=name, **kwargs):
            calls.append((_name, db.session().in_transaction()))
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(PasswordHasher, name, spy)
    as_role("guard")
    db.session.commit()
    calls.clear()
    assert client.submit("/gate/pin", {"pin": "2580"}, page="/gate/pin").status_code == 302
    client.submit("/gate/lock", {}, page="/gate/")
    client.submit("/gate/unlock", {"secret": "1111"}, page="/gate/locked")
    assert client.submit("/gate/unlock", {"secret": "2580"}, page="/gate/locked").status_code == 302
    assert [kind for kind, _ in calls] == ["hash", "verify", "verify"]
    assert not any(in_tx for _, in_tx in calls)
