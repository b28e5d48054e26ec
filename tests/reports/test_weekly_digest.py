"""The director's weekly digest SMS (issue 14): last week's misses, once, counts only, one segment."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from safetyops.extensions import db
from safetyops.notifications.models import OutboundMessage
from safetyops.reports import jobs
from tests.reports.test_district import NOW, TODAY, clock, district  # noqa: F401 - fixtures

#: Monday 23 November 2026, 07:00 and 08:30 in Bishkek (UTC+6).
MONDAY_7 = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)
MONDAY_830 = dt.datetime(2026, 11, 23, 2, 30, tzinfo=dt.UTC)


def _messages():
    return list(db.session.scalars(sa.select(OutboundMessage).where(OutboundMessage.kind == "reports.weekly")))


def test_last_week(f):
    assert jobs.last_week(f.school_a, MONDAY_7) == (dt.date(2026, 11, 9), dt.date(2026, 11, 15))
    assert jobs.last_week(f.school_a, MONDAY_830) == (dt.date(2026, 11, 16), dt.date(2026, 11, 22))


def test_digest_of_the_week_once_with_counts_and_no_names(district, f):  # noqa: F811 - the fixture
    a, b, _other, _inspector = district
    director = f.user("director", a, phone="+996555000301", full_name="Асанова Айгүл", locale="ru")
    f.user("director", b, phone="+996555000302", locale="ky")
    # A's daily walk: done on time on the 16th, late on the 17th, missed on the 18th-20th (3 school days)
    assert jobs.digest_figures(a, dt.date(2026, 11, 16), dt.date(2026, 11, 22), MONDAY_830) == {
        "missed": 3,
        "late": 1,
        "critical": 2,
    }
    assert jobs.weekly_digest(MONDAY_830) == 2  # A's director, and B's (B has a critical deficiency open)
    assert jobs.weekly_digest(MONDAY_830 + dt.timedelta(hours=1)) == 0  # once a week
    msgs = {m.user_id: m for m in _messages()}
    mine = msgs[director.id]
    assert "16.11" in mine.body and "3" in mine.body and "Асанова" not in mine.body
    assert mine.locale == "ru" and len(mine.body) <= 70
    assert len(msgs) == 2


def test_nothing_to_tell_sends_nothing(f):
    f.user("director", phone="+996555000303")
    assert jobs.weekly_digest(MONDAY_830) == 0
    assert _messages() == []


def test_before_monday_8_it_is_last_weeks_digest_only(district, f):  # noqa: F811 - the fixture
    a, _b, _other, _inspector = district
    f.user("director", a, phone="+996555000304")
    # Monday 07:00: the week of 9-15 November, before the walk started (nothing of A's checks), but the
    # critical deficiencies open now are told
    n = jobs.weekly_digest(MONDAY_7)
    assert n >= 1
    assert {m.idempotency_key.split(":")[2] for m in _messages()} == {"20261109"}
