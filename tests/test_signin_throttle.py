"""Sign-in throttling counts the account, not the string typed, and a stranger cannot lock the owner out."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from safetyops.auth.services import normalize_login
from safetyops.auth.throttle import DEVICE_COOKIE
from tests.factories import PASSWORD

T0 = dt.datetime(2026, 12, 1, 1, 30, tzinfo=dt.UTC)  # 07:30 in Bishkek: shift change

SPELLINGS = ["+996555123456", "0555 123 456", "996-555-12-34-56", " +996 (555) 123456 ", "00996555123456",
             "(0555) 12-34-56", "+996.555.123.456", "555123456", "０５５５１２３４５６"]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_spelling_of_a_phone_number_is_one_account(spelling):
    assert normalize_login(spelling) == "+996555123456"


def test_usernames_are_trimmed_and_lower_cased():
    assert normalize_login(" Gulnara ") == normalize_login("GULNARA") == normalize_login("gulnara") == "gulnara"
    assert normalize_login("8 701 123 4567") == "+77011234567"  # a Kazakh number in its local form


def _try(client, login, password="wrong", address="10.0.0.1", **kw):
    return client.submit("/login", {"login": login, "password": password},
                         environ_base={"REMOTE_ADDR": address}, **kw)


def test_spellings_of_a_phone_number_share_one_budget(client, f):
    f.user("guard", phone="+996555123456")
    for spelling in SPELLINGS[:5]:
        assert _try(client, spelling).status_code == 200
    # a sixth spelling gets no fresh budget, even with the right password
    r = _try(client, SPELLINGS[5], PASSWORD)
    assert r.status_code == 429
    assert "Too many attempts" in r.get_data(as_text=True)


@pytest.mark.parametrize("logins", [
    ["0700 111 222", "+996700111222", "996-700-11-12-22", "(0700) 111-222", "+996 700 111 222", "700111222"],
    ["Nobody", " nobody", "NOBODY ", "NoBody", "nobody", "NOBODY"],
])
def test_an_unknown_login_counts_under_its_normalised_form_too(client, logins):
    for login in logins[:5]:
        assert _try(client, login).status_code == 200
    assert _try(client, logins[5]).status_code == 429


def test_a_strangers_wrong_passwords_do_not_lock_the_owner_out(client, f):
    f.user("guard", username="guard1", phone="+996555123456")
    for _ in range(5):
        assert _try(client, "guard1", address="203.0.113.66").status_code == 200
    assert _try(client, "guard1", address="203.0.113.66").status_code == 429  # the stranger waits
    # the guard, from the school's own address, signs in at once
    assert _try(client, "guard1", PASSWORD, address="10.0.0.7").status_code == 302


def test_wrong_passwords_from_everywhere_grow_a_delay_not_a_lockout(client, f, app, monkeypatch):
    for key, value in {"LOGIN_LIMIT_ACCOUNT_FREE_FAILURES": 3, "LOGIN_LIMIT_ACCOUNT_DELAY": 2,
                       "LOGIN_LIMIT_ACCOUNT_MAX_DELAY": 8}.items():
        monkeypatch.setitem(app.config, key, value)
    f.user("guard", username="guard2")
    addresses = (f"198.51.100.{i}" for i in range(1, 100))  # a botnet: one try per address
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(3):
            assert _try(client, "guard2", address=next(addresses)).status_code == 200
        waits = []
        for _ in range(4):
            r = _try(client, "GUARD2", address=next(addresses))
            assert r.status_code == 429
            seconds = int(r.headers["Retry-After"])
            assert f"try again in {seconds} s." in r.get_data(as_text=True)
            waits.append(seconds)
            # the right password is not even checked during the wait (no oracle for the guesser)
            assert _try(client, "guard2", PASSWORD, address=next(addresses)).status_code == 429
            clock.shift(seconds)
            assert _try(client, "guard2", address=next(addresses)).status_code == 200
        assert waits == [2, 4, 8, 8]  # doubles, then stays at the ceiling
        clock.shift(8)
        assert _try(client, "guard2", PASSWORD, address=next(addresses)).status_code == 302
    # a successful sign-in starts the count again
    other = app.test_client()
    assert _try(other, "guard2", address=next(addresses)).status_code == 200


def test_the_gate_phone_the_guard_signed_in_on_before_is_not_kept_out(app, client, f, monkeypatch):
    """At shift change a stranger has exhausted every budget of the guard's account, even from the
    school's own address (one address behind NAT): the phone the guard used before still signs in."""
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_ACCOUNT_FREE_FAILURES", 3)
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_ACCOUNT_MAX_DELAY", 600)
    f.user("guard", username="guard3", phone="+996555123456")
    school_nat = "10.20.30.40"
    assert _try(client, "guard3", PASSWORD, address=school_nat).status_code == 302
    cookie = client.get_cookie(DEVICE_COOKIE, domain="localhost")
    assert cookie is not None and "guard3" not in cookie.value and "555" not in cookie.value
    client.post("/logout", data={"csrf_token": client.csrf_token("/profile")})

    stranger = app.test_client()
    for address in ("203.0.113.1", "203.0.113.2", school_nat, school_nat, school_nat, school_nat, school_nat):
        _try(stranger, "guard3", address=address)
    assert _try(stranger, "guard3", PASSWORD, address=school_nat).status_code == 429
    assert _try(stranger, "guard3", PASSWORD, address="203.0.113.9").status_code == 429

    # the phone knows the account under its username and its phone number
    assert _try(client, "0555 123 456", PASSWORD, address=school_nat).status_code == 302


def test_a_known_device_has_a_tight_budget_of_its_own(app, client, f):
    f.user("guard", username="guard4")
    assert _try(client, "guard4", PASSWORD).status_code == 302
    client.post("/logout", data={"csrf_token": client.csrf_token("/profile")})
    for i in range(5):
        assert _try(client, "guard4", address=f"10.1.1.{i}").status_code == 200
    assert _try(client, "guard4", PASSWORD, address="10.1.1.99").status_code == 429


def test_a_forged_device_cookie_is_not_trusted(app, client, f, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_ACCOUNT_FREE_FAILURES", 1)
    f.user("guard", username="guard5")
    client.set_cookie(DEVICE_COOKIE, '{"n": "x", "a": ["guard5"]}', domain="localhost")
    assert _try(client, "guard5", address="10.2.0.1").status_code == 200
    assert _try(client, "guard5", PASSWORD, address="10.2.0.2").status_code == 429


def test_a_failed_form_without_a_password_check_is_not_counted(client, f):
    f.user("guard", username="guard6")
    for _ in range(8):
        assert client.submit("/login", {"login": "guard6", "password": ""}).status_code == 200
    assert _try(client, "guard6", PASSWORD, address="127.0.0.1").status_code == 302
