import re

import pytest
import sqlalchemy as sa

from safetyops import create_app
from safetyops.audit.models import AuditEvent
from safetyops.auth.models import User
from safetyops.auth.roles import Role
from safetyops.extensions import db, limiter
from safetyops.schools.models import Membership
from tests.conftest import TEST_CONFIG, login
from tests.factories import PASSWORD


def _sign_in(client, login_name, password=PASSWORD, **kw):
    return client.submit("/login", {"login": login_name, "password": password}, **kw)


def test_a_guard_lands_on_the_gate_and_a_guard_with_another_role_at_home(app, f):
    """Issue 12: the guard's work is the gate, one tap less each shift; a `next` still wins."""
    f.user("guard", username="asan")
    both = f.user("guard", username="bolot")
    both.memberships.append(Membership(school=f.school_b, role=Role.TEACHER))
    db.session.flush()
    r = _sign_in(app.test_client(), "asan")
    assert r.status_code == 302 and r.location.endswith("/gate/")
    r = _sign_in(app.test_client(), "bolot")
    assert r.status_code == 302 and r.location.endswith("/") and "/gate/" not in r.location
    to_zones = "/login?next=/zones"
    r = app.test_client().submit(to_zones, {"login": "asan", "password": PASSWORD}, page=to_zones)
    assert r.location.endswith("/zones")


def test_sign_in_with_username_and_land_on_home(client, f):
    user = f.user("director", username="gulnara")
    r = _sign_in(client, "Gulnara")
    assert r.status_code == 302 and r.location.endswith("/")
    assert client.get("/").status_code == 200
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "auth.login",
                                                         AuditEvent.user_id == user.id))


def test_sign_in_gives_the_new_session_its_form_key_at_once(client, f):
    """The first page after sign-in and the phone's service worker (which fetches the day's pages
    at the same moment) must share one CSRF key: if the sign-in's cookie had none, each of those
    first requests would make its own, the last cookie would win, and the first form the person
    sent (seen: the language switch) was refused as expired."""
    f.user("teacher", username="aigul")
    with client.session_transaction() as sess:
        key_before = sess.get("csrf_token")
    r = _sign_in(client, "aigul")
    assert r.status_code == 302
    with client.session_transaction() as sess:
        key = sess.get("csrf_token")
    assert key and key != key_before, "a fresh key in the sign-in's own cookie (not the one from before)"
    client.get("/")
    client.get("/offline/pages.json")
    with client.session_transaction() as sess:
        assert sess.get("csrf_token") == key


def test_sign_in_with_phone_in_local_form(client, f):
    f.user("guard", phone="+996555123456")
    assert _sign_in(client, "0555 123 456").status_code == 302


@pytest.mark.parametrize("login_name,password", [("known", "wrong password"), ("nobody", PASSWORD)])
def test_wrong_password_or_unknown_user_says_so_and_keeps_the_username(client, f, login_name, password):
    f.user("teacher", username="known")
    r = _sign_in(client, login_name, password)
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Wrong username, phone number or password." in html
    assert f'value="{login_name}"' in html
    assert 'type="password"' in html and PASSWORD not in html


def test_disabled_account_cannot_sign_in(client, f):
    f.user("teacher", username="gone", enabled=False)
    assert _sign_in(client, "gone").status_code == 200


def test_missing_csrf_token_is_a_clear_400(client, f):
    f.user("teacher", username="t1")
    r = client.post("/login", data={"login": "t1", "password": PASSWORD})
    assert r.status_code == 400
    assert "<html" in r.get_data(as_text=True)


def test_oversized_body_is_413(client):
    r = client.post("/login", data={"login": "x" * (9 * 1024 * 1024)})
    assert r.status_code == 413


def test_safe_next_redirect_only(client, f):
    f.user("teacher", username="t2")
    r = client.submit("/login?next=//evil.example/x", {"login": "t2", "password": PASSWORD}, page="/login")
    assert r.location.endswith("/") and "evil" not in r.location
    client.post("/logout", data={"csrf_token": client.csrf_token("/profile")})
    r = client.submit("/login?next=/zones", {"login": "t2", "password": PASSWORD}, page="/login")
    assert r.location.endswith("/zones")


def test_throttled_per_account_with_message_and_username_kept(client, f):
    f.user("teacher", username="victim")
    for _ in range(5):
        assert _sign_in(client, "victim", "bad").status_code == 200
    r = _sign_in(client, "victim", "bad")
    assert r.status_code == 429
    assert 'value="victim"' in r.get_data(as_text=True)
    # even the right password waits: the limit is on the account
    assert _sign_in(client, "victim").status_code == 429


def test_throttled_per_address(client, f, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ADDRESS", "3 per minute")
    for i in range(3):
        _sign_in(client, f"someone{i}", "bad")
    assert _sign_in(client, "someone-else", "bad").status_code == 429


def test_logout_ends_every_session_of_the_person(app, client, f):
    user = f.user("teacher")
    other_phone = app.test_client()
    login(client, user)
    login(other_phone, user)
    assert other_phone.get("/").status_code == 200
    r = client.post("/logout", data={"csrf_token": client.csrf_token("/profile")})
    assert r.status_code == 302
    assert other_phone.get("/").status_code == 302  # back to sign-in
    assert client.get("/").status_code == 302


def test_password_change_keeps_this_session_and_ends_others(app, client, f):
    user = f.user("teacher")
    other = app.test_client()
    login(client, user)
    login(other, user)
    r = client.submit("/password", {"current": PASSWORD, "new": "a new long password",
                                    "confirm": "a new long password"})
    assert r.status_code == 302
    assert client.get("/").status_code == 200
    assert other.get("/").status_code == 302
    client.post("/logout", data={"csrf_token": client.csrf_token("/profile")})
    assert _sign_in(client, user.username, "a new long password").status_code == 302


def test_password_change_errors_are_shown(client, f):
    login(client, f.user("teacher"))
    r = client.submit("/password", {"current": "nope", "new": "short", "confirm": "other"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert html.count('class="error"') >= 2


def test_one_time_password_must_be_changed_first(client, f):
    user = f.user("teacher", must_change=True)
    login(client, user)
    assert client.get("/").location.endswith("/password")
    assert client.get("/zones").location.endswith("/password")
    client.submit("/password", {"current": PASSWORD, "new": "my own password", "confirm": "my own password"})
    assert client.get("/").status_code == 200


def test_production_password_hash_is_argon2id_above_asvs_minimum(tmp_path):
    from safetyops.security import hash_password

    prod = create_app({"DATABASE_URL": "sqlite://", "INSTANCE_PATH": str(tmp_path)})
    with prod.app_context():
        digest = hash_password("x")
    assert digest.startswith("$argon2id$")
    params = dict(p.split("=") for p in re.search(r"\$(m=[^$]+)\$", digest).group(1).split(","))
    assert int(params["m"]) >= 19 * 1024 and int(params["t"]) >= 2


def test_session_cookie_flags(client, f):
    f.user("teacher", username="cookie")
    r = _sign_in(client, "cookie")
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_session_cookie_secure_under_https(client, f):
    f.user("teacher", username="secure")
    token = client.csrf_token()
    r = client.post("/login", data={"login": "secure", "password": PASSWORD, "csrf_token": token},
                    base_url="https://localhost")
    assert "Secure" in r.headers["Set-Cookie"]


def test_security_headers(client, f):
    r = client.get("/login")
    h = r.headers
    assert "script-src 'self'" in h["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in h["Content-Security-Policy"]
    assert "unsafe-inline" not in h["Content-Security-Policy"]
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in h
    assert "Strict-Transport-Security" in client.get("/login", base_url="https://localhost").headers
    login(client, f.user("director"))
    assert client.get("/staff").headers["Cache-Control"] == "no-store"


def test_no_inline_script_in_pages(client, f):
    login(client, f.user("director"))
    for url in ("/", "/staff", "/login", "/profile"):
        html = client.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert " style=" not in html and "onclick" not in html


def test_language_switch_for_visitor_and_person(client, f):
    client.submit("/language", {"lang": "ru", "next": "/login"}, page="/login")
    assert 'lang="ru"' in client.get("/login").get_data(as_text=True)
    user = f.user("teacher", locale="ky")
    login(client, user)
    client.submit("/language", {"lang": "kk"}, page="/profile")
    assert user.locale == "kk"
    assert 'lang="kk"' in client.get("/").get_data(as_text=True)


def test_error_pages_in_the_persons_language(client, f):
    login(client, f.user("teacher", locale="ru"))
    r = client.get("/no-such-page")
    assert r.status_code == 404 and 'lang="ru"' in r.get_data(as_text=True)
    assert client.get("/audit").status_code == 403


def test_inspector_sees_every_school_of_the_district_read_only(client, f):
    other = f.school(name="Second of district A", district=f.school_a.district)
    inspector = f.user("inspector", f.school_a)
    login(client, inspector)
    html = client.get("/").get_data(as_text=True)
    assert "School A" in html or "Second of district A" in html
    client.submit("/school", {"school_id": other.id}, page="/")
    assert "Second of district A" in client.get("/zones").get_data(as_text=True)
    # a school outside the district cannot be chosen
    client.submit("/school", {"school_id": f.school_b.id}, page="/")
    assert "School B" not in client.get("/zones").get_data(as_text=True)
    assert client.get("/staff").status_code == 403


def test_sign_in_limits_are_shared_between_workers_through_redis(app, database_url, tmp_path):
    """Two app instances (two workers) with Redis storage count failed sign-ins together."""
    import uuid

    import redis

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.fail("Redis is expected at 127.0.0.1:6379")
    prefix = f"test-{uuid.uuid4().hex}"
    cfg = {**TEST_CONFIG, "DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path),
           "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0", "RATELIMIT_KEY_PREFIX": prefix,
           "LOGIN_LIMIT_PER_ACCOUNT_ADDRESS": "3 per minute", "LOGIN_LIMIT_ACCOUNT_FREE_FAILURES": 4,
           "LOGIN_LIMIT_ACCOUNT_DELAY": 60, "WTF_CSRF_ENABLED": False}
    # create_app binds the one global Limiter to Redis: put the test app's storage back afterwards
    saved = dict(vars(limiter))
    try:
        statuses, late = _two_workers_through_redis(cfg)
    finally:
        vars(limiter).clear()
        vars(limiter).update(saved)
    assert statuses == [200, 200, 200, 429, 200]
    assert late.status_code == 429 and 55 <= int(late.headers["Retry-After"]) <= 60


def _two_workers_through_redis(cfg):
    apps = [create_app(cfg) for _ in range(2)]
    workers = [a.test_client() for a in apps]

    def attempt(i, login, address):
        return workers[i % 2].post("/login", data={"login": login, "password": "bad"},
                                   environ_base={"REMOTE_ADDR": address})

    # one address, two workers, spellings of one number: the per-account-and-address limit
    spellings = ["0555 123 456", "+996555123456", "996-555-12-34-56", "+996 (555) 123456"]
    statuses = [attempt(i, spelling, "10.0.0.1").status_code for i, spelling in enumerate(spellings)]
    # other addresses: the account's delay counts the failures of both workers
    statuses += [attempt(1, "0555123456", "10.0.0.2").status_code]
    late = attempt(0, "+996 555 123 456", "10.0.0.3")
    for a in apps:
        with a.app_context():
            db.engine.dispose()
    return statuses, late


@pytest.fixture
def hashing_spy(monkeypatch):
    """Records, for each argon2 hash or verify, whether the session had a transaction open then.
    The real hasher still runs: this spies, it does not replace."""
    from argon2 import PasswordHasher

    calls = []
    for name in ("hash", "verify"):
        original = getattr(PasswordHasher, name)

        def spy(self, *args, _original=original, _name=name, **kwargs):
            calls.append((_name, db.session().in_transaction()))
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(PasswordHasher, name, spy)
    return calls


def test_passwords_are_hashed_and_verified_outside_any_transaction(app, client, f, hashing_spy, monkeypatch):
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    f.user("teacher", username="old_hash").password_hash = weak
    monkeypatch.setitem(app.config, "ARGON2_TIME_COST", 2)  # today's parameters are stronger: rehash
    f.user("teacher", username="typo")
    db.session.commit()  # the test's own writes are done; the requests below start clean
    hashing_spy.clear()

    assert _sign_in(client, "old_hash").status_code == 302  # verify, then rehash
    stranger = app.test_client()
    assert _sign_in(stranger, "typo", "wrong").status_code == 200  # verify, a failure
    assert _sign_in(stranger, "nobody", "wrong").status_code == 200  # verify against the dummy hash
    r = client.submit("/password", {"current": PASSWORD, "new": "a new long password",
                                    "confirm": "a new long password"})  # verify, hash
    assert r.status_code == 302

    kinds = [kind for kind, _ in hashing_spy]
    assert kinds.count("verify") == 4 and kinds.count("hash") >= 2
    assert [in_tx for _, in_tx in hashing_spy] == [False] * len(hashing_spy)
    user = db.session.scalar(sa.select(User).where(User.username == "old_hash"))
    assert user.password_hash != weak and "t=2" in user.password_hash


def test_one_time_password_can_be_hashed_before_the_transaction(f, hashing_spy):
    from safetyops.auth import services

    director, person = f.user("director"), f.user("teacher")
    db.session.commit()
    hashing_spy.clear()
    otp = services.new_one_time_password()  # before anything is loaded
    services.reset_password(director, f.school_a, person, otp)
    assert hashing_spy == [("hash", False)]
    from safetyops.security import verify_password

    assert verify_password(person.password_hash, otp.password)


def test_set_password_refuses_a_plain_password(f):
    from safetyops.auth import services

    user = f.user("teacher")
    with pytest.raises(ValueError):
        services.set_password(user, user, "a plain password")
