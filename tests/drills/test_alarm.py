"""The alarm button (issue 15): anyone raises it in two taps and a confirmation, a second raise joins the
first, every member of staff gets one SMS, every page shows the banner, a false alarm is called off."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa
import time_machine

from safetyops.audit.models import AuditEvent
from safetyops.drills import contacts, services
from safetyops.drills.models import ClassReport, Drill, DrillAlarm, EmergencyContact
from safetyops.extensions import db
from safetyops.notifications.models import OutboundMessage
from safetyops.time import now_utc
from tests.conftest import login

T0 = dt.datetime(2026, 11, 20, 4, 0, tzinfo=dt.UTC)  # 10:00 in Bishkek, a school day


def _sms(kind=None):
    q = sa.select(OutboundMessage)
    if kind:
        q = q.where(OutboundMessage.kind == kind)
    return db.session.scalars(q).all()


def _raise(client, kind="earthquake", **data):
    return client.submit(f"/alarm/raise?kind={kind}", {"zone_id": "", "note": "", **data})


def test_teacher_raises_in_two_taps_every_staff_member_gets_one_sms(client, f):
    teacher = f.user("teacher", phone="+996555000001")
    others = [f.user("guard", phone="+996555000002"), f.user("canteen", phone="+996555000003", locale="ky"),
              f.user("director", phone="+996555000004")]
    f.user("teacher", f.school_b, phone="+77010000005")  # another school hears nothing
    zone = f.zone(name="Gym")
    login(client, teacher)
    home = client.get("/").get_data(as_text=True)
    assert 'id="alarm-button"' in home and 'href="/alarm"' in home  # tap 1
    page = client.get("/alarm").get_data(as_text=True)
    assert 'href="/alarm/raise?kind=earthquake"' in page  # tap 2
    assert 'href="tel:101"' in page and 'href="tel:112"' in page
    form = client.get("/alarm/raise?kind=earthquake").get_data(as_text=True)
    assert 'id="alarm-confirm"' in form and "Gym" in form
    r = _raise(client, zone_id=str(zone.id), note="cracks in the stairwell")  # the confirmation
    assert r.status_code == 302
    drill = db.session.scalar(sa.select(Drill))
    assert drill.is_real and drill.kind == "earthquake" and drill.zone_id == zone.id
    assert drill.started_by_id == teacher.id
    assert drill.alarm_note == "cracks in the stairwell"
    rows = _sms("drills.alarm.earthquake")
    assert sorted(m.user_id for m in rows) == sorted(u.id for u in [teacher, *others])
    assert all(m.is_urgent and m.school_id == f.school_a.id for m in rows)
    assert all("Gym" in m.body for m in rows)
    english = [m.body for m in rows if m.user_id != others[1].id]
    kyrgyz = next(m.body for m in rows if m.user_id == others[1].id)
    assert all("EARTHQUAKE" in body.upper() for body in english)
    assert kyrgyz not in english and "EARTHQUAKE" not in kyrgyz.upper()  # in the reader's language
    assert drill.sms_queued == len(rows)
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "emergency.raise")) is not None


def test_a_second_raise_joins_the_first_no_second_emergency_no_second_sms(client, f):
    first, second = f.user("teacher", phone="+996555000001"), f.user("nurse", phone="+996555000002")
    login(client, first)
    _raise(client, "fire")
    sent = len(_sms())
    login(client, second)
    page = client.get("/alarm/raise?kind=medical").get_data(as_text=True)
    assert "already under way" in page
    r = _raise(client, "medical", note="a child fainted")
    assert r.status_code == 302
    follow = client.get("/alarm").get_data(as_text=True)
    assert "added to it" in follow and "Raised by 2 people" in follow
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Drill)) == 1
    alarms = db.session.scalars(sa.select(DrillAlarm).order_by(DrillAlarm.id)).all()
    assert [a.is_join for a in alarms] == [False, True] and alarms[1].kind == "medical"
    assert len(_sms()) == sent
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "emergency.join")) is not None


def test_every_role_on_site_may_raise_the_inspector_may_not(client, f):
    for role in ("guard", "canteen", "nurse", "safety_officer", "deputy", "admin"):
        login(client, f.user(role))
        assert client.get("/alarm").status_code == 200, role
    login(client, f.user("inspector"))
    assert client.get("/alarm").status_code == 403


def test_banner_on_every_page_and_the_status_endpoint(client, f):
    guard = f.user("guard")
    login(client, guard)
    assert client.get("/alarm/status.json").get_json()["live"] is False
    home = client.get("/").get_data(as_text=True)
    assert 'id="alarm-banner"' in home and 'role="alert"' in home
    services.raise_alarm(f.user("teacher"), f.school_a, kind="lockdown", zone_id=f.zone(name="Block B").id)
    state = client.get("/alarm/status.json").get_json()
    assert state["live"] and state["kind"] == "lockdown" and state["zone"] == "Block B"
    assert state["url"] == "/alarm"  # a guard: the alert screen
    page = client.get("/").get_data(as_text=True)
    banner = page[page.index('id="alarm-banner"') - 40:page.index('id="alarm-banner"') + 300]
    assert "hidden" not in banner and "NOT A DRILL" in banner and "Block B" in banner  # no JavaScript needed
    alert = client.get("/alarm").get_data(as_text=True)
    assert "Lock the doors" in alert and 'href="tel:102"' in alert
    # another school's staff see nothing
    login(client, f.user("guard", f.school_b))
    assert client.get("/alarm/status.json").get_json()["live"] is False


def test_the_board_opens_for_the_director_and_shows_the_numbers(client, f):
    director = f.user("director")
    db.session.add(EmergencyContact(school_id=f.school_a.id, label="Kalkan security", number="+996 312 000000"))
    drill, _joined = services.raise_alarm(f.user("teacher"), f.school_a, kind="fire")
    login(client, director)
    assert client.get("/alarm/status.json").get_json()["url"] == f"/drills/{drill.id}/board"
    board = client.get(f"/drills/{drill.id}/board").get_data(as_text=True)
    assert 'href="tel:101"' in board and 'href="tel:+996312000000"' in board and "Kalkan security" in board


def test_a_real_alarm_during_a_drill_stops_the_drill(f):
    drill = f.drill()
    real, joined = services.raise_alarm(f.user("teacher"), f.school_a, kind="fire")
    assert not joined and real.id != drill.id and real.is_real
    assert drill.ended_dt is not None


def test_zone_of_another_school_is_refused(client, f):
    login(client, f.user("teacher"))
    r = _raise(client, zone_id=str(f.zone(f.school_b).id))
    assert r.status_code == 200 and db.session.scalar(sa.select(Drill)) is None


def test_unknown_kind_is_404(client, f):
    login(client, f.user("teacher"))
    assert client.get("/alarm/raise?kind=chemical").status_code == 404
    assert client.get("/alarm/raise?kind=volcano").status_code == 404
    assert client.get("/alarm/raise").status_code == 404


def test_the_raiser_calls_off_a_false_alarm_within_minutes_with_a_reason(client, f):
    teacher = f.user("teacher", phone="+996555000001")
    f.user("guard", phone="+996555000002")
    with time_machine.travel(T0, tick=False):
        login(client, teacher)
        _raise(client, "fire")
        drill = db.session.scalar(sa.select(Drill))
        page = client.get("/alarm").get_data(as_text=True)
        assert f"/drills/{drill.id}/cancel" in page
        r = client.submit(f"/drills/{drill.id}/cancel", {"reason": ""})
        assert r.status_code == 422 and drill.is_live
        r = client.submit(f"/drills/{drill.id}/cancel", {"reason": "burnt toast in the canteen"})
        assert r.status_code == 302
    assert drill.cancelled_dt == T0 and drill.ended_dt == T0 and drill.cancel_reason == "burnt toast in the canteen"
    assert len(_sms("drills.alarm.cancelled")) == 2
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "emergency.cancel"))
    assert event is not None and "burnt toast" in event.detail


def test_too_late_for_the_raiser_and_never_for_another_teacher_the_director_may(client, f):
    teacher, other, director = f.user("teacher"), f.user("teacher"), f.user("director")
    with time_machine.travel(T0, tick=False):
        drill, _ = services.raise_alarm(teacher, f.school_a, kind="other")
    with time_machine.travel(T0 + dt.timedelta(minutes=services.CANCEL_MINUTES + 1), tick=False):
        for person in (teacher, other):
            login(client, person)
            assert f"/drills/{drill.id}/cancel" not in client.get("/alarm").get_data(as_text=True)
            r = client.submit(f"/drills/{drill.id}/cancel", {"reason": "mistake"})
            assert r.status_code == 422 and drill.is_live
        login(client, director)
        r = client.submit(f"/drills/{drill.id}/cancel", {"reason": "checked: nothing there"})
        assert r.status_code == 302 and drill.cancelled_by_id == director.id


def test_another_schools_emergency_is_404(client, f):
    drill, _ = services.raise_alarm(None, f.school_b, kind="fire")
    login(client, f.user("director"))
    assert client.submit(f"/drills/{drill.id}/cancel", {"reason": "x"}).status_code == 404


def test_the_school_edits_its_own_numbers(client, f):
    login(client, f.user("director"))
    r = client.submit("/drills/numbers", {"lines": "Kalkan security: +996 312 000000\nDistrict office: 0312 66-00-00"})
    assert r.status_code == 302
    rows = db.session.scalars(sa.select(EmergencyContact).order_by(EmergencyContact.position)).all()
    assert [(c.label, c.number) for c in rows] == [("Kalkan security", "+996 312 000000"),
                                                  ("District office", "0312 66-00-00")]
    r = client.submit("/drills/numbers", {"lines": "no number here"})
    assert r.status_code == 200 and "Line 1" in r.get_data(as_text=True)
    page = client.get("/alarm").get_data(as_text=True)
    assert 'href="tel:+996312000000"' in page and 'href="tel:031266-00-00"' in page


def test_police_is_named_per_country(f):
    from safetyops.drills.models import EMERGENCY_NUMBERS

    labels = dict(EMERGENCY_NUMBERS)["102"]
    assert labels["KG"]._args[0] == "Militsiya" and labels["KZ"]._args[0] == "Police"  # ky/ru: милиция / полиция
    assert [n for n, _label in contacts.emergency_numbers(f.school_a)] == ["101", "102", "103", "112"]


def test_alarm_sms_fit_one_segment_with_the_longest_zone(f):
    from safetyops.notifications import outbox, segments

    for kind in ("fire", "earthquake", "lockdown", "medical", "other", "cancelled"):
        key = f"drills.alarm.{kind}"
        text = outbox.render(key, outbox.samples().get(key, {}), "en")
        assert segments.count(text).segments == 1, text
    long = f.zone(name="Спортивный зал, второй этаж, восточное крыло")
    drill, _ = services.raise_alarm(None, f.school_a, kind="earthquake", zone_id=long.id)
    f.user("teacher", phone="+996555000009", locale="ru")
    assert all(segments.count(m.body).segments == 1 for m in _sms() if m.body)


def test_time_left_for_the_raiser_is_measured_from_the_start(f):
    teacher = f.user("teacher")
    drill, _ = services.raise_alarm(teacher, f.school_a, kind="fire", now=now_utc())
    assert services.may_cancel(teacher, "teacher", drill)
    assert not services.may_cancel(teacher, "teacher", drill, now_utc() + dt.timedelta(minutes=11))


# --- lockdown is not evacuation; one time everywhere; the board's order --------------------------


def test_lockdown_drill_reports_shelter_not_evacuation(client, f):
    teacher = f.user("teacher")
    klass = f.school_class(name="7Б", students=20, homeroom=teacher)
    start = now_utc() - dt.timedelta(minutes=5)
    drill = services.start_drill(f.user("director"), f.school_a, kind="lockdown", now=start)
    login(client, teacher)
    form = client.get(f"/drills/{drill.id}/classes/{klass.id}").get_data(as_text=True)
    assert "Sheltered in the room" in form and "At the assembly point" not in form
    r = client.submit(f"/drills/{drill.id}/classes/{klass.id}", {"on_register": 20, "present": 19, "evacuated": 19,
                                                                "injured": 0})
    assert r.status_code == 302
    login(client, f.user("director"))
    board = client.get(f"/drills/{drill.id}/board").get_data(as_text=True)
    assert "sheltered / present" in board and "evacuated / present" not in board and "All rooms secured" in board
    services.all_clear(None, f.school_a, drill)
    detail = client.get(f"/drills/{drill.id}").get_data(as_text=True)
    assert "time to all rooms secured" in detail and "evacuation time" not in detail
    assert "sheltered 19" in detail and "evacuated 19" not in detail
    assert "shelter in place" in detail.lower()


def test_board_and_after_action_show_one_time(client, f):
    """The demo's lockdown board read 3:38 (to the all clear) while the PDF read 2:38 (the last report)."""
    a, b = f.school_class(name="5А"), f.school_class(name="5Б")
    with time_machine.travel(T0, tick=False):
        drill = services.start_drill(None, f.school_a, kind="fire")
    services.report_class(None, f.school_a, drill, a, on_register=25, present=25, evacuated=25, now=T0 + dt.timedelta(
        seconds=100))
    services.report_class(None, f.school_a, drill, b, on_register=25, present=25, evacuated=25, now=T0 + dt.timedelta(
        seconds=158))
    services.all_clear(None, f.school_a, drill, now=T0 + dt.timedelta(seconds=218))
    state = services.board(drill, T0 + dt.timedelta(seconds=300))
    summary = services.summary(drill)
    assert state["elapsed"] == summary["evacuation"] == services.drill_seconds(drill) == 158
    login(client, f.user("director"))
    board = client.get(f"/drills/{drill.id}/board").get_data(as_text=True)
    assert ">2:38<" in board and ">3:38<" not in board
    assert 'id="evacuation-time">2:38<' in client.get(f"/drills/{drill.id}").get_data(as_text=True)


def test_board_lists_missing_and_injured_first_then_classes_not_reported(client, f):
    a, b, _c = f.school_class(name="5А"), f.school_class(name="6А"), f.school_class(name="9В")
    drill = f.drill()
    services.report_class(None, f.school_a, drill, a, on_register=25, present=25, evacuated=25)
    services.report_class(None, f.school_a, drill, b, on_register=25, present=25, evacuated=24, injured=1,
                          missing_names="Асанов Бакыт")
    login(client, f.user("director"))
    board = client.get(f"/drills/{drill.id}/board").get_data(as_text=True)
    assert board.index("Асанов Бакыт") < board.index("Not reported") < board.index("9В")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ClassReport)) == 2


def test_start_asks_for_the_kind_and_the_sms_explicitly(client, f):
    from safetyops.drills.models import PlannedDrill

    db.session.add(PlannedDrill(school_id=f.school_a.id, kind="earthquake", target_date=dt.date.today()))
    login(client, f.user("director"))
    page = client.get("/drills/start").get_data(as_text=True)
    radios = re.findall(r"<input[^>]*type=\"radio\"[^>]*>", page)
    assert len(radios) == 6 and not any("checked" in r for r in radios)  # nothing pre-selected, not the plan
    r = client.submit("/drills/start", {"plan_id": "0", "is_announced": "y"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Choose the kind of drill." in html and "Choose whether staff get an SMS." in html
    assert db.session.scalar(sa.select(Drill)) is None


def test_the_locked_gate_phone_raises_the_alarm(client, as_role, f):
    as_role("guard")
    client.submit("/gate/lock", {}, page="/gate/")
    locked = client.get("/gate/locked").get_data(as_text=True)
    assert 'id="alarm-button"' in locked
    assert client.get("/alarm").status_code == 200
    r = client.submit("/alarm/raise?kind=fire", {"zone_id": "", "note": "smoke at the gate"})
    assert r.status_code == 302 and r.location.endswith("/alarm")
    assert db.session.scalar(sa.select(Drill)).is_real
    assert client.get("/gate/").status_code == 302  # still locked for everything else


def test_the_board_polls_often_enough_to_show_a_report_within_two_seconds(client, f):
    drill = f.drill()
    login(client, f.user("director"))
    board = client.get(f"/drills/{drill.id}/board").get_data(as_text=True)
    poll = int(re.search(r'id="board"[^>]*data-poll="(\d+)"', board).group(1))
    assert poll <= 1500
    state = client.get(f"/drills/{drill.id}/board.json")
    again = client.get(f"/drills/{drill.id}/board.json", headers={"If-None-Match": state.headers["ETag"]})
    assert again.status_code == 304  # a poll that finds nothing new is cheap


def test_lockdown_pdf_says_sheltered_and_rooms_secured_and_a_false_alarm_says_so(app, f, monkeypatch):
    import fpdf

    from safetyops.drills import pdf

    lines: list[str] = []
    real = fpdf.FPDF.multi_cell

    def record(self, w, h=None, text="", *args, **kw):
        lines.append(str(text))
        return real(self, w, h, text, *args, **kw)

    monkeypatch.setattr(fpdf.FPDF, "multi_cell", record)
    klass = f.school_class(name="7Б")
    drill = services.start_drill(None, f.school_a, kind="lockdown", now=T0)
    services.report_class(None, f.school_a, drill, klass, on_register=25, present=24, evacuated=24,
                          now=T0 + dt.timedelta(seconds=158))
    services.all_clear(None, f.school_a, drill, now=T0 + dt.timedelta(seconds=218))
    with app.test_request_context():
        data = pdf.drill_pdf(drill, services.summary(drill), f.school_a)
    text = "\n".join(lines)
    assert data.startswith(b"%PDF")
    assert "Time to all rooms secured: 2:38 (target 5:00)" in text and "sheltered 24" in text
    assert "Evacuation time" not in text and "evacuated 24" not in text

    lines.clear()
    real_alarm, _ = services.raise_alarm(None, f.school_a, kind="fire", now=T0 + dt.timedelta(hours=1))
    services.cancel_alarm(f.user("director"), f.school_a, real_alarm, "director", reason="a test of the bell",
                          now=T0 + dt.timedelta(hours=1, minutes=2))
    with app.test_request_context():
        pdf.drill_pdf(real_alarm, services.summary(real_alarm), f.school_a)
    assert "a test of the bell" in "\n".join(lines)
