"""Reunification after an evacuation (issue 15, part 3): class lists with guardians kept under written consent,
CSV/XLSX import, the hand-over of each child once, the board's count, the guardians' SMS, the after-action
times and the retention sweep."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from safetyops.audit.models import AuditEvent
from safetyops.drills import jobs, reunion, student_import
from safetyops.drills.models import Guardian, Handover, Student
from safetyops.errors_service import ServiceError
from safetyops.extensions import db
from safetyops.notifications.models import OutboundMessage
from safetyops.time import now_utc
from tests.conftest import login

TODAY = dt.date(2026, 11, 20)


def _student(f, klass, name="Жумабаев Нурбек", guardians=(("Жумабаева Айгүл", "+996555100201", "ky"),)):
    student = reunion.save_student(None, klass_school(f, klass), None, klass=klass, full_name=name)
    for gname, phone, locale in guardians:
        reunion.save_guardian(None, klass_school(f, klass), student, None, full_name=gname, relation="мать",
                              phone=phone, locale=locale, consent_on=dt.date(2026, 9, 1), consent_ref="№ 5",
                              today=TODAY)
    return student


def _class(f, name, school=None, **kw):
    """A class that existed before the drill (a drill expects the classes of its time)."""
    klass = f.school_class(school=school, name=name, **kw)
    klass.created_dt = now_utc() - dt.timedelta(days=30)
    db.session.flush()
    return klass


def klass_school(f, klass):
    return f.school_a if klass.school_id == f.school_a.id else f.school_b


def _events(action):
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


# --- class lists and consent -------------------------------------------------------------------------------


def test_a_guardian_is_kept_only_with_written_consent(f):
    klass = _class(f, "5А")
    student = _student(f, klass, guardians=())
    with pytest.raises(ServiceError) as err:
        reunion.save_guardian(None, f.school_a, student, None, full_name="Ольга", relation="", phone="0555 123 456",
                              locale="ru", consent_on=None, consent_ref="", today=TODAY)
    assert err.value.field == "consent_on"
    with pytest.raises(ServiceError) as err:
        reunion.save_guardian(None, f.school_a, student, None, full_name="Ольга", relation="", phone="0555 123 456",
                              locale="ru", consent_on=dt.date(2026, 9, 1), consent_ref=" ", today=TODAY)
    assert err.value.field == "consent_ref"
    guardian = reunion.save_guardian(None, f.school_a, student, None, full_name="Ольга", relation="мать",
                                     phone="0555 123 456", locale="ru", consent_on=dt.date(2026, 9, 1),
                                     consent_ref="№ 7", today=TODAY)
    assert guardian.phone == "+996555123456"  # E.164 through the project's phones helper
    # the database refuses a guardian without the paper too
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(Guardian(school_id=f.school_a.id, student_id=student.id, full_name="X", phone="+996555999999",
                                consent_on=dt.date(2026, 9, 1), consent_ref=""))
        db.session.flush()


def test_the_director_adds_a_student_and_a_guardian_by_hand_bad_input_keeps_what_was_typed(client, f, as_role):
    as_role("director")
    klass = _class(f, "5А")
    r = client.submit(f"/drills/classes/{klass.id}/students/new", {"full_name": "  Иванова   Мария ",
                                                                  "is_active": "y"})
    assert r.status_code == 302
    student = db.session.scalar(sa.select(Student).where(Student.class_id == klass.id))
    assert student.full_name == "Иванова Мария" and student.name_key
    url = f"/drills/students/{student.id}/guardians/new"
    r = client.submit(url, {"full_name": "Иванова Ольга", "relation": "мать", "phone": "12", "locale": "ru",
                            "consent_on": "2026-09-01", "consent_ref": "№ 3"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "not a valid phone number" in html and 'value="Иванова Ольга"' in html
    r = client.submit(url, {"full_name": "Иванова Ольга", "relation": "мать", "phone": "0555 100 203",
                            "locale": "ru", "consent_on": "2026-09-01", "consent_ref": "№ 3"})
    assert r.status_code == 302
    page = client.get(f"/drills/classes/{klass.id}/students").get_data(as_text=True)
    assert "Иванова Ольга" in page and "№ 3" in page
    assert _events("students.read_list") and _events("guardian.create")


def test_another_schools_student_and_guardian_are_404(client, f, as_role):
    as_role("director")
    foreign = _student(f, _class(f, "9Я", school=f.school_b))
    assert client.get(f"/drills/students/{foreign.id}").status_code == 404
    assert client.get(f"/drills/guardians/{foreign.guardians[0].id}").status_code == 404
    drill = f.drill(ended=True)
    assert client.get(f"/drills/{drill.id}/reunion/{foreign.id}").status_code == 404


# --- import ------------------------------------------------------------------------------------------------

HEADER = "class,student,guardian,relation,phone,language,consent date,consent paper\n"


def _import(client, text: str, name="lists.csv"):
    return client.submit("/drills/students/import", {"file": (io.BytesIO(text.encode("utf-8")), name)},
                         content_type="multipart/form-data")


def test_import_reports_every_bad_row_and_saves_nothing(client, f, as_role):
    as_role("director")
    _class(f, "5А")
    text = HEADER + ("5А,Жумабаев Нурбек,Жумабаева Айгүл,мать,0555 100 201,ky,01.09.2026,№ 1\n"
                     "9Я,Петров Иван,,,,,,\n"  # no such class
                     "5А,,,,,,,\n"  # no name
                     "5А,Ким Саша,Ким Ли,отец,12,ru,01.09.2026,№ 2\n"  # bad phone
                     "5А,Осмонов Актан,Осмонова Гүлнара,апа,0555 100 208,ky,,\n"  # no consent
                     "5А,Юсупов Тимур,Юсупова Лейла,мать,0555 100 210,xx,01.09.2026,№ 4\n")  # unknown language
    r = _import(client, text)
    html = r.get_data(as_text=True)
    assert "5 problems; nothing was imported." in html
    for row in ("row 3", "row 4", "row 5", "row 6", "row 7"):
        assert row in html
    assert "row 2" not in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Student)) == 0


def test_import_is_all_or_nothing_then_idempotent_csv_and_xlsx(client, f, as_role):
    as_role("director")
    _class(f, "5А")
    _class(f, "6Б")
    text = HEADER + ("5А,Жумабаев Нурбек,Жумабаева Айгүл,мать,0555 100 201,ky,01.09.2026,№ 1\n"
                     "5А,Жумабаев Нурбек,Жумабаев Талант,отец,0555 100 202,кыргызча,2026-09-01,№ 1\n"
                     "5А,Ким Александр,,,,,,\n")
    r = _import(client, text)
    assert "2 new students, 2 new guardians, 0 rows already on the lists." in r.get_data(as_text=True)
    again = _import(client, text)
    assert "0 new students, 0 new guardians, 3 rows already on the lists." in again.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Guardian)) == 2

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Класс", "Ученик", "Родитель", "Кем приходится", "Телефон", "Язык", "Дата согласия", "Согласие"])
    ws.append(["6Б", "Петров Даниил", "Петрова Анна", "мать", "+996555100207", "русский",
               dt.datetime(2026, 9, 1), "№ 9"])
    buf = io.BytesIO()
    wb.save(buf)
    r = client.submit("/drills/students/import", {"file": (io.BytesIO(buf.getvalue()), "lists.xlsx")},
                      content_type="multipart/form-data")
    assert "1 new students, 1 new guardians" in r.get_data(as_text=True)
    g = db.session.scalar(sa.select(Guardian).where(Guardian.full_name == "Петрова Анна"))
    assert g.locale == "ru" and g.consent_on == dt.date(2026, 9, 1)
    assert _events("students.import")


def test_import_check_without_a_request(f):
    _class(f, "5А")
    rows = [["class", "student"], ["5А", "Ким Александр"]]
    checked = student_import.check(f.school_a, rows, TODAY)
    assert not checked.problems and len(checked.new_students) == 1


# --- search and hand-over ----------------------------------------------------------------------------------


def test_search_is_cyrillic_and_latin_tolerant(f):
    klass = _class(f, "5А")
    nurbek = _student(f, klass)
    _student(f, klass, name="Иванова Мария", guardians=())
    drill = f.drill(ended=True)
    for query in ("Jumabaev", "жума", "Dzhumabaev Nur", "нурбек"):
        assert [s.id for s, _h in reunion.search(f.school_a, drill, query)] == [nurbek.id], query
    assert reunion.search(f.school_a, drill, "Petrov") == []
    other = _student(f, _class(f, "9Я", school=f.school_b), guardians=())
    assert other.id not in [s.id for s, _h in reunion.search(f.school_a, drill, "Жумабаев")]


def test_a_child_is_handed_over_once_a_retry_is_stored_once(client, f):
    guard = f.user("guard")
    klass = _class(f, "5А")
    student = _student(f, klass)
    drill = f.drill(ended=True)
    login(client, guard)
    assert client.get(f"/drills/{drill.id}/reunion?q=Jumabaev").status_code == 200
    page = client.get(f"/drills/{drill.id}/reunion/{student.id}").get_data(as_text=True)
    assert "Жумабаева Айгүл" in page
    data = {"client_id": "phone-1-abc", "guardian_id": str(student.guardians[0].id)}
    r = client.submit(f"/drills/{drill.id}/reunion/{student.id}", data)
    assert r.status_code == 302
    again = client.submit(f"/drills/{drill.id}/reunion/{student.id}", data)  # the phone retried
    assert again.status_code == 302
    rows = db.session.scalars(sa.select(Handover)).all()
    assert len(rows) == 1 and rows[0].is_guardian and rows[0].staff_id == guard.id
    assert rows[0].taken_by_name == "Жумабаева Айгүл"
    second = client.submit(f"/drills/{drill.id}/reunion/{student.id}",
                           {"client_id": "phone-2-xyz", "guardian_id": "", "adult_name": "Сосед Бакыт",
                            "doc_last4": "1234"})
    html = second.get_data(as_text=True)
    assert "Already handed over: Жумабаева Айгүл took this child at" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Handover)) == 1
    assert len(_events("reunion.handover")) == 1
    assert _events("reunion.search") and _events("reunion.read_student")
    # the database refuses a second hand-over of the same child by itself
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(Handover(school_id=f.school_a.id, drill_id=drill.id, student_id=student.id,
                                taken_by_name="X", client_id="other"))
        db.session.flush()


def test_another_adult_needs_a_name_and_the_last_4_characters_only(client, f):
    teacher = f.user("teacher")
    student = _student(f, _class(f, "5А"), guardians=())
    drill = f.drill(ended=True)
    login(client, teacher)
    url = f"/drills/{drill.id}/reunion/{student.id}"
    r = client.submit(url, {"client_id": "c1", "guardian_id": "", "adult_name": "Сосед Бакыт", "doc_last4": ""})
    assert r.status_code == 422 and "last 4 characters" in r.get_data(as_text=True)
    r = client.submit(url, {"client_id": "c1", "guardian_id": "", "adult_name": "Сосед Бакыт",
                            "doc_last4": "AN1234567"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "never the whole number" in html and 'value="Сосед Бакыт"' in html
    r = client.submit(url, {"client_id": "c1", "guardian_id": "", "adult_name": "Сосед Бакыт",
                            "relation": "сосед", "doc_last4": "a 567"})
    assert r.status_code == 302
    row = db.session.scalar(sa.select(Handover))
    assert not row.is_guardian and row.doc_last4 == "A567" and row.guardian_id is None


def test_no_hand_over_while_live_nor_after_a_lockdown_drill_or_a_false_alarm(client, f, as_role):
    as_role("director")
    student = _student(f, _class(f, "5А"))
    live = f.drill()
    r = client.submit(f"/drills/{live.id}/reunion/{student.id}",
                      {"client_id": "c1", "guardian_id": str(student.guardians[0].id)})
    assert r.status_code == 422 and db.session.scalar(sa.select(sa.func.count()).select_from(Handover)) == 0
    live.ended_dt = now_utc()
    lockdown = f.drill(kind="lockdown", ended=True)
    assert client.get(f"/drills/{lockdown.id}/reunion").status_code == 404
    real_lockdown = f.drill(kind="lockdown", ended=True, is_real=True)
    assert client.get(f"/drills/{real_lockdown.id}/reunion").status_code == 200
    old = f.drill(ended=True, started_dt=now_utc() - dt.timedelta(days=3))
    assert not reunion.is_open(old)
    with pytest.raises(ServiceError):
        reunion.hand_over(None, f.school_a, old, student, client_id="late", guardian_id=student.guardians[0].id)


def test_the_board_counts_per_class_how_many_are_still_with_the_school(client, f, as_role):
    as_role("director")
    klass = _class(f, "5А", students=3)
    a = _student(f, klass)
    _student(f, klass, name="Иванова Мария", guardians=())
    _student(f, klass, name="Ким Александр", guardians=())
    drill = f.drill(ended=True)
    counts = {c["klass"].name: c["still"] for c in reunion.class_counts(drill)}
    assert counts == {"5А": 3}
    before = client.get(f"/drills/{drill.id}/board.json").get_json()
    assert 'class="reunion-still">3<' in before["html"]
    reunion.hand_over(None, f.school_a, drill, a, client_id="x1", guardian_id=a.guardians[0].id)
    after = client.get(f"/drills/{drill.id}/board.json", headers={"If-None-Match": f'"{before["version"]}"'})
    assert after.status_code == 200 and 'class="reunion-still">2<' in after.get_json()["html"]


# --- SMS to a class's guardians ----------------------------------------------------------------------------


def test_sms_to_a_classes_guardians_in_their_language_never_a_childs_name(client, f, as_role):
    as_role("director")
    klass = _class(f, "5А")
    _student(f, klass, guardians=(("Айгүл", "+996555100201", "ky"), ("Талант", "+996555100202", "en")))
    _student(f, klass, name="Жумабаева Айпери", guardians=(("Айгүл", "+996555100201", "ky"),))  # a sister
    _student(f, _class(f, "6Б"), name="Петров Даниил", guardians=(("Анна", "+996555100207", "ru"),))
    drill = f.drill(ended=True)
    url = f"/drills/{drill.id}/reunion/sms"
    r = client.submit(url, {"class_id": str(klass.id), "place": "Gate 2 on Toktogul street"})
    assert r.status_code == 422 and "At most 20 characters" in r.get_data(as_text=True)
    r = client.submit(url, {"class_id": str(klass.id), "place": "Gate 2"})
    assert r.status_code == 302
    rows = db.session.scalars(sa.select(OutboundMessage).where(OutboundMessage.kind == "drills.reunion")).all()
    assert sorted(m.to_phone for m in rows) == ["+996555100201", "+996555100202"]  # one per phone, 5А only
    for m in rows:
        assert m.school_id == f.school_a.id and not m.is_urgent  # counted against the school's SMS budget
        assert "Жумабаев" not in m.body and "Gate 2" in m.body and "5А" in m.body
    assert {m.locale for m in rows} == {"ky", "en"}
    client.submit(url, {"class_id": str(klass.id), "place": "Gate 2"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboundMessage)
                             .where(OutboundMessage.kind == "drills.reunion")) == 2


# --- after-action and retention ----------------------------------------------------------------------------


def test_after_action_has_the_reunification_times(client, f, as_role):
    as_role("director")
    klass = _class(f, "5А")
    a = _student(f, klass)
    b = _student(f, klass, name="Иванова Мария", guardians=())
    drill = f.drill(ended=True)
    reunion.hand_over(None, f.school_a, drill, a, client_id="x1", guardian_id=a.guardians[0].id,
                      now=drill.ended_dt + dt.timedelta(minutes=2))
    reunion.hand_over(None, f.school_a, drill, b, client_id="x2", adult_name="Сосед", doc_last4="1234",
                      now=drill.ended_dt + dt.timedelta(minutes=7, seconds=5))
    sm = reunion.summary(drill, now=drill.ended_dt + dt.timedelta(minutes=8))
    assert (sm["first"], sm["last"], sm["handed"], sm["still"]) == (120, 425, 2, 0)
    assert sm["classes"][0]["first"] == 120 and sm["classes"][0]["last"] == 425
    html = client.get(f"/drills/{drill.id}").get_data(as_text=True)
    assert "First hand-over: 2:00 after the all clear" in html and "Last hand-over: 7:05" in html
    pdf = client.get(f"/drills/{drill.id}/report.pdf")
    assert pdf.status_code in (200, 503)


def test_retention_wipes_hand_overs_and_lists_of_children_who_left(f):
    klass = _class(f, "5А")
    a = _student(f, klass)
    b = _student(f, klass, name="Иванова Мария")
    drill = f.drill(ended=True)
    reunion.hand_over(None, f.school_a, drill, a, client_id="x1", guardian_id=a.guardians[0].id)
    reunion.save_student(None, f.school_a, b, klass=klass, full_name=b.full_name, is_active=False)
    soon = now_utc() + dt.timedelta(days=31)
    assert reunion.purge_expired(f.school_a, soon) == 1  # b's list entry only
    db.session.refresh(b)
    assert b.anonymised_dt is not None and b.full_name.startswith("—") and b.name_key == ""
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Guardian)
                             .where(Guardian.student_id == b.id)) == 0
    later = now_utc() + dt.timedelta(days=91)
    assert jobs.reunion_retention(later) == 0
    row = db.session.scalar(sa.select(Handover))
    db.session.refresh(row)
    assert row.taken_by_name == "—" and row.guardian_id is None and row.anonymised_dt is not None
    assert reunion.purge_expired(f.school_a, later) == 0  # idempotent
    assert _events("reunion.retention")


def test_two_phones_at_the_same_moment_the_database_decides(f, monkeypatch):
    """Both phones passed the check before either wrote: the unique constraint refuses the second."""
    student = _student(f, _class(f, "5А"))
    drill = f.drill(ended=True)
    reunion.hand_over(None, f.school_a, drill, student, client_id="phone-a", guardian_id=student.guardians[0].id)
    real = reunion.handover_of
    calls = []

    def not_yet(d, s):  # the second phone's check ran before the first phone's row was committed
        calls.append(1)
        return None if len(calls) == 1 else real(d, s)

    monkeypatch.setattr(reunion, "handover_of", not_yet)
    with pytest.raises(reunion.AlreadyHandedOver):
        reunion.hand_over(None, f.school_a, drill, student, client_id="phone-b", adult_name="Сосед", doc_last4="1234")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Handover)) == 1


def test_the_locked_gate_phone_hands_children_over(client, as_role, f):
    as_role("guard")
    student = _student(f, _class(f, "5А"))
    drill = f.drill(ended=True)
    client.submit("/gate/lock", {}, page="/gate/")
    alarm = client.get("/alarm").get_data(as_text=True)
    assert f"/drills/{drill.id}/reunion" in alarm  # the way in from the locked phone
    assert client.get(f"/drills/{drill.id}/reunion?q=Jumabaev").status_code == 200
    r = client.submit(f"/drills/{drill.id}/reunion/{student.id}",
                      {"client_id": "gate-1", "guardian_id": str(student.guardians[0].id)})
    assert r.status_code == 302 and db.session.scalar(sa.select(Handover)).is_guardian
    assert client.get("/gate/").status_code == 302  # still locked for everything else


def test_reunion_screen_and_class_list_do_not_grow_with_the_children(client, f, as_role):
    """As many SQL statements for 3 children as for 30 (no N+1: tests/test_statement_counts.py)."""
    from tests.test_statement_counts import count_statements

    as_role("director")
    klass = _class(f, "5А")
    drill = f.drill(ended=True)

    def add(n0, n1):
        for i in range(n0, n1):
            s = _student(f, klass, name=f"Асанов Бакыт {i}", guardians=((f"Асанова {i}", f"+99655520{i:04d}", "ky"),))
            if i % 2:
                reunion.hand_over(None, f.school_a, drill, s, client_id=f"c{i}", guardian_id=s.guardians[0].id)

    counts = []
    for n0, n1 in ((0, 3), (3, 30)):
        add(n0, n1)
        row = []
        for url in (f"/drills/{drill.id}/reunion?q=Asanov", f"/drills/classes/{klass.id}/students",
                    f"/drills/{drill.id}/board"):
            client.get(url).close()
            n, _sql, status = count_statements(client, url)
            assert status == 200
            row.append(n)
        counts.append(row)
    assert counts[0] == counts[1]
