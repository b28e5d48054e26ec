"""Generated rosters, checked by properties: no overlaps, every rule held, loads within one."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from safetyops.rosters import planner

START = dt.date(2026, 9, 1)
UTC = dt.UTC

post_st = st.tuples(
    st.integers(min_value=0, max_value=23),  # start hour
    st.integers(min_value=1, max_value=14),  # length in hours
    st.sampled_from(["teacher", "guard"]),
)


def _slots(posts, days):
    out = []
    for d in range(days):
        day = START + dt.timedelta(days=d)
        for pid, (hour, length, role) in enumerate(posts):
            start = dt.datetime.combine(day, dt.time(hour), tzinfo=UTC)
            end = start + dt.timedelta(hours=length)
            out.append(planner.Slot(pid, day, start, end, frozenset({role}), is_night=end.date() > day))
    return out


@settings(max_examples=60, deadline=None)
@given(
    posts=st.lists(post_st, min_size=1, max_size=5),
    days=st.integers(min_value=1, max_value=21),
    teachers=st.integers(min_value=0, max_value=8),
    guards=st.integers(min_value=0, max_value=4),
    max_per_week=st.integers(min_value=0, max_value=6),
    rest=st.sampled_from([0, 12, 24]),
    away=st.sets(st.tuples(st.integers(0, 11), st.integers(0, 20)), max_size=15),
    seed=st.integers(0, 5),
)
def test_every_rule_holds(posts, days, teachers, guards, max_per_week, rest, away, seed):
    people = []
    for i in range(teachers + guards):
        off = frozenset(START + dt.timedelta(days=d) for p, d in away if p == i)
        people.append(planner.Person(i, "teacher" if i < teachers else "guard", off))
    slots = _slots(posts, days)
    result = planner.plan(slots, people, [], planner.Rules(max_per_week, rest), seed)

    assert len(result.assigned) + len(result.unfilled) == len(slots)
    by_person = defaultdict(list)
    role = {p.id: p for p in people}
    for slot, pid in result.assigned:
        assert role[pid].role in slot.roles
        assert slot.day not in role[pid].unavailable
        by_person[pid].append(slot)
    for mine in by_person.values():
        mine.sort(key=lambda s: s.start)
        for a, b in zip(mine, mine[1:], strict=False):
            assert a.end <= b.start, "overlap"
        weeks = defaultdict(int)
        for s in mine:
            weeks[s.day.isocalendar()[:2]] += 1
        assert max(weeks.values()) <= max_per_week
        for night in [s for s in mine if s.is_night]:
            assert not [s for s in mine if night.end <= s.start < night.end + dt.timedelta(hours=rest)]
    # An unfilled slot names why (or nobody had the role).
    for slot, reasons in result.unfilled:
        eligible = [p for p in people if p.role in slot.roles]
        assert sum(reasons.values()) == len(eligible)


@settings(max_examples=60, deadline=None)
@given(
    n_posts=st.integers(min_value=1, max_value=4),
    days=st.integers(min_value=1, max_value=30),
    staff=st.integers(min_value=2, max_value=15),
    seed=st.integers(0, 5),
)
def test_loads_within_one_when_nothing_stands_in_the_way(n_posts, days, staff, seed):
    # Daytime posts that do not overlap each other: one pool, no limits, nobody away.
    posts = [(7 + 2 * i, 2, "teacher") for i in range(n_posts)]
    slots = _slots(posts, days)
    people = [planner.Person(i, "teacher") for i in range(staff)]
    result = planner.plan(slots, people, [], planner.Rules(max_per_week=99, rest_hours=0), seed)
    assert result.unfilled == []
    assert result.spread <= 1
    assert sum(result.counts.values()) == len(slots)
