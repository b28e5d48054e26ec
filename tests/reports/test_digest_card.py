"""The director's week on the home page (issue 14): the weekly SMS's three figures (checks missed, checks
done late, critical deficiencies open now), computed by the same function as the SMS, counted as the
safety report counts them, in a fixed couple of statements."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa
import time_machine

from safetyops import registry
from safetyops.extensions import db
from safetyops.inspections import services as insp
from safetyops.inspections.models import Run, RunStatus
from safetyops.notifications.models import OutboundMessage
from safetyops.reports import cards, jobs, services
from safetyops.schools.models import CalendarEntry, CalendarKind
from tests.conftest import login
from tests.test_statement_counts import count_statements

#: Monday 23 November 2026 in Bishkek (UTC+6): 07:00 (before the digest's 08:00) and 08:30.
MONDAY_7 = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)
MONDAY_830 = dt.datetime(2026, 11, 23, 2, 30, tzinfo=dt.UTC)
WEEK = (dt.date(2026, 11, 16), dt.date(2026, 11, 22))
#: By hand, for the week of 16-22 November (see `week`).
MISSED, LATE, CRITICAL = 3, 3, 2


def _local(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A Bishkek time in November 2026, as UTC."""
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=dt.timezone(dt.timedelta(hours=6))).astimezone(dt.UTC)


def _run(school, schedule, start: dt.date, finished: dt.datetime | None, who) -> None:
    version = insp.ensure_templates()[schedule.template_key]
    db.session.add(Run(school_id=school.id, schedule_id=schedule.id, period_start=start, version_id=version.id,
                       zone_id=schedule.zone_id, asset_id=schedule.asset_id,
                       status=RunStatus.DONE if finished else RunStatus.IN_PROGRESS, started_by_id=who.id,
                       started_dt=(finished or _local(start.day, 8)) - dt.timedelta(minutes=20),
                       finished_dt=finished, finished_by_id=who.id if finished else None))


@pytest.fixture
def week(f):
    """A Bishkek school's week of 16-22 November 2026, counted by hand:

    - the daily fire walk (school days, due 09:00): on time on the 16th, late on the 17th, not done on the 18th,
      started and left unfinished on the 19th; the 20th is a day off of the school's own (not due): 2 missed, 1 late;
    - the guard's round of the grounds (every day, due 07:45), from the 20th: on time, late, missed: 1 and 1;
    - the weekly lab check (due Friday 17:00), done on Saturday: 1 late;
    - an inactive schedule and another school's never done: not counted.
    Deficiencies open now: critical open and critical fixed (awaiting verification): 2; a critical verified, a
    major open and another school's critical: not counted."""
    school = f.school(name="№7 Ош", default_locale="ky")
    other = f.school(name="№8 Чужая")
    director = f.user("director", school, phone="+996555000701", locale="en")
    teacher = f.user("teacher", school)
    starts = dt.date(2026, 11, 16)
    walk = f.schedule("fire_daily_walk", school, starts_on=starts)
    _run(school, walk, dt.date(2026, 11, 16), _local(16, 8, 40), teacher)
    _run(school, walk, dt.date(2026, 11, 17), _local(17, 11), teacher)
    _run(school, walk, dt.date(2026, 11, 19), None, teacher)
    db.session.add(CalendarEntry(school_id=school.id, kind=CalendarKind.DAY_OFF, name="Күн",
                                 first_day=dt.date(2026, 11, 20), last_day=dt.date(2026, 11, 20)))
    guard = f.schedule("territory_daily_guard", school, starts_on=dt.date(2026, 11, 20))
    _run(school, guard, dt.date(2026, 11, 20), _local(20, 7, 30), teacher)
    _run(school, guard, dt.date(2026, 11, 21), _local(21, 9), teacher)
    lab = f.schedule("lab_waste_weekly", school, starts_on=starts)
    _run(school, lab, dt.date(2026, 11, 16), _local(21, 10), teacher)
    f.schedule("territory_daily_guard", school, starts_on=starts, is_active=False)
    f.schedule("fire_daily_walk", other, starts_on=starts)
    with time_machine.travel(_local(13, 10), tick=False):
        insp.open_action(None, school, title="c1", severity="critical", area="fire_safety")
        fixed = insp.open_action(None, school, title="c2", severity="critical", area="fire_safety")
        fixed.status = "fixed"
        verified = insp.open_action(None, school, title="c3", severity="critical", area="fire_safety")
        verified.status = "verified"
        insp.open_action(None, school, title="m1", severity="major", area="fire_safety")
        insp.open_action(None, other, title="z", severity="critical", area="fire_safety")
    db.session.commit()
    return school, director


def _card(html: str) -> str:
    """The digest card's title and lines ("" when the page has none), without the word joiners that keep the
    dates on one line."""
    found = re.search(r'<h2 class="card-title">[^<]*</h2>\s*<ul class="lines week-digest">.*?</ul>', html, re.S)
    return found.group(0).replace("\u2060", "") if found else ""


def _home(client, user, at: dt.datetime) -> str:
    """The home page of `user` at `at` (signed in then: the session cookie is dated)."""
    with time_machine.travel(at, tick=False):
        login(client, user)
        resp = client.get("/")
        assert resp.status_code == 200
        return resp.get_data(as_text=True)


def test_figures_are_the_safety_reports_and_the_hand_counted(week):
    school, _director = week
    first, last = WEEK
    figures = jobs.digest_figures(school, first, last, MONDAY_830)
    assert figures == {"missed": MISSED, "late": LATE, "critical": CRITICAL}
    report = services.safety_report(school, "week", last, MONDAY_830, dates=("week", first, last)).figures
    assert figures == {"missed": report["checks_missed"], "late": report["checks_late"],
                       "critical": report["open_critical"]}
    assert jobs.week_digest(school, MONDAY_830) == (first, last, figures)


def test_the_card_tells_what_the_sms_tells(week, client):
    school, director = week
    html = _home(client, director, MONDAY_830)
    assert "16.11\u2060–\u206022.11" in html  # never broken at the dash
    card = _card(html)
    assert "Last week: 16.11–22.11" in card
    assert f"{MISSED} checks missed" in card and f"{LATE} checks done late" in card
    assert f"{CRITICAL} critical deficiencies still open" in card
    # each line leads to where it is acted on
    assert card.count('href="/inspections/overdue#late-checks"') == 2
    assert 'href="/inspections/actions?severity=critical"' in card
    # the SMS of the same Monday: the same numbers
    db.session.rollback()
    assert jobs.weekly_digest(MONDAY_830) == 1
    sms = db.session.scalars(sa.select(OutboundMessage).where(OutboundMessage.kind == "reports.weekly")).one()
    assert sms.body == f"SafetyOps, week of 16.11: {MISSED} missed, {LATE} late, {CRITICAL} critical open"


def test_the_card_in_kyrgyz_and_russian(week, client):
    school, director = week
    director.locale = "ky"
    db.session.commit()
    card = _card(_home(client, director, MONDAY_830))
    assert "16.11–22.11" in card and f"{MISSED} текшерүү" in card
    director.locale = "ru"
    db.session.commit()
    card = _card(_home(client, director, MONDAY_830))
    assert "Прошлая неделя" in card and f"{MISSED} проверки пропущены" in card
    assert f"{CRITICAL} критических нарушения" in card


def test_nothing_to_tell_shows_no_card(f, client):
    school = f.school()
    director = f.user("director", school)
    walk = f.schedule("fire_daily_walk", school, starts_on=WEEK[0])
    for day in range(16, 21):
        _run(school, walk, dt.date(2026, 11, day), _local(day, 8), director)
    insp.open_action(None, school, title="m", severity="major", area="fire_safety", now=_local(13, 10))
    db.session.commit()
    assert jobs.week_digest(school, MONDAY_830)[2] == {"missed": 0, "late": 0, "critical": 0}
    html = _home(client, director, MONDAY_830)
    assert not _card(html)
    assert jobs.weekly_digest(MONDAY_830) == 0  # and no SMS: the same rule


def test_shown_to_the_director_and_the_deputy_not_to_a_teacher(week, client, f):
    school, director = week
    assert _card(_home(client, director, MONDAY_830))
    assert _card(_home(client, f.user("deputy", school), MONDAY_830))
    for role in ("teacher", "safety_officer", "guard"):
        assert not _card(_home(client, f.user(role, school), MONDAY_830)), role


def test_monday_before_8_shows_the_week_before(week, client):
    school, director = week
    assert jobs.last_week(school, MONDAY_7) == (dt.date(2026, 11, 9), dt.date(2026, 11, 15))
    card = _card(_home(client, director, MONDAY_7))
    # the week of 9-15 November: the schedules started on the 16th, so only the deficiencies open now
    assert "Last week: 09.11–15.11" in card
    assert "0 checks missed" in card and "0 checks done late" in card
    assert f"{CRITICAL} critical deficiencies still open" in card
    assert "Last week: 16.11–22.11" in _card(_home(client, director, MONDAY_830))


def test_the_week_is_the_schools_own(f, client):
    """At 02:30 UTC on Monday it is 08:30 in Bishkek (last week) but 07:30 in Aktobe (the week before)."""
    aktobe = f.school(timezone="Asia/Aqtobe")
    director = f.user("director", aktobe)
    insp.open_action(None, aktobe, title="c", severity="critical", area="fire_safety", now=_local(13, 10))
    db.session.commit()
    assert jobs.last_week(aktobe, MONDAY_830) == (dt.date(2026, 11, 9), dt.date(2026, 11, 15))
    assert "Last week: 09.11–15.11" in _card(_home(client, director, MONDAY_830))
    later = MONDAY_830 + dt.timedelta(hours=1)
    assert "Last week: 16.11–22.11" in _card(_home(client, director, later))


def test_sunday_night_utc_is_monday_in_bishkek(week, client):
    """Sunday 22 November 23:00 UTC is Monday 05:00 in Bishkek: still the week of 9-15 November."""
    school, director = week
    sunday_night = dt.datetime(2026, 11, 22, 23, 0, tzinfo=dt.UTC)
    assert jobs.last_week(school, sunday_night) == (dt.date(2026, 11, 9), dt.date(2026, 11, 15))
    assert "Last week: 09.11–15.11" in _card(_home(client, director, sunday_night))


def _without_the_card(app):
    return [p for p in registry.entries(registry.CARDS, app) if p is not cards.last_week_card]


def test_the_card_costs_two_statements_whatever_the_data(client, f, monkeypatch):
    """The director's home with 3 and with 30 of everything: the same statements, and the card adds two (the
    runs of the week's periods and the count of open critical deficiencies): the school's schedules and
    calendar are the ones the home's other cards read (the inspections dues of the request)."""
    counts = []
    for n in (3, 30):
        data = f.populate(n)
        login(client, data["people"]["director"])
        with client.session_transaction() as sess:
            sess["school_id"] = data["school"].id
        client.get("/").close()  # warm
        with_card, _sql, status = count_statements(client, "/")
        assert status == 200
        assert _card(client.get("/").get_data(as_text=True)), "populate() leaves misses to tell"
        with monkeypatch.context() as m:
            m.setitem(client.application.extensions, "safetyops.cards", _without_the_card(client.application))
            without, _sql, _status = count_statements(client, "/")
        counts.append((with_card, without))
    (small, small_without), (large, large_without) = counts
    assert small == large
    assert small - small_without <= 2
