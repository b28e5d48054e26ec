"""The server side of offline phones: the service worker and its pages, records replayed from a
phone's outbox (stored once, with the time they were made on the phone), and conflicts."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid

import pytest
import sqlalchemy as sa
import time_machine

from safetyops.audit.models import AuditEvent
from safetyops.drills.models import ClassReport
from safetyops.extensions import db
from safetyops.gate.models import GateEntry
from safetyops.inspections.models import Answer, Run
from safetyops.offline import parse_made
from tests.conftest import login

MONDAY_0800 = dt.datetime(2026, 11, 16, 2, 0, tzinfo=dt.UTC)  # 08:00 in Bishkek
JSON = {"Accept": "application/json", "X-Requested-With": "fetch"}


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY_0800, tick=False) as traveller:
        yield traveller


@pytest.fixture
def walk(f, clock):
    zone = f.zone(name="Коридор 2-кабат")
    sched = f.schedule("fire_daily_walk", zone=zone, starts_on=dt.date(2026, 11, 1))
    db.session.commit()
    return sched


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


# --- the phone's clock -----------------------------------------------------------------------------


def test_phone_time_is_believed_only_within_reason():
    now = MONDAY_0800
    day = dt.timedelta(days=1)
    assert parse_made("2026-11-16T01:50:00.123Z", now, day) == dt.datetime(2026, 11, 16, 1, 50, 0, 123000,
                                                                          tzinfo=dt.UTC)
    assert parse_made("2026-11-16T07:50:00+06:00", now, day) == dt.datetime(2026, 11, 16, 1, 50, tzinfo=dt.UTC)
    assert parse_made("2026-11-16T02:03:00Z", now, day) == now  # a little ahead: the server's time
    assert parse_made("2026-11-16T03:00:00Z", now, day) is None  # an hour ahead: not believed
    assert parse_made("2026-11-14T02:00:00Z", now, day) is None  # older than a session lasts
    assert parse_made("2026-11-16T01:50:00", now, day) is None  # no zone
    assert parse_made("yesterday", now, day) is None
    assert parse_made("", now, day) is None


# --- the worker and its pages ----------------------------------------------------------------------


def test_service_worker_is_served_from_the_root_never_immutable_with_the_fingerprinted_shell(client):
    r = client.get("/sw.js")
    assert r.status_code == 200
    assert r.mimetype == "text/javascript"
    assert r.headers["Cache-Control"] == "no-cache"
    assert r.headers["Service-Worker-Allowed"] == "/"
    body = r.get_data(as_text=True)
    shell = json.loads(re.search(r"^const SHELL = (.*);$", body, re.M).group(1))
    assert any(u.startswith("/static/css/app.css?v=") for u in shell)
    assert any(u.startswith("/static/js/outbox.js?v=") for u in shell)
    assert any(u.startswith("/static/vendor/idb-keyval/idb-keyval.umd.js?v=") for u in shell)
    assert "/offline" in shell
    assert "addEventListener(\"fetch\"" in body
    # the worker file itself, under /static/, is never fingerprinted nor immutable either
    assert client.get("/static/sw.js").headers["Cache-Control"] == "no-cache"
    assert "sw.js?v=" not in client.get("/login").get_data(as_text=True)
    # every shell file is there
    for url in shell:
        assert client.get(url).status_code == 200, url


def test_offline_page_speaks_the_persons_language_and_pages_list_today(client, f, walk):
    teacher = f.user("teacher", locale="ru")
    login(client, teacher)
    page = client.get("/offline")
    assert page.status_code == 200
    assert "Нет связи" in page.get_data(as_text=True) or "No connection" in page.get_data(as_text=True)
    data = client.get("/offline/pages.json", headers=JSON).json
    assert data["csrf"] and len(data["user"]) == 20
    assert data["pages"][0] == "/" and "/offline" in data["pages"]
    assert "/inspections/checks" in data["pages"] and "/inspections/hazard" in data["pages"]
    assert f"/inspections/checks/{walk.id}/walk" in data["pages"]
    assert not any(p.startswith("/gate") for p in data["pages"])
    html = client.get("/").get_data(as_text=True)
    assert f'data-user="{data["user"]}"' in html and 'id="outbox"' in html


def test_a_guard_gets_the_gate_pages(client, f):
    login(client, f.user("guard"))
    pages = client.get("/offline/pages.json", headers=JSON).json["pages"]
    assert {"/gate/", "/gate/new", "/gate/rounds"} <= set(pages)


def test_a_page_the_worker_fetches_ahead_leaves_the_saved_message_for_the_next_page(client, f):
    """The worker's warm fetch of today's pages runs beside the person's own clicks: it must not take
    the "Saved." a form just flashed (seen: the swap accepted, its message gone)."""
    login(client, f.user("director", locale="en"))
    with client.session_transaction() as sess:
        sess["_flashes"] = [("success", "Saved for you.")]
    ahead = client.get("/", headers={"X-SafetyOps-Warm": "1"}).get_data(as_text=True)
    assert "Saved for you." not in ahead  # nor kept in the phone's offline copy
    assert "Saved for you." in client.get("/").get_data(as_text=True)
    assert "Saved for you." not in client.get("/").get_data(as_text=True)  # shown once


def test_pages_list_needs_a_signed_in_person(client):
    r = client.get("/offline/pages.json", headers=JSON)
    assert r.status_code in (302, 401)


# --- a check started and ticked offline --------------------------------------------------------------


def test_walk_screen_opens_before_the_run_exists_and_its_first_answer_starts_the_run_once(client, f, walk, clock):
    login(client, f.user("teacher"))
    url = f"/inspections/checks/{walk.id}/walk"
    html = client.get(url).get_data(as_text=True)
    assert f'data-answer-url="/inspections/checks/{walk.id}/answer"' in html
    assert f'action="/inspections/checks/{walk.id}/finish"' in html
    assert db.session.scalar(sa.select(sa.func.count(Run.id))) == 0  # opening it wrote nothing

    made = MONDAY_0800 - dt.timedelta(minutes=20)
    clock.shift(dt.timedelta(minutes=40))  # the connection came back 40 minutes later
    token = client.csrf_token(url)
    version_items = [i for i in re.findall(r'name="item_id" value="([^"]+)"', html)]
    key = str(uuid.uuid4())
    for _ in range(2):  # the outbox resent it: the same id
        r = client.post(f"/inspections/checks/{walk.id}/answer", headers=JSON, data={
            "csrf_token": token, "item_id": version_items[0], "result": "pass", "client_uuid": key,
            "client_made_at": _iso(made)})
        assert r.status_code == 200 and r.json["ok"]
    run = db.session.scalar(sa.select(Run))
    assert run.started_dt == made
    answer = db.session.scalar(sa.select(Answer))
    assert answer.answered_dt == made and answer.client_uuid == key
    assert db.session.scalar(sa.select(sa.func.count(Answer.id))) == 1
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "run.tick")).all()
    assert events and all(e.created_dt > made for e in events)  # the server's time of arrival, beside the phone's
    # the walk page now leads to the run
    r = client.get(url)
    assert r.status_code == 302 and r.location.endswith(f"/inspections/runs/{run.id}")


def test_two_phones_ticking_one_item_offline_the_later_tick_wins_whatever_order(client, f, walk, clock):
    login(client, f.user("teacher"))
    token = client.csrf_token("/inspections/checks")
    item = re.findall(r'name="item_id" value="([^"]+)"',
                      client.get(f"/inspections/checks/{walk.id}/walk").get_data(as_text=True))[1]
    early, late = MONDAY_0800 - dt.timedelta(minutes=30), MONDAY_0800 - dt.timedelta(minutes=10)
    url = f"/inspections/checks/{walk.id}/answer"
    r = client.post(url, headers=JSON, data={"csrf_token": token, "item_id": item, "result": "fail", "note": "темно",
                                             "client_uuid": str(uuid.uuid4()), "client_made_at": _iso(late)})
    assert r.status_code == 200
    r = client.post(url, headers=JSON, data={"csrf_token": token, "item_id": item, "result": "pass",
                                             "client_uuid": str(uuid.uuid4()), "client_made_at": _iso(early)})
    assert r.status_code == 200 and r.json["result"] == "fail"  # the older tick does not overwrite
    answer = db.session.scalar(sa.select(Answer))
    assert answer.result.value == "fail" and answer.answered_dt == late
    details = [e.detail for e in db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "run.tick"))]
    assert any("result=fail" in d for d in details) and any("result=pass" in d and "older" in d for d in details)


def test_finish_sent_from_the_outbox_refused_keeps_the_servers_message(client, f, walk):
    login(client, f.user("teacher"))
    token = client.csrf_token("/inspections/checks")
    r = client.post(f"/inspections/checks/{walk.id}/finish", headers=JSON, data={"csrf_token": token},
                    follow_redirects=True)
    # nothing answered yet: refused, and the page says why (the outbox shows it to the teacher)
    assert 'class="flash flash-error"' in r.get_data(as_text=True)


# --- the gate and the drill ---------------------------------------------------------------------------


def test_gate_entry_made_offline_keeps_the_phones_time_and_is_stored_once(client, f):
    with time_machine.travel(dt.datetime(2026, 11, 20, 4, 0, tzinfo=dt.UTC), tick=False):
        guard = f.user("guard")
        login(client, guard)
        token = client.csrf_token("/gate/new")
        made = dt.datetime(2026, 11, 20, 3, 35, tzinfo=dt.UTC)
        data = {"csrf_token": token, "client_id": "a" * 32, "kind": "visitor", "name": "Асанов Бакыт",
                "doc_type": "none", "purpose": "", "host_id": "0", "client_made_at": _iso(made)}
        for _ in range(2):
            r = client.post("/gate/new", data=data, headers=JSON)
            assert r.status_code == 302
        rows = db.session.scalars(sa.select(GateEntry)).all()
        assert len(rows) == 1
        assert rows[0].in_dt == made and rows[0].created_dt > made  # both times kept
        # signed out offline ten minutes later, sent later still
        out = made + dt.timedelta(minutes=10)
        r = client.post(f"/gate/entries/{rows[0].id}/out", data={"csrf_token": token, "next": "index",
                                                                 "client_made_at": _iso(out)})
        assert r.status_code == 302
        db.session.refresh(rows[0])
        assert rows[0].out_dt == out


def test_drill_class_reported_twice_keeps_the_report_made_last(client, f):
    teacher = f.user("teacher")
    klass = f.school_class(name="5А", students=25, homeroom=teacher)
    drill = f.drill()
    db.session.commit()
    login(client, teacher)
    url = f"/drills/{drill.id}/classes/{klass.id}"
    now = dt.datetime.now(dt.UTC)
    late, early = now - dt.timedelta(minutes=1), now - dt.timedelta(minutes=3)
    r = client.submit(url, {"on_register": 25, "present": 24, "evacuated": 24, "injured": 0,
                            "client_made_at": _iso(late)})
    assert r.status_code == 302
    r = client.submit(url, {"on_register": 25, "present": 25, "evacuated": 25, "injured": 0,
                            "client_made_at": _iso(early)})  # made earlier on another phone, arrived later
    assert r.status_code == 302
    report = db.session.scalar(sa.select(ClassReport))
    assert report.present == 24 and report.updated_dt == late


def test_a_class_report_for_a_drill_that_ended_is_refused_with_a_message(client, f):
    teacher = f.user("teacher")
    klass = f.school_class(name="5А", students=25, homeroom=teacher)
    drill = f.drill(ended=True)
    db.session.commit()
    login(client, teacher)
    url = f"/drills/{drill.id}/classes/{klass.id}"
    r = client.submit(url, {"on_register": 25, "present": 24, "evacuated": 24, "injured": 0})
    assert r.status_code == 409
    assert 'class="flash flash-error"' in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(ClassReport.id))) == 0
