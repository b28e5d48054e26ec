"""One-time passwords: shown once, changed at first sign-in, and void 24 h after they were issued."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import time_machine

from safetyops import create_app
from safetyops.audit.models import AuditEvent
from safetyops.auth import services
from safetyops.extensions import db
from tests.conftest import TEST_CONFIG
from tests.factories import PASSWORD

T0 = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)
EXPIRED = "This one-time password has expired. Ask the director for a new one."


def _sign_in(client, login, password):
    return client.submit("/login", {"login": login, "password": password})


def _issue(f, username="newguard"):
    director = f.user("director")
    person = f.user("guard", username=username)
    with time_machine.travel(T0, tick=False):
        otp = services.reset_password(director, f.school_a, person)
    db.session.commit()
    return person, otp


def test_one_time_password_signs_in_within_24_hours(app, client, f):
    person, otp = _issue(f)
    with time_machine.travel(T0 + dt.timedelta(hours=23, minutes=59), tick=False):
        r = _sign_in(client, "newguard", otp)
        assert r.status_code == 302
        assert client.get("/").location.endswith("/password")  # the forced change stays


def test_one_time_password_expires_after_24_hours_unused(app, client, f):
    person, otp = _issue(f)
    with time_machine.travel(T0 + dt.timedelta(hours=24, minutes=1), tick=False):
        r = _sign_in(client, "newguard", otp)
        html = r.get_data(as_text=True)
        assert r.status_code == 200 and EXPIRED in html
        assert otp not in html
        assert client.get("/").status_code == 302 and "/login" in client.get("/").location
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "auth.login_otp_expired",
                                                         AuditEvent.user_id == person.id))


def test_a_wrong_password_says_only_that(app, client, f):
    _issue(f)
    with time_machine.travel(T0 + dt.timedelta(days=3), tick=False):
        html = _sign_in(client, "newguard", "not the password").get_data(as_text=True)
    assert "Wrong username, phone number or password." in html and EXPIRED not in html


def test_signed_in_once_but_not_changed_still_expires(app, client, f):
    _, otp = _issue(f)
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        assert _sign_in(client, "newguard", otp).status_code == 302  # and left without changing it
    other = app.test_client()
    with time_machine.travel(T0 + dt.timedelta(hours=26), tick=False):
        assert EXPIRED in _sign_in(other, "newguard", otp).get_data(as_text=True)


def test_a_new_one_time_password_starts_a_new_day(app, client, f):
    person, old = _issue(f)
    with time_machine.travel(T0 + dt.timedelta(days=2), tick=False):
        fresh = services.reset_password(f.user("director"), f.school_a, person)
        db.session.commit()
    with time_machine.travel(T0 + dt.timedelta(days=2, hours=23), tick=False):
        assert _sign_in(client, "newguard", old).status_code == 200
        assert _sign_in(client, "newguard", fresh).status_code == 302


def test_a_password_of_ones_own_never_expires(app, client, f):
    person, otp = _issue(f)
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        assert _sign_in(client, "newguard", otp).status_code == 302
        r = client.submit("/password", {"current": otp, "new": "my own password", "confirm": "my own password"})
        assert r.status_code == 302
    assert person.password_set_dt == T0 + dt.timedelta(hours=1) and not person.must_change_password
    other = app.test_client()
    with time_machine.travel(T0 + dt.timedelta(days=400), tick=False):
        assert _sign_in(other, "newguard", "my own password").status_code == 302


def test_the_lifetime_is_a_setting(app, client, f, monkeypatch):
    monkeypatch.setitem(app.config, "ONE_TIME_PASSWORD_HOURS", 2)
    _, otp = _issue(f)
    with time_machine.travel(T0 + dt.timedelta(hours=3), tick=False):
        assert EXPIRED in _sign_in(client, "newguard", otp).get_data(as_text=True)


def test_a_new_account_with_a_one_time_password_expires_too(app, client, f):
    with time_machine.travel(T0, tick=False):
        person = f.user("guard", username="brandnew", must_change=True)  # made with a password to change
    db.session.commit()
    assert person.password_set_dt == T0
    with time_machine.travel(T0 + dt.timedelta(hours=25), tick=False):
        assert EXPIRED in _sign_in(client, "brandnew", PASSWORD).get_data(as_text=True)


def test_upgrade_gives_one_time_passwords_already_out_a_day(fresh_database_url, tmp_path):
    """One-time passwords issued before the migration cannot know their age: they get a day from the upgrade."""
    from flask_migrate import upgrade

    url = fresh_database_url()
    app = create_app({**TEST_CONFIG, "DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        upgrade(revision="3d195b9b0f8f")
        with db.engine.begin() as conn:
            for name, must_change in (("otp", True), ("own", False)):
                conn.execute(sa.text(
                    "INSERT INTO users (full_name, username, locale, password_hash, must_change_password, "
                    "is_enabled, session_token, created_dt) VALUES (:n, :n, 'ky', '!', :m, :e, 't', :c)"),
                    {"n": name, "m": must_change, "e": True, "c": dt.datetime(2026, 1, 1)})
        with time_machine.travel(T0, tick=False):
            upgrade(revision="8d8142a61ee5")
        rows = dict(db.session.execute(sa.select(services.User.username, services.User.password_set_dt)).all())
        db.session.remove()
        db.engine.dispose()
    assert rows == {"otp": T0, "own": None}
