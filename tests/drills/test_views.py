"""The drill flow through the web: start, report from phones, the board, all clear, after-action."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
import time_machine

from safetyops.drills import services, training
from safetyops.drills.models import ClassReport, Drill, DrillFinding, TrainingRecord
from safetyops.extensions import db
from tests.conftest import login


def _start(client, **data):
    return client.submit("/drills/start", {"kind": "fire", "plan_id": "0", "is_announced": "y", "send_sms": "no",
                                           **data})


def test_director_starts_a_drill_and_a_second_start_is_refused(client, f, as_role):
    as_role("director")
    r = _start(client)
    drill = db.session.scalar(sa.select(Drill))
    assert r.status_code == 302 and r.location.endswith(f"/drills/{drill.id}/board")
    html = client.get(r.location).get_data(as_text=True)
    assert 'id="drill-clock"' in html and "drills.js" in html and "Refresh" in html
    r = _start(client)
    assert r.status_code == 200
    assert "already running" in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Drill)) == 1


def test_teacher_reports_own_class_second_report_updates(client, f):
    teacher = f.user("teacher")
    klass = f.school_class(name="5А", students=25, homeroom=teacher)
    drill = f.drill()
    login(client, teacher)
    page = client.get("/drills/my").get_data(as_text=True)
    assert "5А" in page and f"/drills/{drill.id}/classes/{klass.id}" in page
    url = f"/drills/{drill.id}/classes/{klass.id}"
    form = client.get(url).get_data(as_text=True)
    assert 'value="25"' in form  # prefilled from the class register
    r = client.submit(url, {"on_register": 25, "present": 24, "evacuated": 24, "injured": 0})
    assert r.status_code == 302
    r = client.submit(url, {"on_register": 25, "present": 23, "evacuated": 23, "injured": 1})
    assert r.status_code == 302
    rows = db.session.scalars(sa.select(ClassReport)).all()
    assert len(rows) == 1 and rows[0].present == 23 and rows[0].injured == 1
    home = client.get("/").get_data(as_text=True)
    assert "5А" in home


def test_present_above_register_is_refused_and_typed_values_kept(client, f):
    teacher = f.user("teacher")
    klass = f.school_class(students=25, homeroom=teacher)
    drill = f.drill()
    login(client, teacher)
    r = client.submit(f"/drills/{drill.id}/classes/{klass.id}", {"on_register": 25, "present": 27, "evacuated": 27,
                                                                  "injured": 0})
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Present cannot be more than on the register" in html
    assert 'value="27"' in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ClassReport)) == 0


def test_missing_names_required_when_someone_is_missing(client, f):
    teacher = f.user("teacher")
    klass = f.school_class(students=25, homeroom=teacher)
    drill = f.drill()
    login(client, teacher)
    url = f"/drills/{drill.id}/classes/{klass.id}"
    r = client.submit(url, {"on_register": 25, "present": 25, "evacuated": 24, "injured": 0})
    assert "1 missing: type their names" in r.get_data(as_text=True)
    r = client.submit(url, {"on_register": 25, "present": 25, "evacuated": 24, "injured": 0,
                            "missing_names": "Бакыт"})
    assert r.status_code == 302
    board_html = None
    director = f.user("director")
    login(client, director)
    board_html = client.get(f"/drills/{drill.id}/board").get_data(as_text=True)
    assert "Бакыт" in board_html


def test_teacher_cannot_report_another_class_nor_another_schools_drill(client, f):
    teacher = f.user("teacher")
    f.school_class(homeroom=teacher)
    other_class = f.school_class(homeroom=f.user("teacher"))
    drill = f.drill()
    login(client, teacher)
    assert client.get(f"/drills/{drill.id}/classes/{other_class.id}").status_code == 403
    foreign = f.drill(school=f.school_b)
    foreign_class = f.school_class(school=f.school_b)
    assert client.get(f"/drills/{foreign.id}/classes/{foreign_class.id}").status_code == 404
    r = client.post(f"/drills/{foreign.id}/classes/{foreign_class.id}",
                    data={"csrf_token": client.csrf_token("/drills/my"), "on_register": 1, "present": 1,
                          "evacuated": 1, "injured": 0})
    assert r.status_code == 404


def test_teacher_cannot_see_the_board_unless_duty_admin_today(client, f):
    teacher = f.user("teacher")
    drill = f.drill()
    login(client, teacher)
    assert client.get(f"/drills/{drill.id}/board").status_code == 403
    post = f.post(kind="duty_admin", roles="teacher")
    f.shift(post=post, user=teacher)
    assert client.get(f"/drills/{drill.id}/board").status_code == 200
    assert client.get("/drills/start").status_code == 200


def test_board_json_polling_with_etag(client, f, as_role):
    as_role("director")
    klass = f.school_class(name="7Б", students=20)
    drill = f.drill()
    r = client.get(f"/drills/{drill.id}/board.json")
    data = r.get_json()
    assert r.status_code == 200 and data["live"] and data["reported"] == 0 and data["expected"] == 1
    assert "7Б" in data["html"] and r.headers["Cache-Control"] == "no-store"
    etag = r.headers["ETag"]
    assert client.get(f"/drills/{drill.id}/board.json", headers={"If-None-Match": etag}).status_code == 304
    services.report_class(None, f.school_a, drill, klass, on_register=20, present=20, evacuated=20)
    r = client.get(f"/drills/{drill.id}/board.json", headers={"If-None-Match": etag})
    assert r.status_code == 200 and r.get_json()["reported"] == 1


def test_board_shows_people_on_site_from_the_gate(client, f, as_role):
    as_role("director")
    drill = f.drill()
    f.gate_entry(name="Сатыбалдиева Айнура", kind="visitor")
    html = client.get(f"/drills/{drill.id}/board").get_data(as_text=True)
    assert "Сатыбалдиева Айнура" in html


def test_all_clear_without_reports_asks_then_stops_the_clock(client, f, as_role):
    as_role("director")
    drill = f.drill()
    r = client.submit(f"/drills/{drill.id}/all-clear", page=f"/drills/{drill.id}/board")
    assert r.status_code == 409
    html = r.get_data(as_text=True)
    assert "No class has reported yet" in html and 'name="confirmed" value="1"' in html
    assert db.session.get(Drill, drill.id).ended_dt is None
    r = client.submit(f"/drills/{drill.id}/all-clear", {"confirmed": "1"}, page=f"/drills/{drill.id}/board")
    assert r.status_code == 302 and r.location.endswith(f"/drills/{drill.id}")
    assert db.session.get(Drill, drill.id).ended_dt is not None


def test_full_flow_after_action_shows_the_time(client, f):
    director = f.user("director")
    t0 = dt.datetime(2026, 10, 14, 4, 0, tzinfo=dt.UTC)
    with time_machine.travel(t0 - dt.timedelta(days=1), tick=False):
        teacher = f.user("teacher")
        klass = f.school_class(name="9В", students=22, homeroom=teacher)
    with time_machine.travel(t0, tick=False):
        login(client, director)
        _start(client)
        drill = db.session.scalar(sa.select(Drill))
    with time_machine.travel(t0 + dt.timedelta(seconds=150), tick=False):
        login(client, teacher)
        client.submit(f"/drills/{drill.id}/classes/{klass.id}", {"on_register": 22, "present": 21, "evacuated": 21,
                                                                  "injured": 0})
    with time_machine.travel(t0 + dt.timedelta(seconds=200), tick=False):
        login(client, director)
        client.submit(f"/drills/{drill.id}/all-clear", page=f"/drills/{drill.id}/board")
        html = client.get(f"/drills/{drill.id}").get_data(as_text=True)
        pdf = client.get(f"/drills/{drill.id}/report.pdf")
        index = client.get("/drills").get_data(as_text=True)
    assert 'id="evacuation-time">2:30<' in html
    assert "3:00" in html  # the fire target
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and pdf.mimetype == "application/pdf"
    assert "<svg" in index and "2:30" in index
    assert "<a href" not in index.split("<svg", 1)[1].split("</svg>", 1)[0]  # bars of 25 px are not tap targets


def test_pdf_font_missing_is_a_clear_503(client, f, as_role, app, monkeypatch):
    as_role("director")
    drill = f.drill(ended=True)
    monkeypatch.setitem(app.config, "PDF_FONT", "/nonexistent/DejaVuSans.ttf")
    r = client.get(f"/drills/{drill.id}/report.pdf")
    assert r.status_code == 503 and "/nonexistent/DejaVuSans.ttf" in r.get_data(as_text=True)


def test_real_emergency_needs_confirmation_and_texts_all_staff(client, f, as_role):
    from safetyops.notifications.models import OutboundMessage

    director = as_role("director")
    director.phone = "+996555000001"
    f.user("teacher", phone="+996555000002")
    f.user("guard", phone="+996555000003")
    f.user("teacher", f.school_b, phone="+77010000004")
    r = client.submit("/drills/emergency", {"kind": "earthquake"})
    assert r.status_code == 200 and "Tick the box to confirm" in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(Drill)) is None
    r = client.submit("/drills/emergency", {"kind": "earthquake", "confirm": "y"})
    assert r.status_code == 302
    drill = db.session.scalar(sa.select(Drill))
    assert drill.is_real
    rows = db.session.scalars(sa.select(OutboundMessage).where(OutboundMessage.kind == "drills.alarm.earthquake")).all()
    assert len(rows) == 3 and all(m.is_urgent for m in rows) and {m.school_id for m in rows} == {f.school_a.id}
    assert drill.sms_queued == 3
    assert "NOT A DRILL" in client.get(r.location).get_data(as_text=True)


def test_drill_sms_is_optional(client, f, as_role):
    from safetyops.notifications.models import OutboundMessage

    as_role("director")
    f.user("teacher", phone="+996555000012")
    _start(client)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboundMessage)) == 0
    drill = db.session.scalar(sa.select(Drill))
    services.all_clear(None, f.school_a, drill, confirmed=True)
    _start(client, send_sms="yes")
    rows = db.session.scalars(sa.select(OutboundMessage)).all()
    assert len(rows) == 2 and not any(m.is_urgent for m in rows)


def test_finding_opens_a_corrective_action(client, f, as_role):
    from safetyops.inspections.models import CorrectiveAction

    as_role("director")
    drill = f.drill(ended=True)
    r = client.submit(f"/drills/{drill.id}/findings", {"text": "East stair exit blocked by desks",
                                                        "severity": "major", "raise_action": "y"},
                      page=f"/drills/{drill.id}")
    assert r.status_code == 302
    finding = db.session.scalar(sa.select(DrillFinding))
    action = db.session.get(CorrectiveAction, finding.action_id)
    assert action is not None and action.title.startswith("East stair") and action.school_id == f.school_a.id
    r = client.submit(f"/drills/{drill.id}/findings", {"text": "", "severity": "minor"}, page=f"/drills/{drill.id}")
    assert r.status_code == 422


def test_training_page_and_expiry_card(client, f, as_role):
    director = as_role("director")
    teacher = f.user("teacher", full_name="Мамытова Жылдыз")
    today = dt.date.today()
    db.session.add(TrainingRecord(school_id=f.school_a.id, user_id=teacher.id, course="first_aid",
                                  taken_on=today - dt.timedelta(days=700), expires_on=today + dt.timedelta(days=10),
                                  certificate_no="FA-77"))
    db.session.add(TrainingRecord(school_id=f.school_a.id, user_id=director.id, course="fire_safety",
                                  taken_on=today - dt.timedelta(days=300), expires_on=today + dt.timedelta(days=20)))
    db.session.flush()
    html = client.get("/training").get_data(as_text=True)
    assert "Мамытова Жылдыз" in html and "FA-77" in html and "50%" in html
    home = client.get("/").get_data(as_text=True)
    assert "Your safety training expires" in home and "Staff training expired or expiring" in home


@pytest.mark.parametrize("url,data,message", [
    ("/drills/classes/new", {"name": "", "grade": 5, "students": 20, "homeroom_id": 0, "assembly_point_id": 0},
     "This field is required"),
    ("/drills/classes/new", {"name": "5А", "grade": 5, "students": 99, "homeroom_id": 0, "assembly_point_id": 0},
     "Number must be between 0 and 60"),
    ("/drills/settings", {"target_fire": 0, "target_earthquake": 240, "target_lockdown": 300, "target_chemical": 300},
     "Number must be between 1 and 3600"),
])
def test_bad_input_is_a_message_not_a_500(client, f, as_role, url, data, message):
    as_role("director")
    r = client.submit(url, data)
    assert r.status_code == 200 and message in r.get_data(as_text=True)


def test_classes_plan_points_and_cd_staff_pages(client, f, as_role):
    as_role("director")
    teacher = f.user("teacher", full_name="Ким Елена")
    assert client.submit("/drills/points/new", {"name": "Стадион", "is_active": "y"}).status_code == 302
    assert client.submit("/drills/classes/new", {"name": "11Б", "grade": 11, "students": 18,
                                                 "homeroom_id": teacher.id, "assembly_point_id": 0,
                                                 "is_active": "y"}).status_code == 302
    assert "11Б" in client.get("/drills/classes").get_data(as_text=True)
    assert client.submit("/drills/plan/new", {"kind": "earthquake", "target_date": "2026-12-10",
                                              "is_announced": "y"}).status_code == 302
    r = client.submit("/civil-defence/new", {"user_id": teacher.id, "function": "first_aid", "duties": "Аптечка",
                                             "order_number": "9-к", "order_date": "2026-09-01",
                                             "starts_on": "2026-09-01"})
    assert r.status_code == 302
    assert "Ким Елена" in client.get("/civil-defence").get_data(as_text=True)


def test_training_reminder_sweep_queues_once(f):
    from safetyops.drills import jobs
    from safetyops.notifications.models import OutboundMessage

    teacher = f.user("teacher", phone="+996555000021")
    db.session.add(TrainingRecord(school_id=f.school_a.id, user_id=teacher.id, course="civil_defence",
                                  taken_on=dt.date(2021, 11, 1), expires_on=dt.date(2026, 11, 1),
                                  certificate_no="ГО-12"))
    db.session.flush()
    now = dt.datetime(2026, 10, 14, 4, 0, tzinfo=dt.UTC)
    assert jobs.training_expiry(now) == 1
    assert jobs.training_expiry(now + dt.timedelta(hours=1)) == 0
    msg = db.session.scalar(sa.select(OutboundMessage).where(OutboundMessage.kind == "drills.training"))
    assert "ГО-12" in msg.body and "01.11.2026" in msg.body
    # too early: 40 days before expiry nothing is due
    assert training.training_reminders(dt.datetime(2026, 9, 21, 4, tzinfo=dt.UTC)) == 0  # a Monday
