"""Charts of incidents and injuries drawn on the server as SVG: people injured by month, incidents by kind,
places and grades of the injured; every bar opens the register filtered to what it counts; no name and no
injury on the page."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from urllib.parse import unquote

import time_machine

from safetyops.accidents import services

NOW = dt.datetime(2026, 11, 20, 6, 0, tzinfo=dt.UTC)


def _incident(school, when, kind="injury", place="Спорт зал", hurt=(), ambulance=False):
    incident = services.record_incident(
        None,
        school,
        kind=kind,
        occurred_dt=when,
        place=place,
        description="Окуя",
        parents_informed=True,
        ambulance=ambulance,
        police=False,
    )
    for klass in hurt:
        services.add_injury(
            None,
            school,
            incident,
            class_id=klass.id if klass else None,
            person_name="Асанов Бакыт" if klass else "",
            consent_paper="№ 5" if klass else "",
            injury="Тамандын чыгышы",
            first_aid="Муз",
        )
    return incident


def _links(page: str) -> list[str]:
    return [unquote(unescape(h)) for h in re.findall(r'href="(/accidents\?[^"]+)"', page)]


def test_charts_count_and_each_bar_opens_its_list(client, f, as_role):
    seven = f.school_class(f.school_a, name="7А", grade=7)
    five = f.school_class(f.school_a, name="5Б", grade=5)
    with time_machine.travel(NOW, tick=False):
        # 2 injured in the gym on 3 October (Bishkek time), 1 on 31 October 20:30 UTC = 1 November in Bishkek
        gym = _incident(f.school_a, dt.datetime(2026, 10, 3, 5, 0, tzinfo=dt.UTC), hurt=(seven, five), ambulance=True)
        late = _incident(f.school_a, dt.datetime(2026, 10, 31, 20, 30, tzinfo=dt.UTC), place="Шаты", hurt=(seven,))
        fight = _incident(f.school_a, dt.datetime(2026, 9, 10, 5, 0, tzinfo=dt.UTC), kind="fight", place="Коридор")
        _incident(f.school_b, dt.datetime(2026, 10, 3, 5, 0, tzinfo=dt.UTC), hurt=(None,))
        _incident(f.school_a, dt.datetime(2025, 10, 3, 5, 0, tzinfo=dt.UTC), hurt=(None,))
        a = services.analyse(f.school_a, 2026)
        assert (a.incidents, a.injured, a.ambulance) == (3, 3, 1)
        month = {b.label: b.count for b in a.charts[0].bars}
        assert (month["Oct"], month["Nov"], month["Sep"]) == (2, 1, 0)
        assert {b.label: b.count for b in a.charts[2].bars} == {"Спорт зал": 2, "Шаты": 1}
        assert {b.label: b.count for b in a.charts[3].bars} == {"Grade 5": 1, "Grade 7": 2}
        for role in ("safety_officer", "inspector", "nurse"):
            as_role(role)
            page = client.get("/accidents/analysis?year=2026").get_data(as_text=True)
            assert "<svg" in page and "Асанов Бакыт" not in page and "Тамандын чыгышы" not in page
            links = _links(page)
            assert "/accidents?kind=injury&month=2026-11" in links
            assert "/accidents?year=2026&kind=fight" in links
            assert "/accidents?year=2026&kind=injury&place=Шаты" in links
            assert "/accidents?year=2026&kind=injury&grade=7" in links

        def ids(url):
            page = client.get(url).get_data(as_text=True)
            return {int(i) for i in re.findall(r'href="/accidents/(\d+)"', page)}

        assert ids("/accidents?kind=injury&month=2026-11") == {late.id}
        assert ids("/accidents?kind=injury&month=2026-10") == {gym.id}
        assert ids("/accidents?year=2026&kind=fight") == {fight.id}
        assert ids("/accidents?year=2026&kind=injury&grade=5") == {gym.id}
        assert ids("/accidents?year=2026&kind=injury&place=Шаты") == {late.id}
        assert ids("/accidents?month=2026-13&grade=x") == {gym.id, late.id, fight.id} | ids("/accidents?year=2025")
        assert client.get("/accidents?year=99999").status_code == 400
        as_role("teacher")
        assert client.get("/accidents/analysis").status_code == 403
