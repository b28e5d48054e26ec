"""The unit of work: one commit per request, nothing half-done stored."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, abort

from safetyops import create_app
from safetyops.access import public
from safetyops.errors_service import ServiceError
from safetyops.extensions import db
from safetyops.schools.models import Zone, ZoneKind
from safetyops.uow import finish, step
from tests.conftest import TEST_CONFIG


def _zones(name):
    return db.session.scalar(sa.select(sa.func.count()).select_from(Zone).where(Zone.name == name))


def _add_zone(school, name):
    db.session.add(Zone(school_id=school.id, name=name, kind=ZoneKind.CORRIDOR))
    db.session.flush()


def test_a_service_error_undoes_only_its_own_step(app, f):
    school = f.school_a
    with app.test_request_context("/"):
        _add_zone(school, "before")
        with step() as done:
            _add_zone(school, "half-done")
            raise ServiceError("refused")
        assert not done and done.error is not None
        with step() as later:
            _add_zone(school, "after")
        assert later
        finish(Response("ok"))
    assert (_zones("before"), _zones("half-done"), _zones("after")) == (1, 0, 1)


def test_a_step_attaches_the_message_to_the_form_field(app, f):
    from safetyops.schools.forms import ZoneForm

    with app.test_request_context("/", method="POST", data={"name": "Коридор"}):
        form = ZoneForm(meta={"csrf": False})
        with step(form) as done:
            raise ServiceError("taken", "name")
        assert not done and form.name.errors == ["taken"] and form.name.data == "Коридор"


def test_an_error_response_rolls_the_request_back(app, f):
    school = f.school_a
    with app.test_request_context("/"):
        _add_zone(school, "kept?")
        finish(Response("no", status=422))
    assert _zones("kept?") == 0


def test_other_errors_are_not_swallowed(app, f):
    import pytest

    with app.test_request_context("/"):
        with pytest.raises(ZeroDivisionError), step():
            _add_zone(f.school_a, "crash")
            1 / 0  # noqa: B018
        assert _zones("crash") == 0


def test_a_view_that_aborts_after_writing_stores_nothing(app, f):
    school_id = f.school_a.id
    bp = Blueprint("uow_probe", __name__)

    @bp.post("/probe/<int:status>")
    @public
    def probe(status):
        _add_zone(type("S", (), {"id": school_id}), f"probe-{status}")
        if status == 404:
            abort(404)
        return "", status

    scratch = create_app({**TEST_CONFIG, "DATABASE_URL": app.config["DATABASE_URL"], "WTF_CSRF_ENABLED": False})
    scratch.register_blueprint(bp)
    client = scratch.test_client()
    db.session.commit()
    assert client.post("/probe/404").status_code == 404
    assert client.post("/probe/409").status_code == 409
    assert client.post("/probe/201").status_code == 201
    assert (_zones("probe-404"), _zones("probe-409"), _zones("probe-201")) == (0, 0, 1)


def test_no_view_commits_or_rolls_back():
    """The unit of work is the only place a request commits (issue 11)."""
    import re

    from safetyops.paths import PACKAGE_DIR

    found = []
    for path in sorted(PACKAGE_DIR.glob("*/views.py")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"\.(commit|rollback)\(\)", line):
                found.append(f"{path.parent.name}/views.py:{n}: {line.strip()}")
    assert found == []
