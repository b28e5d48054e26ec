"""Every route × every role × own school / other school → the expected status.

The tables are written by hand: they are the statement of who may do what.  The
foundation's table is below; each area adds `tests/<area>/access.py` with its own
`MATRIX` and an `objects(f, school)` that makes the records its URLs name.  A route
added to the app without a line in some table fails `test_every_route_is_in_the_matrix`.

The records are made once per test session (per xdist worker) in a database of their own
(`matrix_world`): two schools with every area's records in each, and one person per role
at the first school.  Each case runs in a transaction rolled back at its end (`app_ctx`),
so whatever an empty POST changed is gone before the next case, and at the clock time the
records were made (a run that crosses midnight sees the same "today" in every case).
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
from dataclasses import dataclass

import pytest
import time_machine
from flask import Flask

from safetyops import create_app
from safetyops.auth.roles import Role
from safetyops.extensions import db
from safetyops.time import now_utc
from tests import factories
from tests.access_common import ALL, MANAGERS, PUBLIC, SIGNED_IN, TOKEN
from tests.conftest import TEST_CONFIG, Client, login

STAFF_READERS = MANAGERS | {Role.DEPUTY, Role.SAFETY_OFFICER}

#: endpoint -> who may use it (roles at the school, "public" or "signed-in").
MATRIX: dict[str, object] = {
    "static": PUBLIC,
    "auth.login": PUBLIC,
    "auth.set_language": PUBLIC,
    "auth.logout": SIGNED_IN,
    "auth.change_password": SIGNED_IN,
    "auth.switch_school": SIGNED_IN,
    "auth.choose_school": SIGNED_IN,
    "dashboard.home": ALL,
    "dashboard.healthz": PUBLIC,
    "dashboard.favicon": PUBLIC,
    "dashboard.manifest": PUBLIC,
    "dashboard.offline_worker": PUBLIC,
    "dashboard.offline_page": PUBLIC,
    "dashboard.offline_pages": SIGNED_IN,
    "schools.staff_list": STAFF_READERS,
    "schools.staff_new": MANAGERS,
    "schools.staff_edit": MANAGERS,
    "schools.staff_set_active": MANAGERS,
    "schools.staff_reset_password": MANAGERS,
    "schools.zones": ALL,
    "schools.zone_edit": MANAGERS,
    "schools.appointments": ALL,
    "schools.appointment_edit": MANAGERS,
    "schools.school_settings": MANAGERS,
    "schools.calendar": ALL,
    "schools.calendar_add": MANAGERS,
    "schools.calendar_usual_terms": MANAGERS,
    "schools.calendar_delete": MANAGERS,
    "schools.profile": SIGNED_IN,
    "audit.events": MANAGERS,
}

from safetyops.areas import AREAS  # noqa: E402

AREA_ACCESS = [
    importlib.import_module(f"tests.{area}.access")
    for area in AREAS
    if importlib.util.find_spec(f"tests.{area}") and importlib.util.find_spec(f"tests.{area}.access")
]
for _module in AREA_ACCESS:
    assert not (MATRIX.keys() & _module.MATRIX.keys()), f"{_module.__name__} repeats foundation endpoints"
    MATRIX.update(_module.MATRIX)
#: endpoint -> status an allowed GET answers, where it is not 200 (a download, a redirect).
EXPECT: dict[str, int] = {}
for _module in AREA_ACCESS:
    EXPECT.update(getattr(_module, "EXPECT", {}))

_APP = create_app({**TEST_CONFIG, "DATABASE_URL": "sqlite://"})
RULES = sorted(_APP.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule))
ROLES = [None, *Role]  # None = not signed in


def test_every_route_is_in_the_matrix():
    endpoints = {r.endpoint for r in RULES}
    assert endpoints - MATRIX.keys() == set(), "routes without a line in the access matrix"
    assert MATRIX.keys() - endpoints == set(), "matrix lines for routes that no longer exist"


def test_a_route_that_declares_nothing_is_refused(app, client, f):
    from flask import Blueprint

    from safetyops.access import access_rule

    assert all(access_rule(r.endpoint) is not None for r in RULES if r.endpoint != "static")
    # A bare view added to the running app answers 403 even to a director.
    bp = Blueprint(f"undeclared_{id(client)}", __name__)
    bp.add_url_rule("/undeclared-route-check", "bare", lambda: "leak")
    scratch = create_app({**TEST_CONFIG, "DATABASE_URL": app.config["DATABASE_URL"]})
    scratch.register_blueprint(bp)
    c = scratch.test_client()
    login(c, f.user("director"))
    assert c.get("/undeclared-route-check").status_code == 403


def _calendar_entry(school):
    from safetyops.schools.models import CalendarEntry, CalendarKind

    entry = CalendarEntry(school_id=school.id, kind=CalendarKind.DAY_OFF, name=f"Day off {school.id}",
                          first_day=dt.date(2026, 12, 1), last_day=dt.date(2026, 12, 1))
    db.session.add(entry)
    db.session.flush()
    return entry


def _objects(f, school):
    """Records a URL can name, in `school`."""
    values = {
        "user_id": f.user("teacher", school).id,
        "zone_id": f.zone(school).id,
        "appt_id": f.appointment(school).id,
        "calendar_entry_id": _calendar_entry(school).id,
        "filename": "css/app.css",
    }
    for module in AREA_ACCESS:
        made = module.objects(f, school)
        clash = values.keys() & made.keys()
        assert not clash, f"{module.__name__} reuses URL argument names {clash}: rename them"
        values.update(made)
    return values


@dataclass(frozen=True)
class World:
    app: Flask
    own: dict  # URL arguments naming records of the first school
    other: dict  # the same records of the second school
    users: dict  # role -> id of a person with that role at the first school
    made_at: dt.datetime


@pytest.fixture(scope="session")
def matrix_world(fresh_database_url, tmp_path_factory):
    """Two schools with every area's records, made and committed once, in a database of their own."""
    application = create_app({**TEST_CONFIG, "DATABASE_URL": fresh_database_url(),
                              "INSTANCE_PATH": str(tmp_path_factory.mktemp("matrix")),
                              "WTF_CSRF_ENABLED": False})  # these tests are about roles, not CSRF
    application.test_client_class = Client
    with application.app_context():
        db.create_all()
        f = factories.Factories()
        own, other = _objects(f, f.school_a), _objects(f, f.school_b)
        users = {role: f.user(role.value, f.school_a).get_id() for role in Role}
        db.session.commit()
        made_at = now_utc()  # after every record: each case's clock starts here
        db.session.remove()
    yield World(application, own, other, users, made_at)
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(matrix_world):
    """This module runs on the matrix world's app and database (`client`, `f` and `app_ctx` too)."""
    return matrix_world.app


def _allowed(rule_spec, role) -> bool:
    if rule_spec in (PUBLIC, TOKEN):
        return True
    if rule_spec == SIGNED_IN:
        return role is not None
    return role in rule_spec


def _request(client, rule, values):
    url = rule.build(values, append_unknown=False)[1]
    method = "GET" if "GET" in rule.methods else "POST"
    resp = client.open(url, method=method, data={} if method == "POST" else None)
    resp.get_data()
    resp.close()  # file responses (static, favicon) hold an open file until closed
    return method, resp


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "anonymous")
@pytest.mark.parametrize("rule", RULES, ids=lambda r: f"{r.endpoint}:{r.rule}")
def test_own_school(rule, role, client, matrix_world):
    with time_machine.travel(matrix_world.made_at, tick=True):
        if role is not None:
            login(client, matrix_world.users[role])
        method, resp = _request(client, rule, matrix_world.own)
    spec = MATRIX[rule.endpoint]
    if spec == TOKEN:  # no valid token or signature was sent
        assert resp.status_code in (400, 403, 404)
    elif role is None and spec != PUBLIC:
        assert resp.status_code == 302 and "/login" in resp.location
    elif not _allowed(spec, role):
        assert resp.status_code == 403
    elif method == "GET" and not (rule.endpoint == "auth.login" and role is not None):
        assert resp.status_code == EXPECT.get(rule.endpoint, 200), resp.get_data(as_text=True)[:500]
    else:  # an empty POST: refused as bad input or done, never forbidden, missing or crashed
        assert resp.status_code in (200, 302, 400, 409, 422), resp.status_code


ID_RULES = [r for r in RULES if r.arguments - set(r.defaults or {}) - {"filename"}]


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
@pytest.mark.parametrize("rule", ID_RULES, ids=lambda r: f"{r.endpoint}:{r.rule}")
def test_other_school_is_404(rule, role, client, matrix_world):
    with time_machine.travel(matrix_world.made_at, tick=True):
        login(client, matrix_world.users[role])
        _method, resp = _request(client, rule, matrix_world.other)
    spec = MATRIX[rule.endpoint]
    if spec == TOKEN:
        assert resp.status_code in (400, 403, 404)
        return
    expected = 404 if _allowed(spec, role) else 403
    assert resp.status_code == expected
