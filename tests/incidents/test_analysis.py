"""Analysis (charts and the list behind each bar) and retention (anonymisation sweep)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import time_machine

from safetyops.extensions import db
from safetyops.incidents import analysis, services
from safetyops.incidents.jobs import anonymise
from safetyops.incidents.models import IncidentSettings, RoadIncident


def _at(y, m, d, hh, mm=0):
    """A Bishkek wall time as UTC."""
    return dt.datetime(y, m, d, hh, mm, tzinfo=dt.timezone(dt.timedelta(hours=6))).astimezone(dt.UTC)


def _data(f):
    k2 = f.school_class(f.school_a, name="2А", grade=2)
    k8 = f.school_class(f.school_a, name="8Б", grade=8)
    f.road_incident(occurred_dt=_at(2025, 3, 4, 7, 45), place="Ахунбаев / Токтогул", klass=k2)
    f.road_incident(occurred_dt=_at(2025, 3, 20, 13, 30), place="ахунбаев  — токтогул", klass=k8, mode="cyclist")
    f.road_incident(occurred_dt=_at(2025, 10, 2, 18, 0), place="Жибек Жолу 12", klass=k8, severity="serious",
                    measures="Crossing guard asked for")
    f.road_incident(occurred_dt=_at(2024, 12, 31, 23, 0), place="Ахунбаев / Токтогул")  # the year before
    f.road_incident(f.school_b, occurred_dt=_at(2025, 3, 5, 8, 0), place="Ахунбаев / Токтогул")


def test_the_analysis_counts_by_month_place_mode_age_and_time(f):
    _data(f)
    a = analysis.analyse(f.school_a, 2025)
    assert a.total == 3 and a.serious == 1 and a.with_measures == 1 and a.on_school_route == 3
    charts = {c.key: c for c in a.charts}
    assert [b.count for b in charts["month"].bars] == [0, 0, 2, 0, 0, 0, 0, 0, 0, 1, 0, 0]
    place = charts["place"].bars
    assert (place[0].count, place[0].is_hot) == (2, True)  # spelled two ways, one place, highlighted
    assert [b.label for b in a.hot_places] == ["Ахунбаев / Токтогул"]
    assert not place[1].is_hot
    assert {b.args["mode"]: b.count for b in charts["mode"].bars}["cyclist"] == 1
    assert {b.args["age"]: b.count for b in charts["age"].bars} == {"primary": 1, "middle": 2, "senior": 0}
    bands = {b.args["band"]: b.count for b in charts["band"].bars}
    assert bands == {"night": 0, "morning": 1, "day": 0, "afternoon": 1, "evening": 1}


def test_each_bar_opens_the_list_behind_it(client, f, as_role):
    _data(f)
    as_role("deputy")
    html = client.get("/incidents/analysis?year=2025").get_data(as_text=True)
    assert "<svg" in html and "Places where it happens again" in html
    assert 'href="/incidents?year=2025&amp;place=' in html
    hot = services.place_key("Ахунбаев / Токтогул")
    listing = client.get("/incidents", query_string={"year": 2025, "place": hot}).get_data(as_text=True)
    assert listing.count('class="list-item"') == 2
    march = client.get("/incidents?month=2025-03").get_data(as_text=True)
    assert march.count('class="list-item"') == 2
    evening = client.get("/incidents?year=2025&band=evening").get_data(as_text=True)
    assert evening.count('class="list-item"') == 1 and "Жибек Жолу 12" in evening


def test_bad_filter_values_are_ignored_not_500(client, f, as_role):
    as_role("director")
    for qs in ("year=abc", "month=13-99", "month=2025-13", "mode=rocket", "grade=x", "band=noon"):
        assert client.get(f"/incidents?{qs}").status_code == 200, qs
    assert client.get("/incidents/analysis?year=1066").status_code == 200


def test_names_and_coordinates_are_wiped_after_the_retention_period_once(f):
    old = f.road_incident(occurred_dt=_at(2023, 1, 10, 8), name="Old Name", latitude=42.8, longitude=74.6)
    recent = f.road_incident(occurred_dt=_at(2026, 1, 10, 8), name="Recent Name")
    other = f.road_incident(f.school_b, occurred_dt=_at(2025, 6, 1, 8), name="Other Name")
    db.session.add(IncidentSettings(school_id=f.school_b.id, retention_months=12))
    db.session.flush()
    now = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
    with time_machine.travel(now, tick=False):
        assert services.anonymise_due(now) == 2
        for i in (old, recent, other):
            db.session.refresh(i)
        assert (old.student_name, old.latitude, old.is_anonymised, old.place) == ("", None, True,
                                                                                 "Ахунбаев / Токтогул")
        assert recent.student_name == "Recent Name" and not recent.is_anonymised
        assert other.student_name == "" and other.is_anonymised  # school B keeps names 12 months
        assert services.anonymise_due(now) == 0  # idempotent
        assert anonymise(now) == 0  # the sweep (queues no messages)


def test_an_anonymised_incident_cannot_get_its_name_back(f):
    inc = f.road_incident(occurred_dt=_at(2020, 1, 1, 8), name="Gone")
    services.anonymise_due(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    db.session.refresh(inc)
    services.save_incident(f.user("director"), f.school_a, inc, occurred_dt=inc.occurred_dt, place=inc.place,
                           student_name="Gone Again", has_consent=True, mode="pedestrian", journey="other",
                           severity="none", now=dt.datetime(2026, 1, 2, tzinfo=dt.UTC))
    assert db.session.scalar(sa.select(RoadIncident.student_name).where(RoadIncident.id == inc.id)) == ""


def test_the_sweep_is_registered_with_the_scheduler():
    from safetyops.scheduler.catalogue import load_sweeps

    assert "incidents.anonymise" in load_sweeps()
