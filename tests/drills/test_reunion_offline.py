"""Reunification with no signal (issue 15, the offline issue): the screens a person needs to find a child and record
a hand-over are among the pages the phone keeps while reunification is open (one page per class, guardians inline,
not one page per child), and a hand-over the phone's outbox sends again is stored once."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from safetyops.audit.models import AuditEvent
from safetyops.drills import reunion
from safetyops.drills.models import Handover
from safetyops.extensions import db
from safetyops.time import now_utc
from tests.conftest import login
from tests.drills.test_reunion import _class, _student

JSON = {"Accept": "application/json"}
#: What static/js/outbox.js sends with every record it replays.
OUTBOX = {"Accept": "application/json, text/html;q=0.9", "X-Requested-With": "fetch"}


def _pages(client, user) -> list[str]:
    login(client, user)
    return client.get("/offline/pages.json", headers=JSON).json["pages"]


def _count(drill=None) -> int:
    q = sa.select(sa.func.count()).select_from(Handover)
    if drill is not None:
        q = q.where(Handover.drill_id == drill.id)
    return db.session.scalar(q)


# --- the pages kept on the phone ----------------------------------------------------------------------------


def test_while_reunification_is_open_the_phone_keeps_the_screen_and_one_page_per_class(client, f):
    homeroom = f.user("teacher")
    a = _class(f, "5А", homeroom=homeroom)
    b = _class(f, "6Б")
    _class(f, "7В")  # nobody on its list yet: no page to keep
    for i in range(30):
        _student(f, a if i % 2 else b, name=f"Асанов Бакыт {i}")
    drill = f.drill(kind="earthquake", ended=True)
    screen = f"/drills/{drill.id}/reunion"
    page_a, page_b = f"{screen}/classes/{a.id}", f"{screen}/classes/{b.id}"

    # the guard and the leaders: the screen and every class with a list (30 children: 3 pages, not 30)
    for role in ("guard", "director", "safety_officer"):
        mine = [p for p in _pages(client, f.user(role)) if p.startswith(screen)]
        assert mine == [screen, page_a, page_b], role
    # a homeroom teacher: the screen and their own class; a teacher without a class and the canteen: none
    assert [p for p in _pages(client, homeroom) if p.startswith(screen)] == [screen, page_a]
    assert "/drills/my" in _pages(client, homeroom)
    assert not any(p.startswith(screen) for p in _pages(client, f.user("teacher")))
    assert not any(p.startswith(screen) for p in _pages(client, f.user("canteen")))

    # reunification closed (24 hours after the all clear): nothing is kept for it any more
    drill.ended_dt = now_utc() - dt.timedelta(hours=reunion.REUNION_HOURS, minutes=1)
    drill.started_dt = drill.ended_dt - dt.timedelta(minutes=4)
    db.session.flush()
    assert not any("/reunion" in p for p in _pages(client, f.user("guard")))


def test_no_reunification_pages_during_a_drill_nor_after_a_lockdown_drill(client, f):
    _student(f, _class(f, "5А"))
    f.drill()  # live
    f.drill(kind="lockdown", ended=True)
    assert not any("/reunion" in p for p in _pages(client, f.user("guard")))


# --- the class page ----------------------------------------------------------------------------------------


def test_the_class_page_lists_each_child_with_the_guardians_and_a_hand_over_form(client, f):
    guard = f.user("guard")
    klass = _class(f, "5А")
    nurbek = _student(f, klass, guardians=(("Жумабаева Айгүл", "+996555100201", "ky"),
                                           ("Жумабаев Талант", "+996555100202", "ky")))
    maria = _student(f, klass, name="Иванова Мария", guardians=())
    ainura = _student(f, klass, name="Сапарова Айнура", guardians=())
    other = _student(f, _class(f, "6Б"), name="Петров Даниил", guardians=())
    drill = f.drill(kind="earthquake", ended=True)
    reunion.hand_over(None, f.school_a, drill, ainura, client_id="before", adult_name="Сосед", doc_last4="1234")
    login(client, guard)
    r = client.get(f"/drills/{drill.id}/reunion/classes/{klass.id}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Жумабаев Нурбек" in html and "Иванова Мария" in html and "Петров Даниил" not in html
    # the guardians inline (names and relation, never their phones), one form per child still with the school
    assert "Жумабаева Айгүл" in html and "Жумабаев Талант" in html and "+996555100201" not in html
    action = f'action="/drills/{drill.id}/reunion/{nurbek.id}?from=class"'
    assert action in html and f'action="/drills/{drill.id}/reunion/{maria.id}?from=class"' in html
    assert f'action="/drills/{drill.id}/reunion/{ainura.id}?from=class"' not in html  # handed over already
    assert "handed over to Сосед at" in html
    assert html.count("data-outbox=") == 2 and html.count('name="client_id"') == 2
    assert f'data-key="{nurbek.name_key}"' in html  # the phone's own search when offline
    assert client.get(f"/drills/{drill.id}/reunion/classes/{other.class_id}").status_code == 200
    # a page of another school's class or drill is a 404
    foreign = _class(f, "9Я", school=f.school_b)
    assert client.get(f"/drills/{drill.id}/reunion/classes/{foreign.id}").status_code == 404
    foreign_drill = f.drill(school=f.school_b, ended=True)
    assert client.get(f"/drills/{foreign_drill.id}/reunion/classes/{klass.id}").status_code == 404
    # a read of personal data
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "reunion.read_class")) >= 1


def test_the_class_page_hands_a_child_over_without_javascript_and_comes_back(client, f):
    teacher = f.user("teacher")
    klass = _class(f, "5А", homeroom=teacher)
    student = _student(f, klass)
    drill = f.drill(ended=True)
    login(client, teacher)
    page = f"/drills/{drill.id}/reunion/classes/{klass.id}"
    r = client.submit(f"/drills/{drill.id}/reunion/{student.id}?from=class",
                      {"client_id": "plain-1", "guardian_id": str(student.guardians[0].id)}, page=page)
    assert r.status_code == 302 and r.headers["Location"].endswith(page)
    assert _count(drill) == 1
    html = client.get(page).get_data(as_text=True)
    assert "handed over to Жумабаева Айгүл at" in html and "data-outbox=" not in html
    # "My class" leads a homeroom teacher to their class's page while reunification is open
    assert page in client.get("/drills/my").get_data(as_text=True)


def test_the_class_page_during_the_drill_and_after_reunification_closed_has_no_forms(client, f, as_role):
    as_role("guard")
    klass = _class(f, "5А")
    _student(f, klass)
    live = f.drill()
    html = client.get(f"/drills/{live.id}/reunion/classes/{klass.id}").get_data(as_text=True)
    assert "Жумабаев Нурбек" in html and "data-outbox=" not in html
    old = f.drill(ended=True, started_dt=now_utc() - dt.timedelta(days=3))
    html = client.get(f"/drills/{old.id}/reunion/classes/{klass.id}").get_data(as_text=True)
    assert "Reunification is closed." in html and "data-outbox=" not in html


def test_the_locked_gate_phone_opens_the_class_page(client, as_role, f):
    as_role("guard")
    klass = _class(f, "5А")
    _student(f, klass)
    drill = f.drill(ended=True)
    client.submit("/gate/lock", {}, page="/gate/")
    assert client.get(f"/drills/{drill.id}/reunion/classes/{klass.id}").status_code == 200


def test_the_class_page_does_not_grow_with_the_children(client, f, as_role):
    """As many SQL statements for 3 children as for 30 (no N+1: tests/test_statement_counts.py)."""
    from tests.test_statement_counts import count_statements

    as_role("guard")
    klass = _class(f, "5А")
    drill = f.drill(ended=True)
    url = f"/drills/{drill.id}/reunion/classes/{klass.id}"
    counts = []
    for n0, n1 in ((0, 3), (3, 30)):
        for i in range(n0, n1):
            s = _student(f, klass, name=f"Асанов Бакыт {i}", guardians=((f"Асанова {i}", f"+99655520{i:04d}", "ky"),))
            if i % 2:
                reunion.hand_over(None, f.school_a, drill, s, client_id=f"c{i}", guardian_id=s.guardians[0].id)
        client.get(url).close()
        n, _sql, status = count_statements(client, url)
        assert status == 200
        counts.append(n)
    assert counts[0] == counts[1]


# --- the outbox sends it again ------------------------------------------------------------------------------


def test_the_outbox_replaying_the_same_client_id_stores_one_row_and_is_answered_as_success(client, f):
    guard = f.user("guard")
    student = _student(f, _class(f, "5А"))
    drill = f.drill(kind="earthquake", ended=True)
    login(client, guard)
    url = f"/drills/{drill.id}/reunion/{student.id}?from=class"
    data = {"client_id": "7f3c0a9e2b5d4c1e8a6f0b3d2c1e4f5a", "guardian_id": str(student.guardians[0].id)}
    first = client.submit(url, data, headers=OUTBOX)
    assert first.status_code == 200 and first.json == {"ok": True, "stored": True, "student": student.id}
    # the answer was lost on the way: the phone sends the same record again, twice
    for _ in range(2):
        again = client.submit(url, data, headers=OUTBOX)
        assert again.status_code == 200 and again.json == {"ok": True, "stored": False, "student": student.id}
    plain = client.submit(url, data)  # and as a plain form (no script, or the worker's own replay)
    assert plain.status_code == 302
    assert _count(drill) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "reunion.handover")) == 1


def test_a_second_different_hand_over_of_the_same_child_is_refused_with_a_clear_message(client, f):
    student = _student(f, _class(f, "5А"))
    drill = f.drill(kind="earthquake", ended=True)
    login(client, f.user("teacher"))
    url = f"/drills/{drill.id}/reunion/{student.id}?from=class"
    client.submit(url, {"client_id": "phone-a", "guardian_id": str(student.guardians[0].id)}, headers=OUTBOX)
    # another phone, offline at the same time, handed the same child to a neighbour
    r = client.submit(url, {"client_id": "phone-b", "guardian_id": "", "adult_name": "Сосед Бакыт",
                            "doc_last4": "4521"}, headers=OUTBOX)
    assert r.status_code == 409 and r.json["ok"] is False
    assert r.json["message"].startswith("Already handed over: Жумабаева Айгүл took this child at ")
    plain = client.submit(url, {"client_id": "phone-c", "guardian_id": "", "adult_name": "Сосед Бакыт",
                                "doc_last4": "4521"})
    assert plain.status_code == 409 and "Already handed over: Жумабаева Айгүл" in plain.get_data(as_text=True)
    assert _count(drill) == 1
    # a bad record (no adult named) is refused with its own message, nothing stored
    other = _student(f, _class(f, "6Б"), name="Иванова Мария", guardians=())
    bad = client.submit(f"/drills/{drill.id}/reunion/{other.id}", {"client_id": "phone-d", "guardian_id": ""},
                        headers=OUTBOX)
    assert bad.status_code == 422 and bad.json["ok"] is False and "adult" in bad.json["message"]
    assert _count(drill) == 1


def test_a_hand_over_made_offline_keeps_the_phones_time(client, f):
    student = _student(f, _class(f, "5А"))
    drill = f.drill(kind="earthquake", ended=True)
    login(client, f.user("guard"))
    made = now_utc().replace(microsecond=0) - dt.timedelta(minutes=3)
    r = client.submit(f"/drills/{drill.id}/reunion/{student.id}",
                      {"client_id": "offline-1", "guardian_id": str(student.guardians[0].id),
                       "client_made_at": made.isoformat().replace("+00:00", "Z")}, headers=OUTBOX)
    assert r.status_code == 200
    row = db.session.scalar(sa.select(Handover))
    handed = row.handed_dt if row.handed_dt.tzinfo else row.handed_dt.replace(tzinfo=dt.UTC)
    assert handed == made
