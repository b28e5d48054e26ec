"""The roster planner: pure Python, no database, so it can be tested by properties and timed.

Greedy over the slots in time order (scarcest post first within a day): each slot goes to
the eligible person with the fewest shifts so far (then the longest since their last one,
then a seeded random tie-break).  Hard rules: eligible role, not unavailable that day, no
overlap, at most `max_per_week` shifts per ISO week, `rest_hours` off after a night shift.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field

#: Why a person could not take a slot (first rule that failed, in this order).
ROLE, UNAVAILABLE, WEEK_LIMIT, BUSY, REST = "role", "unavailable", "week_limit", "busy", "rest"


@dataclass(frozen=True)
class Slot:
    post_id: int
    day: dt.date
    start: dt.datetime
    end: dt.datetime
    roles: frozenset[str]
    is_night: bool = False


@dataclass(frozen=True)
class Person:
    id: int
    role: str
    #: Days this person cannot be on duty.
    unavailable: frozenset[dt.date] = frozenset()


@dataclass(frozen=True)
class Busy:
    """A shift already held (kept through regeneration)."""

    person_id: int
    day: dt.date
    start: dt.datetime
    end: dt.datetime
    is_night: bool = False


@dataclass(frozen=True)
class Rules:
    max_per_week: int = 2
    rest_hours: int = 24


@dataclass
class Plan:
    assigned: list[tuple[Slot, int]] = field(default_factory=list)
    #: (slot, {reason: how many eligible-by-role people it stopped}); empty dict = nobody has the role.
    unfilled: list[tuple[Slot, dict[str, int]]] = field(default_factory=list)
    #: person id -> shifts in the range (kept + new).
    counts: dict[int, int] = field(default_factory=dict)

    @property
    def spread(self) -> int:
        return (max(self.counts.values()) - min(self.counts.values())) if self.counts else 0


class _Book:
    """What each person holds, indexed for fast checks."""

    def __init__(self, rules: Rules):
        self.rules = rules
        self.by_person: dict[int, dict[dt.date, list[Busy]]] = defaultdict(dict)
        self.week: dict[tuple[int, int, int], int] = defaultdict(int)
        reach = rules.rest_hours // 24 + 2
        self.offsets = [dt.timedelta(days=k) for k in range(-reach, reach + 1)]
        self.rest = dt.timedelta(hours=rules.rest_hours)

    def add(self, b: Busy) -> None:
        self.by_person[b.person_id].setdefault(b.day, []).append(b)
        y, w, _ = b.day.isocalendar()
        self.week[(b.person_id, y, w)] += 1

    def why_not(self, p: Person, s: Slot, week: tuple[int, int]) -> str | None:
        if p.role not in s.roles:
            return ROLE
        if s.day in p.unavailable:
            return UNAVAILABLE
        if self.week.get((p.id, *week), 0) >= self.rules.max_per_week:
            return WEEK_LIMIT
        days = self.by_person.get(p.id)
        if not days:
            return None
        rest = self.rest
        blocked_by_rest = False
        for off in self.offsets:
            for b in days.get(s.day + off, ()):
                if b.start < s.end and s.start < b.end:
                    return BUSY
                if b.is_night and b.end <= s.start < b.end + rest:
                    blocked_by_rest = True
                if s.is_night and s.end <= b.start < s.end + rest:
                    blocked_by_rest = True
        return REST if blocked_by_rest else None


def plan(slots: list[Slot], people: list[Person], kept: list[Busy], rules: Rules, seed: int = 0) -> Plan:
    rng = random.Random(seed)
    book = _Book(rules)
    role_sets = {s.roles for s in slots}
    counts = {p.id: 0 for p in people if any(p.role in r for r in role_sets)}
    last: dict[int, dt.date] = {}
    for b in kept:
        book.add(b)
        if b.person_id in counts:
            counts[b.person_id] += 1
            last[b.person_id] = max(last.get(b.person_id, b.day), b.day)
    tie = {p.id: rng.random() for p in people}
    pools = {r: [p for p in people if p.role in r] for r in role_sets}
    pool_size = {r: len(v) for r, v in pools.items()}
    result = Plan()
    for s in sorted(slots, key=lambda s: (s.day, pool_size[s.roles], s.start, s.post_id)):
        best = None
        best_key = None
        reasons: dict[str, int] = defaultdict(int)
        week = tuple(s.day.isocalendar()[:2])
        for p in pools[s.roles]:
            why = book.why_not(p, s, week)
            if why is not None:
                if why != ROLE:
                    reasons[why] += 1
                continue
            key = (counts[p.id], last.get(p.id, dt.date.min), tie[p.id])
            if best_key is None or key < best_key:
                best, best_key = p, key
        if best is None:
            result.unfilled.append((s, dict(reasons)))
            continue
        book.add(Busy(best.id, s.day, s.start, s.end, s.is_night))
        counts[best.id] += 1
        last[best.id] = s.day
        result.assigned.append((s, best.id))
    result.counts = counts
    return result
