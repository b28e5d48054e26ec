"""The instruction journal (signed from one's own account, printed as PDF), reminder sweeps with
frozen time, home-page cards, the checklist link, and the demo."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import sqlalchemy as sa

from safetyops.documents import jobs, services
from safetyops.documents.models import DocKind, Document, InstructionEntry
from safetyops.errors_service import ServiceError
from safetyops.extensions import db
from safetyops.notifications.models import OutboundMessage
from safetyops.notifications.segments import count
from safetyops.schools.models import Area
from tests.conftest import login
from tests.documents.helpers import PDF_BYTES, make_document, make_instruction, pdf_upload


def at(day: dt.date, hour: int = 9) -> dt.datetime:  # school-local (UTC+6) → UTC
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.timezone(dt.timedelta(hours=6))).astimezone(dt.UTC)


def _sms():
    return db.session.execute(sa.select(OutboundMessage.kind, OutboundMessage.user_id)
                              .order_by(OutboundMessage.id)).all()


# --------------------------------------------------------------------------- the journal


def test_record_sign_from_own_account_and_print(client, f):
    officer = f.user("safety_officer", phone="+996555000201")
    teacher = f.user("teacher", phone="+996555000202")
    guard = f.user("guard")
    login(client, officer)
    resp = client.submit("/documents/journal/new", {
        "kind": "repeat", "held_on": "2026-10-01", "instructor_id": str(officer.id),
        "topic": "Инструкция о мерах пожарной безопасности №1", "user_ids": [str(teacher.id), str(guard.id)],
        "next_due_on": ""})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:1500]
    entries = list(db.session.scalars(sa.select(InstructionEntry).order_by(InstructionEntry.user_id)))
    assert [e.next_due_on for e in entries] == [dt.date(2027, 4, 1)] * 2  # six months
    mine = next(e for e in entries if e.user_id == teacher.id)

    login(client, guard)  # someone else's line: refused, nothing signed
    client.submit(f"/documents/my-instructions/{mine.id}/sign", page="/documents/my-instructions")
    db.session.refresh(mine)
    assert mine.signed_dt is None

    login(client, teacher)
    home = client.get("/").get_data(as_text=True)
    assert "Confirm the instruction you received" in home
    resp = client.submit(f"/documents/my-instructions/{mine.id}/sign", page="/documents/my-instructions")
    assert resp.status_code == 302
    db.session.refresh(mine)
    assert mine.signed_dt is not None
    assert "Confirm the instruction you received" not in client.get("/").get_data(as_text=True)

    login(client, officer)
    pdf = client.get("/documents/journal.pdf?start=2026-09-01&end=2026-12-31")
    assert pdf.status_code == 200 and pdf.get_data().startswith(b"%PDF-")
    sheet = client.get(f"/documents/journal/{mine.instruction_id}/sheet.pdf")
    assert sheet.get_data().startswith(b"%PDF-")
    page = client.get(f"/documents/journal/{mine.instruction_id}").get_data(as_text=True)
    assert "not confirmed yet" in page and "confirmed" in page  # the guard has not, the teacher has


def test_attach_the_signed_scan(client, f):
    officer = f.user("safety_officer")
    ins = make_instruction(f.school_a, actor=officer)
    login(client, officer)
    resp = client.submit(f"/documents/journal/{ins.id}/scan", {"files": (io.BytesIO(PDF_BYTES), "page.pdf")},
                         page=f"/documents/journal/{ins.id}", content_type="multipart/form-data")
    assert resp.status_code == 302
    db.session.refresh(ins)
    assert len(ins.scans) == 1 and ins.scans[0].content_type == "application/pdf"
    teacher = ins.entries[0].user
    login(client, teacher)  # a teacher does not read the journal's scans
    resp = client.get(f"/documents/files/{ins.scans[0].id}")
    resp.close()
    assert resp.status_code == 403


def test_targeted_instruction_leaves_the_repeat_cycle_alone(f):
    teacher = f.user("teacher")
    make_instruction(f.school_a, people=[teacher], held_on=dt.date(2026, 9, 1))
    make_instruction(f.school_a, people=[teacher], kind="targeted", held_on=dt.date(2026, 11, 1))
    assert services.next_due(f.school_a, user=teacher) == [(teacher, dt.date(2027, 3, 1))]


def test_instruction_needs_people_of_this_school(f):
    with pytest.raises(ServiceError):
        make_instruction(f.school_a, people=[f.user("teacher", f.school_b)])


# --------------------------------------------------------------------------- reminders


@pytest.fixture
def school_people(f):
    director = f.user("director", phone="+996555000301", locale="ru")
    officer = f.user("safety_officer", phone="+996555000302", locale="ky")
    return director, officer


def test_review_reminder_then_expired_each_once_and_a_new_version_starts_again(f, school_people):
    director, officer = school_people
    doc = make_document(f.school_a, kind="antiterror_passport", title="Антитеррордук коргоо паспорту",
                        approved_on=dt.date(2025, 12, 20), review_on=dt.date(2026, 12, 20),
                        responsible_id=officer.id, files=[pdf_upload()])
    assert jobs.document_reminders(at(dt.date(2026, 11, 19))) == 0  # 31 days before
    assert jobs.document_reminders(at(dt.date(2026, 11, 20))) == 2  # 30 days: the officer and the director
    assert jobs.document_reminders(at(dt.date(2026, 11, 21))) == 0  # same key: nothing twice
    assert jobs.document_reminders(at(dt.date(2026, 12, 20))) == 0  # the review day: still "to review"
    assert jobs.document_reminders(at(dt.date(2026, 12, 21))) == 2  # expired
    assert jobs.document_reminders(at(dt.date(2027, 1, 5))) == 0
    rows = list(db.session.scalars(sa.select(OutboundMessage).order_by(OutboundMessage.id)))
    assert [(r.kind, r.user_id) for r in rows] == [("docs.review", officer.id), ("docs.review", director.id),
                                                     ("docs.expired", officer.id), ("docs.expired", director.id)]
    assert all(count(r.body).segments == 1 for r in rows)
    assert "21.12.2026" not in rows[0].body and "20.12.2026" in rows[0].body
    # the new version is approved: the next review is a year later, and reminders start again then
    services.add_version(officer, f.school_a, doc, files=[pdf_upload()], approved_on=dt.date(2027, 1, 10))
    assert doc.review_on == dt.date(2028, 1, 10)
    assert jobs.document_reminders(at(dt.date(2027, 1, 11))) == 0
    assert jobs.document_reminders(at(dt.date(2027, 12, 15))) == 2


def test_catch_up_after_downtime_sends_only_what_is_due_now(f, school_people):
    make_document(f.school_a, review_on=dt.date(2026, 12, 20), responsible_id=school_people[1].id)
    # the scheduler was down for months: one "expired" per person, no stale "to review"
    assert jobs.document_reminders(at(dt.date(2027, 3, 1))) == 2
    assert {k for k, _u in _sms()} == {"docs.expired"}


def test_archived_or_draft_documents_remind_nobody(f, school_people):
    make_document(f.school_a, review_on=dt.date(2026, 12, 20), status="draft")
    doc = make_document(f.school_a, review_on=dt.date(2026, 12, 20))
    services.set_status(None, f.school_a, doc, "archived")
    assert jobs.document_reminders(at(dt.date(2026, 12, 25))) == 0


def test_licence_expiry_reminds_too(f, school_people):
    make_document(f.school_a, kind="contract_security", review_on=dt.date(2027, 6, 30),
                  licence_number="КЛ-1", licence_expires_on=dt.date(2026, 12, 31))
    assert jobs.document_reminders(at(dt.date(2026, 12, 7))) == 1  # the director (no responsible person)


def test_instruction_reminder_to_the_person_once(f):
    teacher = f.user("teacher", phone="+996555000401")
    make_instruction(f.school_a, people=[teacher], held_on=dt.date(2026, 6, 1))  # due 2026-12-01
    assert jobs.instruction_reminders(at(dt.date(2026, 11, 16))) == 0
    assert jobs.instruction_reminders(at(dt.date(2026, 11, 17))) == 1
    assert jobs.instruction_reminders(at(dt.date(2026, 11, 20))) == 0
    make_instruction(f.school_a, people=[teacher], held_on=dt.date(2026, 11, 25))  # done: next due in May
    assert jobs.instruction_reminders(at(dt.date(2026, 12, 10))) == 0


def test_the_sweep_is_in_the_scheduler_catalogue(f):
    from safetyops.scheduler.catalogue import load_sweeps

    assert load_sweeps()["documents.reminders"].fn is jobs.reminders_sweep


def test_sms_texts_fit_one_segment_with_long_names(app_ctx):
    from flask_babel import force_locale

    from safetyops.notifications.outbox import render

    for kind, (_text, sample) in jobs.TEXTS.items():
        for lang in ("ky", "ru", "kk", "en"):
            with force_locale(lang):
                body = render(kind, sample, lang)
            assert count(body).segments == 1, (kind, lang, body)
    longest = max((str(info.label) for info in __import__("safetyops.documents.kinds", fromlist=["KINDS"])
                   .KINDS.values()), key=len)
    assert len(jobs.short_name(Document(kind=DocKind.CONTRACT_ALARM), "en")) <= jobs.TITLE_MAX < len(longest)


# --------------------------------------------------------------------------- home page cards


def test_director_home_shows_expired_and_due_documents(client, f):
    from safetyops.time import school_today

    today = school_today(f.school_a)
    director = f.user("director")
    make_document(f.school_a, title="Өрт чыкканда иш-аракет планы", approved_on=today - dt.timedelta(days=400),
                  review_on=today - dt.timedelta(days=3))
    make_document(f.school_a, kind="antiterror_passport", title="Антитеррордук коргоо паспорту",
                  approved_on=today - dt.timedelta(days=300), review_on=today + dt.timedelta(days=20))
    login(client, director)
    home = client.get("/").get_data(as_text=True)
    assert "Documents expired" in home and "Өрт чыкканда иш-аракет планы" in home
    assert "Documents to review" in home and "Антитеррордук коргоо паспорту" in home
    login(client, f.user("teacher"))
    home = client.get("/").get_data(as_text=True)
    assert "Антитеррордук" not in home and "Documents expired" not in home


# --------------------------------------------------------------------------- the quarterly checklist


def test_failed_passport_item_opens_an_action_for_the_anti_terror_appointee(f):
    import uuid

    from safetyops.inspections import services as insp
    from safetyops.inspections.models import CorrectiveAction

    deputy = f.user("deputy")
    f.appointment(user=deputy, area=Area.ANTI_TERROR)
    f.appointment(user=f.user("safety_officer"), area=Area.FIRE_SAFETY)
    sched = f.schedule("documents_quarterly", starts_on=dt.date(2026, 10, 1))
    officer = f.user("safety_officer")
    now = at(dt.date(2026, 11, 16), 10)
    run = insp.start_run(officer, f.school_a, sched, now=now)
    insp.tick(officer, f.school_a, run, item_id="antiterror_passport", result="fail", note="phones outdated",
              client_uuid=str(uuid.uuid4()), now=now)
    action = db.session.scalar(sa.select(CorrectiveAction))
    assert action.area is Area.ANTI_TERROR and action.assignee_id == deputy.id
    state = services.checklist_state(f.school_a, DocKind.ANTITERROR_PASSPORT)
    assert [(s["item"]["id"], s["action"]) for s in state] == [("antiterror_passport", action)]


def test_every_document_named_in_the_shipped_checklists_is_a_kind():
    from safetyops.inspections.checklist_files import load_dir

    templates, errors = load_dir()
    named = {i.document for t in templates.values() for i in t.items if i.document}
    assert named and named <= {k.value for k in DocKind}
    passport = templates["documents_quarterly"].item("antiterror_passport")
    assert passport.area == "anti_terror" and passport.document == "antiterror_passport"


# --------------------------------------------------------------------------- the demo


def test_demo_has_one_document_due_for_review_and_one_expired_and_is_idempotent(demo_app):
    from safetyops.demo import build_demo
    from safetyops.schools.models import Appointment, School
    from safetyops.time import school_today
    from tests.demo_fixtures import DEMO_PASSWORD

    with demo_app.app_context():  # a copy of the demo: its first build
        school = db.session.scalar(sa.select(School).where(School.name == "№95 мектеп-гимназия"))
        n = db.session.scalar(sa.select(sa.func.count()).select_from(Document))
        today = school_today(school)
        due = services.due_documents(school, today)
        assert len(due["review_due"]) >= 1 and len(due["expired"]) >= 1
        assert all(d.current and d.current.files for d in due["review_due"] + due["expired"])
        numbers = set(db.session.scalars(sa.select(Appointment.order_number)
                                         .where(Appointment.school_id == school.id)))
        assert numbers and not any(n.endswith("-к") for n in numbers)
        build_demo(DEMO_PASSWORD)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Document)) == n
