"""Road-safety briefing plans and records; pre-event briefings and the warning when one is missing."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
import time_machine

from safetyops.errors_service import ServiceError
from safetyops.extensions import db
from safetyops.incidents import services
from safetyops.incidents.models import Briefing, BriefingKind

TODAY = dt.date(2026, 11, 20)
NOON = dt.datetime(2026, 11, 20, 6, 0, tzinfo=dt.UTC)


@time_machine.travel(NOON, tick=False)
def test_an_event_without_its_briefing_warns_the_deputy_and_the_director_only(client, f, as_role):
    a = f.school_class(f.school_a, name="6А", grade=6)
    b = f.school_class(f.school_a, name="6Б", grade=6)
    event = f.school_event(classes=[a, b], held_on=TODAY + dt.timedelta(days=3), title="Ала-Арча поход")
    for role in ("deputy", "director"):
        as_role(role)
        html = client.get("/").get_data(as_text=True)
        assert "Events without a safety briefing" in html and "Ала-Арча поход" in html, role
    as_role("teacher")
    assert "Events without a safety briefing" not in client.get("/").get_data(as_text=True)
    teacher = f.user("teacher")
    for klass in (a, b):
        services.record_briefing(teacher, f.school_a, class_id=klass.id, held_on=TODAY, topic="",
                                 held_by_id=teacher.id, students_present=20, event_id=event.id, today=TODAY)
    assert services.events_missing_briefing(f.school_a, TODAY) == []
    as_role("deputy")
    assert "Events without a safety briefing" not in client.get("/").get_data(as_text=True)
    kinds = db.session.scalars(sa.select(Briefing.kind)).all()
    assert kinds == [BriefingKind.EVENT, BriefingKind.EVENT]


@time_machine.travel(NOON, tick=False)
def test_a_teacher_records_a_planned_briefing_from_the_form(client, f, as_role):
    teacher = as_role("teacher")
    klass = f.school_class(f.school_a, name="4В", grade=4, students=25, homeroom=teacher)
    item = f.briefing_plan_item(klass=klass, planned_on=dt.date(2026, 11, 10), topic="Светофор")
    assert services.overdue_plan_items(f.school_a, TODAY) == [item]
    resp = client.submit("/briefings/new", {"plan_item_id": item.id, "class_id": klass.id, "held_on": "2026-11-19",
                                            "topic": "", "held_by_id": teacher.id, "students_present": "24"},
                         page=f"/briefings/new?plan_item={item.id}")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:1500]
    held = db.session.scalar(sa.select(Briefing))
    assert (held.topic, held.plan_item_id, held.kind) == ("Светофор", item.id, BriefingKind.ROAD)
    assert services.overdue_plan_items(f.school_a, TODAY) == []
    assert "Светофор" in client.get("/briefings").get_data(as_text=True)


@time_machine.travel(NOON, tick=False)
def test_more_present_than_the_class_has_is_refused(client, f, as_role):
    teacher = as_role("teacher")
    klass = f.school_class(f.school_a, name="9А", students=20)
    resp = client.submit("/briefings/new", {"class_id": klass.id, "held_on": "2026-11-19", "topic": "Зима, гололёд",
                                            "held_by_id": teacher.id, "students_present": "31"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "class 9А has 20 students" in html and "Зима, гололёд" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Briefing)) == 0


def test_briefing_rules(f):
    actor = f.user("deputy")
    klass = f.school_class(f.school_a, students=25)
    other = f.school_class(f.school_b)
    event = f.school_event(classes=[klass], held_on=TODAY)
    cases = [
        dict(class_id=other.id, field="class_id"),  # a class of another school
        dict(held_on=TODAY + dt.timedelta(days=1), field="held_on"),  # not held yet
        dict(event_id=event.id, held_on=TODAY, field=None),  # fine: on the day of the event
    ]
    for case in cases:
        field = case.pop("field")
        args = dict(class_id=klass.id, held_on=TODAY, topic="T", held_by_id=None, students_present=5,
                    today=TODAY + dt.timedelta(days=5) if "event_id" in case else TODAY)
        args.update(case)
        if field is None:
            services.record_briefing(actor, f.school_a, **args)
            continue
        with pytest.raises(ServiceError) as err:
            services.record_briefing(actor, f.school_a, **args)
        assert err.value.field == field
    late = dict(class_id=klass.id, held_on=TODAY + dt.timedelta(days=1), topic="T", held_by_id=None,
                students_present=5, event_id=event.id, today=TODAY + dt.timedelta(days=5))
    with pytest.raises(ServiceError, match="before the event"):
        services.record_briefing(actor, f.school_a, **late)


@time_machine.travel(NOON, tick=False)
def test_plan_lines_for_several_classes_and_events_from_forms(client, f, as_role):
    as_role("safety_officer")
    a, b = f.school_class(f.school_a, name="1А", grade=1), f.school_class(f.school_a, name="1Б", grade=1)
    other = f.school_class(f.school_b, name="1В", grade=1)
    resp = client.submit("/briefings/plan/new", {"class_ids": [a.id, b.id], "topic": "Дорога в школу",
                                                 "planned_on": "2026-12-01"})
    assert resp.status_code == 302
    assert len(services.plan_for_year(f.school_a, 2026)) == 2
    resp = client.submit("/briefings/events/new", {"kind": "excursion", "title": "Музей", "held_on": "2026-12-05",
                                                   "class_ids": [a.id, other.id]})
    assert "Choose a class of this school." in resp.get_data(as_text=True)
    resp = client.submit("/briefings/events/new", {"kind": "excursion", "title": "Музей", "held_on": "2026-12-05",
                                                   "class_ids": [a.id]})
    assert resp.status_code == 302
    assert "Музей" in client.get("/briefings/events").get_data(as_text=True)


def test_the_sweep_texts_the_deputy_and_director_once_about_an_unbriefed_event(f):
    from safetyops.incidents.jobs import event_briefings
    from safetyops.notifications.models import OutboundMessage

    director = f.user("director", phone="+996555300001")
    deputy = f.user("deputy", phone="+996555300002")
    f.user("teacher", phone="+996555300003")
    klass = f.school_class(f.school_a, students=20)
    event = f.school_event(classes=[klass], held_on=TODAY + dt.timedelta(days=2))
    f.school_event(classes=[f.school_class(f.school_a)], held_on=TODAY + dt.timedelta(days=9))  # too far yet
    assert event_briefings(NOON) == 2
    assert event_briefings(NOON + dt.timedelta(hours=1)) == 0  # the same key: nothing twice
    msgs = db.session.scalars(sa.select(OutboundMessage).where(OutboundMessage.kind == "event_briefing_missing"))
    assert sorted(m.user_id for m in msgs) == sorted([director.id, deputy.id])
    services.record_briefing(deputy, f.school_a, class_id=klass.id, held_on=TODAY, topic="", held_by_id=None,
                             students_present=20, event_id=event.id, today=TODAY)
    assert event_briefings(NOON + dt.timedelta(days=1)) == 0
