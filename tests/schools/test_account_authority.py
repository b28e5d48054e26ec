"""Account management cannot be used to take over a person or to gain rights (issue 18).

The matrix: the actor's role at school A (where the edit happens), whether the actor also
manages school B, the target's role at A, and whether the target also works at B (and as
what); for every account-management route.  A refusal must change nothing in the database.
The expected answer is the rule written out here, independently of the code under test:

- a person's account (name, sign-in name, phone, language, password, enabled) may be changed
  only by someone who manages staff (director or admin) at *every* school the person works
  at, and only a director may change the account of a director or an admin;
- a role at A may be changed by a director or admin of A, but only a director gives or takes
  away the director and admin roles; nobody changes their own role.
"""

from __future__ import annotations

import itertools
import re

import pytest
import sqlalchemy as sa

from safetyops.auth.models import User
from safetyops.extensions import db
from safetyops.schools.models import Membership
from tests.conftest import login

MANAGERS = {"director", "admin"}
PRIVILEGED = {"director", "admin"}

ACTOR_AT_A = ["director", "admin", "deputy"]
ACTOR_AT_B = [None, "director"]
TARGET_AT_A = ["director", "admin", "deputy", "teacher"]
TARGET_AT_B = [None, "teacher", "director"]

ACTIONS = ["name", "phone", "username", "locale", "password", "deactivate", "role_down", "role_up"]

CASES = [c for c in itertools.product(ACTOR_AT_A, ACTOR_AT_B, TARGET_AT_A, TARGET_AT_B)
         # an actor's role at B only matters when the target works at B
         if not (c[1] is not None and c[3] is None)]


def expected_account(actor_a, actor_b, target_a, target_b) -> bool:
    for mine, theirs in ((actor_a, target_a), (actor_b, target_b)):
        if theirs is None:
            continue
        if mine not in MANAGERS:
            return False
        if theirs in PRIVILEGED and mine != "director":
            return False
    return True


def expected_role(actor_a, old, new) -> bool:
    if actor_a not in MANAGERS:
        return False
    if (old in PRIVILEGED or new in PRIVILEGED) and actor_a != "director":
        return False
    return True


def snapshot(user_id):
    db.session.expire_all()
    user = db.session.get(User, user_id)
    roles = sorted(db.session.execute(sa.select(Membership.school_id, Membership.role)
                                      .where(Membership.user_id == user_id)).all())
    return (user.full_name, user.username, user.phone, user.locale, user.password_hash,
            user.must_change_password, user.is_enabled, user.session_token, roles)


def _form(target, role, **change):
    data = {"full_name": target.full_name, "username": target.username, "phone": target.phone or "",
            "locale": target.locale, "role": role}
    data.update(change)
    return data


def _sign_in_at(client, user, school):
    login(client, user)
    with client.session_transaction() as sess:
        sess["school_id"] = school.id


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize(("actor_a", "actor_b", "target_a", "target_b"), CASES,
                         ids=["-".join(str(x) for x in c) for c in CASES])
def test_account_management_matrix(client, f, action, actor_a, actor_b, target_a, target_b):
    actor = f.user(actor_a, f.school_a)
    if actor_b:
        actor.memberships.append(Membership(school=f.school_b, role=actor_b))
    target = f.user(target_a, f.school_a, phone="+996700111222", locale="en")
    if target_b:
        target.memberships.append(Membership(school=f.school_b, role=target_b))
    db.session.flush()
    _sign_in_at(client, actor, f.school_a)
    before = snapshot(target.id)
    url = f"/staff/{target.id}"

    if action == "password":
        r = client.submit(f"{url}/password", {}, page=url if actor_a in MANAGERS else "/profile")
        allowed = expected_account(actor_a, actor_b, target_a, target_b)
        shown = 'class="otp"' in r.get_data(as_text=True)
        assert shown == allowed
    elif action == "deactivate":
        client.submit(f"{url}/active", {"enable": "0"}, page=url if actor_a in MANAGERS else "/profile")
        allowed = expected_account(actor_a, actor_b, target_a, target_b)
    elif action in ("role_down", "role_up"):
        new = "guard" if action == "role_down" else ("director" if target_a != "director" else "admin")
        client.submit(url, _form(target, new), page=url if actor_a in MANAGERS else "/profile")
        allowed = expected_role(actor_a, target_a, new)
    else:
        change = {"name": {"full_name": "Someone Else"}, "phone": {"phone": "+996700999888"},
                  "username": {"username": "taken_over"}, "locale": {"locale": "ru"}}[action]
        client.submit(url, _form(target, target_a, **change), page=url if actor_a in MANAGERS else "/profile")
        allowed = expected_account(actor_a, actor_b, target_a, target_b)

    after = snapshot(target.id)
    if allowed:
        assert after != before, "an allowed change did not happen"
    else:
        assert after == before, "a refused change touched the database"


@pytest.mark.parametrize(("actor_role", "new_role", "allowed"), [
    ("director", "director", True), ("director", "admin", True), ("director", "teacher", True),
    ("admin", "director", False), ("admin", "admin", False), ("admin", "teacher", True),
])
def test_only_a_director_creates_directors_and_admins(client, f, actor_role, new_role, allowed):
    actor = f.user(actor_role, f.school_a)
    _sign_in_at(client, actor, f.school_a)
    client.submit("/staff/new", {"full_name": "Новый Человек", "username": "newcomer", "phone": "",
                                 "role": new_role, "locale": "ky"})
    made = db.session.scalar(sa.select(User).where(User.username == "newcomer"))
    assert (made is not None) == allowed


def test_the_new_staff_form_offers_an_admin_no_privileged_role(client, f):
    _sign_in_at(client, f.user("admin", f.school_a), f.school_a)
    html = client.get("/staff/new").get_data(as_text=True)
    assert 'value="teacher"' in html
    assert 'value="director"' not in html and 'value="admin"' not in html


@pytest.mark.parametrize("role", ["director", "admin"])
def test_nobody_changes_their_own_role(client, f, role):
    me = f.user(role, f.school_a)
    _sign_in_at(client, me, f.school_a)
    other = "admin" if role == "director" else "director"
    for new in (other, "teacher"):
        client.submit(f"/staff/{me.id}", _form(me, new))
        assert snapshot(me.id)[-1] == [(f.school_a.id, role)]


def test_own_details_may_still_be_changed_on_the_staff_page(client, f):
    me = f.user("director", f.school_a)
    _sign_in_at(client, me, f.school_a)
    r = client.submit(f"/staff/{me.id}", _form(me, "director", full_name="Новое Имя"))
    assert r.status_code == 302
    assert snapshot(me.id)[0] == "Новое Имя"


def test_the_reported_takeover_is_refused_and_explained(client, f, app):
    """Director of school B resets the password of a person who is director at school A."""
    victim = f.user("director", f.school_a, username="victim")
    victim.memberships.append(Membership(school=f.school_b, role="teacher"))
    attacker = f.user("director", f.school_b)
    db.session.flush()
    _sign_in_at(client, attacker, f.school_b)
    before = snapshot(victim.id)
    page = client.get(f"/staff/{victim.id}").get_data(as_text=True)
    assert "Here you can change only this person" in page
    assert f"/staff/{victim.id}/password" not in page
    r = client.submit(f"/staff/{victim.id}/password", {}, page=f"/staff/{victim.id}")
    assert r.status_code == 302
    assert "otp" not in client.get(r.location).get_data(as_text=True)
    r = client.submit(f"/staff/{victim.id}", _form(victim, "teacher", phone="+996700555444"))
    assert r.status_code == 200 and "another school" in r.get_data(as_text=True)
    assert snapshot(victim.id) == before


def test_an_admin_never_sees_a_directors_one_time_password(client, f):
    director = f.user("director", f.school_a)
    _sign_in_at(client, f.user("admin", f.school_a), f.school_a)
    r = client.submit(f"/staff/{director.id}/password", {}, page="/staff")
    html = client.get(r.location).get_data(as_text=True) if r.status_code == 302 else r.get_data(as_text=True)
    assert not re.search(r'class="otp"', html)
    assert "Only a director can change the account" in html


def test_the_web_staff_import_gives_only_roles_the_person_may_grant(client, f):
    from safetyops.rosters import staff_import

    admin = f.user("admin", f.school_a)
    rows = [["name", "phone", "role"], ["Бакыт Асанов", "0700 123 321", "director"]]
    checked = staff_import.check(f.school_a, rows, roles=staff_import.grantable_roles(admin, f.school_a))
    assert [p.column for p in checked.problems] == ["role"]
    assert not staff_import.check(f.school_a, rows).problems  # the CLI (the server's operator) may


def test_one_time_passwords_are_hashed_with_no_transaction_open(client, f, monkeypatch):
    """Creating a person and resetting a password hash outside the request's transaction (issue 19)."""
    from argon2 import PasswordHasher

    seen = []
    original = PasswordHasher.hash

    def spy(self, *args, **kwargs):
        seen.append(db.session().in_transaction())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(PasswordHasher, "hash", spy)
    person = f.user("teacher", f.school_a)
    _sign_in_at(client, f.user("director", f.school_a), f.school_a)
    seen.clear()  # the factories' own hashing
    r = client.submit("/staff/new", {"full_name": "Жаңы Адам", "username": "newcomer", "phone": "",
                                     "role": "teacher", "locale": "ky"})
    assert r.status_code == 200 and 'class="otp"' in r.get_data(as_text=True)
    r = client.submit(f"/staff/{person.id}/password", {}, page=f"/staff/{person.id}")
    assert 'class="otp"' in r.get_data(as_text=True)
    assert seen == [False, False]
