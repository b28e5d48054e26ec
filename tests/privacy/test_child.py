"""A child's personal data on request: every record that names the child (the class list for
reunification with the guardians and hand-overs, injuries, road incidents, the road-safety squad, the
gate log's late arrivals and early leaves, roll-calls that typed the child as missing, the consents),
its correction and its erasure."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess

import pytest
import sqlalchemy as sa
import time_machine
from flask_babel import force_locale, gettext

from safetyops.accidents import services as accidents
from safetyops.accidents.models import Injury
from safetyops.audit.models import AuditEvent
from safetyops.audit.services import object_type_of, verify_chain
from safetyops.drills import reunion
from safetyops.drills.models import ClassReport, Guardian, Handover, Student
from safetyops.extensions import db
from safetyops.gate.models import GateEntry
from safetyops.incidents.models import RoadIncident
from safetyops.privacy import search, services
from safetyops.privacy.models import Consent, Purpose, SubjectKind
from safetyops.roadsafety.models import SquadMember
from safetyops.time import now_utc
from tests.conftest import login

#: 10:00 in Bishkek.
NOW = dt.datetime(2026, 11, 20, 4, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 20)
NAME = "Асанов Бакыт"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _events(action):
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


def _class(f, name, school=None):
    klass = f.school_class(school=school, name=name)
    klass.created_dt = now_utc() - dt.timedelta(days=30)
    db.session.flush()
    return klass


def _on_list(school, klass, name, guardians):
    student = reunion.save_student(None, school, None, klass=klass, full_name=name)
    for gname, phone, relation in guardians:
        reunion.save_guardian(None, school, student, None, full_name=gname, relation=relation, phone=phone,
                              locale="ky", consent_on=dt.date(2026, 9, 1), consent_ref="Арыз № 5", today=TODAY)
    return student


def _injury(school, klass, name, when):
    incident = accidents.record_incident(None, school, kind="injury", occurred_dt=when, place="Спорт зал",
                                         description="Секирүүдө", parents_informed=True, ambulance=False,
                                         police=False)
    return accidents.add_injury(None, school, incident, class_id=klass.id, person_name=name,
                                consent_paper="Арыз № 9" if name else "", injury="Тамандын чыгышы",
                                first_aid="Муз басылды", alert=False)


def _world(f):
    """The child with every kind of record at school A, a classmate, and a child of the same name at school B."""
    a, b = f.school_a, f.school_b
    klass = _class(f, "5А")
    child = _on_list(a, klass, NAME, [("Асанова Айгүл", "+996555100201", "апасы"),
                                      ("Асанов Марат", "+996555100202", "атасы")])
    mate = _on_list(a, klass, "Осмонова Айжан", [("Осмонова Гүлзат", "+996555100203", "апасы")])
    drill = f.drill(ended=True)
    roll_call = ClassReport(school_id=a.id, drill_id=drill.id, class_id=klass.id, on_register=25, present=24,
                               evacuated=22, missing_names="Асанов Бакыт, Осмонова Айжан",
                               first_dt=drill.started_dt + dt.timedelta(seconds=150))
    db.session.add(roll_call)
    db.session.flush()
    handed, _new = reunion.hand_over(None, a, drill, child, client_id="h-child",
                                     guardian_id=child.guardians[0].id)
    other, _new = reunion.hand_over(None, a, drill, mate, client_id="h-mate", adult_name="Осмонов Бекзат",
                                    doc_last4="77AB", relation="агасы",
                                    now=now_utc() + dt.timedelta(minutes=3))
    injury = _injury(a, klass, "Asanov Bakyt", now_utc() - dt.timedelta(days=40))  # the Latin spelling
    nameless = _injury(a, klass, "", now_utc() - dt.timedelta(days=40))
    road = f.road_incident(a, name="асанов  бакыт", klass=klass)
    squad = SquadMember(school_id=a.id, student_name="Бакыт Асанов", class_id=klass.id, consent_paper="Арыз № 11",
                        joined_on=dt.date(2026, 9, 10))
    db.session.add(squad)
    late = f.gate_entry(a, kind="student_late", name="5А: Асанов Бакыт", in_dt=now_utc() - dt.timedelta(days=2))
    visitor = f.gate_entry(a, kind="visitor", name=NAME, doc_last4="1234")  # an adult of the same name
    consent = Consent(school_id=a.id, subject_kind=SubjectKind.STUDENT, subject_name=NAME, given_by="Асанова Айгүл",
                      given_by_relation="апасы", purpose=Purpose.OTHER, given_on=dt.date(2026, 9, 1),
                      paper_ref="Арыз № 12")
    db.session.add(consent)
    # school B: a child of the same name, with a guardian, an injury and a road incident
    klass_b = _class(f, "5А", school=b)
    child_b = _on_list(b, klass_b, NAME, [("Асанова Гүлнара", "+77011234567", "мать")])
    injury_b = _injury(b, klass_b, NAME, now_utc() - dt.timedelta(days=10))
    road_b = f.road_incident(b, name=NAME)
    db.session.flush()
    return locals()


def _ids(dump, key):
    section = next(s for s in dump["sections"] if s["key"] == key)
    return sorted(r["id"] for r in section["records"])


def test_the_dossier_lists_every_record_that_names_the_child_and_nothing_of_another_school(client, f):
    w = _world(f)
    login(client, f.user("director", f.school_a))
    page = client.submit("/privacy/subject", {"kind": "student", "name": "бакыт асанов"}).get_data(as_text=True)
    for text in ("Асанова Айгүл", "+996555100201", "Асанов Марат", "+996555100202", "Арыз № 5",  # guardians
                 "Тамандын чыгышы", "Муз басылды", "Арыз № 9",  # the injury, its first aid, the consent paper
                 "5А: Асанов Бакыт", "Арыз № 11", "Арыз № 12"):
        assert text in page, text
    assert "Осмонова Гүлзат" not in page and "Осмонов Бекзат" not in page  # the classmate's people
    assert "Осмонова Айжан" not in page  # the roll-call shows the child's own name only
    assert "Асанова Гүлнара" not in page and "+77011234567" not in page  # school B

    resp = client.submit("/privacy/subject/export", {"kind": "student", "name": NAME, "fmt": "json"},
                         page="/privacy/subject")
    dump = json.loads(resp.get_data(as_text=True))
    assert _ids(dump, "class_list") == [w["child"].id]
    assert _ids(dump, "guardians") == sorted(g.id for g in w["child"].guardians)
    assert _ids(dump, "handovers") == [w["handed"].id]
    assert _ids(dump, "injuries") == [w["injury"].id]
    assert _ids(dump, "road_incidents") == [w["road"].id]
    assert _ids(dump, "squad") == [w["squad"].id]
    assert _ids(dump, "gate_log") == [w["late"].id]  # not the adult visitor of the same name
    assert _ids(dump, "roll_calls") == [w["roll_call"].id]
    assert _ids(dump, "consents") == [w["consent"].id]
    injury = next(s for s in dump["sections"] if s["key"] == "injuries")["records"][0]
    assert injury["injury"] == "Тамандын чыгышы" and injury["first_aid"] == "Муз басылды"
    roll = next(s for s in dump["sections"] if s["key"] == "roll_calls")["records"][0]
    assert roll["named_as_missing"] == "Асанов Бакыт" and "Осмонова" not in json.dumps(roll, ensure_ascii=False)
    every = [r for s in dump["sections"] for r in s["records"] if "school_id" in r]
    assert every and {r["school_id"] for r in every} == {f.school_a.id}
    about = next(s for s in dump["sections"] if s["key"] == "audit_about")["records"]
    objects = {r["object"] for r in about}
    assert {f"{object_type_of(Student)}:{w['child'].id}", f"{object_type_of(Handover)}:{w['handed'].id}",
            f"{object_type_of(Injury)}:{w['injury'].id}",
            f"{object_type_of(Guardian)}:{w['child'].guardians[1].id}"} <= objects
    assert f"{object_type_of(Student)}:{w['mate'].id}" not in objects

    # the audit events name kinds and ids, never the name that was searched
    reads = [e for e in _events("privacy.subject_access") + _events("privacy.subject_export") if e.detail]
    assert len(reads) == 2  # the page's GET (before the search) names nothing
    for event in reads:
        assert "асанов" not in event.detail.casefold() and "бакыт" not in event.detail.casefold()
        assert "asanov" not in event.detail.casefold() and event.detail.startswith("kind=student")
    (read,) = [e for e in _events("privacy.subject_access") if e.detail]
    assert f"students={w['child'].id}" in read.detail and f"injuries={w['injury'].id}" in read.detail


def test_the_pdf_has_the_new_sections_in_the_schools_language(client, f, tmp_path):
    _world(f)
    login(client, f.user("director", f.school_a))
    resp = client.submit("/privacy/subject/export", {"kind": "student", "name": NAME, "fmt": "pdf"},
                         page="/privacy/subject")
    assert resp.status_code == 200 and resp.get_data()[:5] == b"%PDF-"
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) reads the PDF's text")
    path = tmp_path / "dossier.pdf"
    path.write_bytes(resp.get_data())
    text = " ".join(subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True,
                                   text=True).stdout.split())
    for words in ("Асанова Айгүл", "+996555100202", "Тамандын чыгышы", "Арыз № 11", "5А: Асанов Бакыт"):
        assert words in text, words
    with force_locale("ky"):
        for title in (gettext("Guardians"), gettext("Hand-overs after an evacuation"), gettext("Injuries")):
            assert title in text, title


def test_the_class_narrows_the_search_and_another_schools_class_is_refused(client, f):
    w = _world(f)
    klass_6 = _class(f, "6Б")
    namesake = _on_list(f.school_a, klass_6, NAME, [])
    found = search.find(f.school_a, search.Subject("student", name=NAME))
    assert sorted(s.id for s in found.students) == sorted([w["child"].id, namesake.id])
    found = search.find(f.school_a, search.Subject("student", name=NAME, class_id=w["klass"].id))
    assert [s.id for s in found.students] == [w["child"].id]
    assert [i.id for i in found.injuries] == [w["injury"].id]
    assert [r.id for r in found.incidents] == [w["road"].id]
    found = search.find(f.school_a, search.Subject("student", name=NAME, class_id=klass_6.id))
    assert [s.id for s in found.students] == [namesake.id] and not found.injuries
    with pytest.raises(search.ServiceError) as err:
        search.find(f.school_a, search.Subject("student", name=NAME, class_id=w["klass_b"].id))
    assert err.value.field == "class_id"
    login(client, f.user("director", f.school_a))
    page = client.submit("/privacy/subject", {"kind": "student", "name": NAME, "class_id": w["klass_b"].id})
    assert "Choose a class of this school" in page.get_data(as_text=True)


def test_exact_spelling_leaves_out_the_latin_and_reordered_spellings(f):
    w = _world(f)
    found = search.find(f.school_a, search.Subject("student", name=NAME, exact=True))
    assert [s.id for s in found.students] == [w["child"].id]
    assert not found.injuries and not found.squad  # "Asanov Bakyt", "Бакыт Асанов"
    assert [i.id for i in found.incidents] == [w["road"].id]  # case and spaces still do not matter


def test_a_person_who_may_not_read_injuries_gets_the_record_without_the_health_details(client, f):
    from safetyops.schools.models import Area

    _world(f)
    officer = f.user("teacher", f.school_a)
    f.appointment(f.school_a, user=officer, area=Area.INFORMATION_SECURITY)
    login(client, officer)
    page = client.submit("/privacy/subject", {"kind": "student", "name": NAME}).get_data(as_text=True)
    assert "Asanov Bakyt" in page and "Тамандын чыгышы" not in page and "Муз басылды" not in page
    assert "Only the director, the deputy director and the nurse see the injury and the first aid" in page


def test_correcting_the_name_changes_every_record_found_and_nothing_else(client, f):
    w = _world(f)
    login(client, f.user("director", f.school_a))
    resp = client.submit("/privacy/subject/correct", {"kind": "student", "name": NAME,
                                                      "new_name": "Асанбеков Бакыт"}, page="/privacy/subject")
    assert resp.status_code == 302
    db.session.expire_all()
    get = db.session.get
    assert get(Student, w["child"].id).full_name == "Асанбеков Бакыт"
    assert get(Student, w["child"].id).name_key == "asanbekov bakit"
    assert get(Injury, w["injury"].id).person_name == "Асанбеков Бакыт"
    assert get(RoadIncident, w["road"].id).student_name == "Асанбеков Бакыт"
    assert get(SquadMember, w["squad"].id).student_name == "Асанбеков Бакыт"
    assert get(GateEntry, w["late"].id).name == "5А: Асанбеков Бакыт"
    assert get(ClassReport, w["roll_call"].id).missing_names == "Асанбеков Бакыт, Осмонова Айжан"
    assert get(Consent, w["consent"].id).subject_name == "Асанбеков Бакыт"
    # not the adult visitor, not the guardians, not school B
    assert get(GateEntry, w["visitor"].id).name == NAME
    assert get(Guardian, w["child"].guardians[0].id).full_name == "Асанова Айгүл"
    assert get(Student, w["child_b"].id).full_name == NAME and get(Injury, w["injury_b"].id).person_name == NAME
    (event,) = _events("privacy.correct")
    assert "Асан" not in event.detail and "Бакыт" not in event.detail
    # found under the new name
    found = search.find(f.school_a, search.Subject("student", name="Асанбеков Бакыт"))
    assert found.students and found.injuries and found.roll_calls


def test_a_correction_that_would_clash_on_the_class_list_is_refused(client, f):
    w = _world(f)
    login(client, f.user("director", f.school_a))
    resp = client.submit("/privacy/subject/correct", {"kind": "student", "name": NAME,
                                                      "new_name": "Осмонова  Айжан"}, page="/privacy/subject")
    assert resp.status_code == 422 and "already has a student with this name" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Injury, w["injury"].id).person_name == "Asanov Bakyt"  # nothing changed


def _figures(w, school):
    summary = reunion.summary(w["drill"])
    klass = next(c for c in summary["classes"] if c["klass"].id == w["klass"].id)
    year = accidents.analyse(school, NOW.year)
    return {"handed": summary["handed"], "first": summary["first"], "last": summary["last"],
            "class_handed": klass["handed"], "class_at_school": klass["at_school"], "class_first": klass["first"],
            "class_last": klass["last"], "handovers": [(h.id, h.handed_dt, h.staff_id, h.drill_id)
                                                       for h in reunion.handovers_of(w["drill"])],
            "incidents": year.incidents, "injured": year.injured, "injury_counts": accidents.injury_counts(school),
            "charts": [(c.key, [(b.label, b.count) for b in c.bars]) for c in year.charts]}


def test_erasure_anonymises_and_the_reports_figures_stay(client, f):
    w = _world(f)
    school = f.school_a
    before = _figures(w, school)
    director = f.user("director", school)
    login(client, director)
    fields = {"kind": "student", "name": NAME}
    resp = client.submit("/privacy/subject/erase", fields, page="/privacy/subject")
    assert resp.status_code == 422 and "Tick the confirmation" in resp.get_data(as_text=True)
    resp = client.submit("/privacy/subject/erase", {**fields, "confirm": "y"}, page="/privacy/subject")
    assert resp.status_code == 302
    db.session.expire_all()
    get = db.session.get
    child = get(Student, w["child"].id)
    assert NAME not in child.full_name and child.name_key == "" and child.anonymised_dt is not None
    assert not child.is_active and child.class_id == w["klass"].id  # off the list; the row stays for the counts
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Guardian).where(
        Guardian.school_id == school.id, Guardian.student_id == child.id)) == 0
    handed = get(Handover, w["handed"].id)
    assert handed.taken_by_name == "—" and handed.relation == "" and handed.doc_last4 is None
    assert handed.guardian_id is None and handed.anonymised_dt is not None
    assert handed.handed_dt == w["handed"].handed_dt and handed.staff_id == w["handed"].staff_id
    injury = get(Injury, w["injury"].id)
    assert injury.person_name == "" and injury.consent_paper == ""
    assert injury.injury == "Тамандын чыгышы"  # the accident register keeps the nameless injury
    road = get(RoadIncident, w["road"].id)
    assert road.student_name == "" and road.is_anonymised and road.place
    squad = get(SquadMember, w["squad"].id)
    assert squad.student_name == "—" and squad.left_on == TODAY
    late = get(GateEntry, w["late"].id)
    assert late.name == "—" and late.anonymised_dt is not None
    assert get(ClassReport, w["roll_call"].id).missing_names == "—, Осмонова Айжан"
    consent = get(Consent, w["consent"].id)
    assert consent.subject_name == "—" and consent.given_by == "—" and consent.paper_ref == "Арыз № 12"
    # everything else untouched: the classmate, her guardian and hand-over, the adult visitor, school B
    mate = get(Student, w["mate"].id)
    assert mate.full_name == "Осмонова Айжан" and len(mate.guardians) == 1
    assert get(Handover, w["other"].id).taken_by_name == "Осмонов Бекзат"
    assert get(GateEntry, w["visitor"].id).name == NAME
    assert get(Student, w["child_b"].id).full_name == NAME and get(Injury, w["injury_b"].id).person_name == NAME
    assert get(RoadIncident, w["road_b"].id).student_name == NAME
    # the reunification's counts and times, and the accident register's counts, are unchanged
    assert _figures(w, school) == before
    (erase,) = _events("privacy.erase")
    assert "Асан" not in erase.detail and "Бакыт" not in erase.detail and erase.detail.startswith("kind=student")
    assert verify_chain().ok
    # nothing is found any more; a second erasure changes nothing
    found = search.find(school, search.Subject("student", name=NAME))
    assert found.is_empty
    assert services.erase(director, school, found).erased == 0


def test_erasing_tells_what_is_kept_and_why(client, f):
    _world(f)
    login(client, f.user("director", f.school_a))
    resp = client.submit("/privacy/subject/erase", {"kind": "student", "name": NAME, "confirm": "y"},
                         page="/privacy/subject", follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert "the accident register keeps the injury and the first aid without the name" in page


def test_the_names_of_anonymised_children_are_never_matched(f):
    klass = _class(f, "5А")
    gone = _on_list(f.school_a, klass, "Асанов Бакыт", [])
    # what the retention sweep leaves: "— <id>" (the id is not a name, nor is the dash)
    gone.full_name, gone.name_key, gone.anonymised_dt = f"— {gone.id}", "", now_utc()
    db.session.flush()
    for query in (str(gone.id), f"— {gone.id}", "—"):
        with pytest.raises(search.ServiceError) as err:
            search.find(f.school_a, search.Subject("student", name=query))
        assert err.value.field == "name"


def test_a_longer_name_is_counted_not_included(client, f):
    klass = _class(f, "5А")
    _on_list(f.school_a, klass, NAME, [])
    _on_list(f.school_a, klass, "Асанов Бакыт Маратович", [])
    _on_list(f.school_a, klass, "Асанов Бакыт 2", [])  # a namesake the school numbered
    found = search.find(f.school_a, search.Subject("student", name=NAME))
    assert [s.full_name for s in found.students] == [NAME] and found.near == 2
    login(client, f.user("director", f.school_a))
    page = client.submit("/privacy/subject", {"kind": "student", "name": NAME}).get_data(as_text=True)
    assert "2 more records hold a longer name with these words" in page
    assert "Маратович" not in page and "Бакыт 2" not in page
    found = search.find(f.school_a, search.Subject("student", name="Асанов Бакыт 2"))
    assert [s.full_name for s in found.students] == ["Асанов Бакыт 2"]


def test_a_staff_members_dossier_leaves_out_the_children_and_visitors_in_their_records(client, f):
    w = _world(f)
    nurse = f.user("nurse", f.school_a)
    guard = f.user("guard", f.school_a)
    w["injury"].first_aid_by_id = nurse.id
    w["handed"].staff_id = nurse.id
    w["late"].guard_id = guard.id
    db.session.flush()
    login(client, f.user("director", f.school_a))
    for person, table in ((nurse, "incident_injuries"), (nurse, "drill_handovers"), (guard, "gate_entries")):
        resp = client.submit("/privacy/subject/export", {"kind": "staff", "user_id": person.id, "fmt": "json"},
                             page="/privacy/subject")
        dump = resp.get_data(as_text=True)
        records = next(s for s in json.loads(dump)["sections"] if s["key"] == "records")["records"]
        assert table in {r["table"] for r in records}
        for name in ("Асанов", "Asanov", "Асанова Айгүл", "Тамандын чыгышы"):
            assert name not in dump, (table, name)


def test_the_notice_and_the_register_name_the_childrens_injuries_and_the_squad(client, f):
    login(client, f.user("teacher", f.school_a))
    page = client.get("/privacy").get_data(as_text=True)
    assert "Injuries at school" in page and "36 months after the incident" in page
    assert "Young traffic inspectors squad: students' names only with a parent's written consent" in page
    assert "365 days" in page
    login(client, f.user("director", f.school_a))
    page = client.get("/privacy/register").get_data(as_text=True)
    assert "Injuries at school" in page and "Young traffic inspectors squad" in page
