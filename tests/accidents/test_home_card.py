"""The home page of those who read injuries (director, deputy, nurse) shows the injuries of the last week by
day and place, never a name or the injury; the others who read the register do not get the card."""

from __future__ import annotations

import datetime as dt

import time_machine

from safetyops.accidents import services

NOW = dt.datetime(2026, 11, 20, 6, 0, tzinfo=dt.UTC)


def _hurt(school, when, place):
    incident = services.record_incident(
        None,
        school,
        kind="injury",
        occurred_dt=when,
        place=place,
        description="Секирүүдө",
        parents_informed=True,
        ambulance=False,
        police=False,
    )
    for name in ("Асанов Бакыт", ""):
        services.add_injury(
            None,
            school,
            incident,
            class_id=None,
            person_name=name,
            consent_paper="№ 5" if name else "",
            injury="Тамандын чыгышы",
            first_aid="Муз",
        )
    return incident


def test_new_injuries_card_for_the_readers_of_injuries(client, f, as_role):
    with time_machine.travel(NOW, tick=False):
        _hurt(f.school_a, NOW - dt.timedelta(days=2), "Спорт зал")
        _hurt(f.school_a, NOW - dt.timedelta(days=30), "Ашкана")
        _hurt(f.school_b, NOW - dt.timedelta(days=1), "Коридор")
        for role in ("director", "deputy", "nurse"):
            as_role(role)
            page = client.get("/").get_data(as_text=True)
            assert "New injuries" in page and "Спорт зал" in page, role
            assert "Ашкана" not in page and "Коридор" not in page
            assert "Асанов Бакыт" not in page and "Тамандын чыгышы" not in page
            assert "/accidents?kind=injury" in page
        for role in ("safety_officer", "admin", "teacher"):
            as_role(role)
            assert "New injuries" not in client.get("/").get_data(as_text=True), role


def test_no_card_without_recent_injuries(client, f, as_role):
    with time_machine.travel(NOW, tick=False):
        _hurt(f.school_a, NOW - dt.timedelta(days=8), "Спорт зал")
        as_role("director")
        assert "New injuries" not in client.get("/").get_data(as_text=True)
