"""The overdue view names who each late or missed check fell to (with call/SMS links) and links to
the check; the schedules page names the role (issue 14)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from safetyops.extensions import db
from safetyops.inspections import services
from safetyops.inspections.models import AssigneeKind
from safetyops.schools.models import Area
from tests.conftest import login

MONDAY_1100 = dt.datetime(2026, 11, 16, 5, 0, tzinfo=dt.UTC)  # 11:00 in Bishkek: the daily walk is overdue


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY_1100, tick=False) as traveller:
        yield traveller


def test_on_duty_then_appointee_then_role(f, clock):
    corridor, yard = f.zone(name="Коридор"), f.zone(name="Двор")
    teacher = f.user("teacher", full_name="Асанова Гүлнара", phone="+996700111222")
    officer = f.user("safety_officer", full_name="Токтогулов Бакыт", phone="+996700333444")
    f.user("safety_officer", full_name="Экинчи Офицер")
    f.appointment(user=officer, area=Area.FIRE_SAFETY)
    post = f.post(zone=corridor)
    f.shift(post=post, user=teacher, day=dt.date(2026, 11, 16))
    on_duty = f.schedule("fire_daily_walk", zone=corridor, starts_on=dt.date(2026, 11, 16),
                         assignee_kind=AssigneeKind.ON_DUTY)
    by_role = f.schedule("fire_daily_walk", zone=yard, starts_on=dt.date(2026, 11, 16))
    db.session.commit()
    view = services.overdue_view(f.school_a, now=MONDAY_1100)
    people = {d.schedule.id: ([u.full_name for u in d.people], d.people_how) for d in view.checks}
    assert people[on_duty.id] == (["Асанова Гүлнара"], "on_duty")
    # no roster in the yard: the fire-safety appointee, not every safety officer
    assert people[by_role.id] == (["Токтогулов Бакыт"], "appointee")


def test_role_when_nobody_is_appointed_and_the_named_person(f, clock):
    a = f.user("safety_officer", full_name="Бир")
    b = f.user("safety_officer", full_name="Эки")
    by_role = f.schedule("territory_daily_guard", starts_on=dt.date(2026, 11, 16), assignee_role="safety_officer")
    named = f.schedule("fire_daily_walk", starts_on=dt.date(2026, 11, 16), assignee_kind=AssigneeKind.PERSON,
                       assignee_user_id=b.id)
    db.session.commit()
    view = services.overdue_view(f.school_a, now=MONDAY_1100)
    people = {d.schedule.id: ([u.id for u in d.people], d.people_how) for d in view.checks}
    assert people[by_role.id] == (sorted([a.id, b.id], key=lambda i: {a.id: "Бир", b.id: "Эки"}[i]), "role")
    assert people[named.id] == ([b.id], "person")


def test_overdue_page_shows_the_person_with_call_and_sms_links_and_links_the_check(client, f, clock):
    officer = f.user("safety_officer", full_name="Токтогулов Бакыт", phone="+996700333444")
    f.appointment(user=officer, area=Area.FIRE_SAFETY)
    sched = f.schedule("fire_daily_walk", starts_on=dt.date(2026, 11, 9))
    db.session.commit()
    login(client, f.user("director", locale="ru"))
    html = client.get("/inspections/overdue").get_data(as_text=True)
    assert "Токтогулов Бакыт" in html
    assert 'href="tel:+996700333444"' in html and 'href="sms:+996700333444"' in html
    assert f"/inspections/schedules/{sched.id}" in html


def test_overdue_people_in_a_fixed_number_of_statements(f, clock):
    from sqlalchemy import event

    def statements(n_schedules: int) -> int:
        for i in range(n_schedules - len(services.active_schedules(f.school_a))):
            zone = f.zone(name=f"Z{i}-{n_schedules}")
            f.shift(post=f.post(zone=zone), day=dt.date(2026, 11, 16))
            f.schedule("fire_daily_walk", zone=zone, starts_on=dt.date(2026, 11, 16),
                       assignee_kind=AssigneeKind.ON_DUTY if i % 2 else AssigneeKind.ROLE)
        db.session.commit()
        checks = services.overdue_checks(f.school_a, MONDAY_1100)
        checks = [d for d in checks]
        seen = []
        listener = lambda *a, **k: seen.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            services.responsible_for_dues(f.school_a, checks)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert all(d.people for d in checks)
        return len(seen)

    assert statements(3) == statements(12)


def test_schedules_page_names_the_role(client, f, clock):
    f.schedule("fire_daily_walk", starts_on=dt.date(2026, 11, 16))
    f.schedule("territory_daily_guard", starts_on=dt.date(2026, 11, 16), assignee_kind=AssigneeKind.ON_DUTY,
               assignee_role="guard")
    db.session.commit()
    login(client, f.user("director", locale="en"))
    html = client.get("/inspections/schedules").get_data(as_text=True)
    assert "Everyone with a role" not in html
    assert "Teacher" in html
    assert "On duty in the zone by the roster; else: Guard" in html
