"""The daily access-regime report (the day's numbers, late staff, visitors not signed out, watchlist hits, night
rounds), the inspector's counts (numbers only, no names) and the day's journal (its entries, oldest first)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from ..extensions import db
from ..schools.models import School
from .models import VISIT_KINDS, EntryKind, GateEntry
from .rounds import RoundSlot, night_rounds
from .settings import day_bounds


def entries_between(school: School, start: dt.datetime, end: dt.datetime, *, offset: int = 0,
                    limit: int | None = None) -> list[GateEntry]:
    """Entries in [start, end), oldest first, with their host and guards (a page with `offset`/`limit`)."""
    return list(db.session.scalars(
        sa.select(GateEntry).where(GateEntry.school_id == school.id, GateEntry.in_dt >= start, GateEntry.in_dt < end)
        .options(sa.orm.selectinload(GateEntry.host), sa.orm.selectinload(GateEntry.guard),
                 sa.orm.selectinload(GateEntry.out_guard))
        .order_by(GateEntry.in_dt, GateEntry.id).offset(offset).limit(limit)))


def day_entries(school: School, day: dt.date) -> list[GateEntry]:
    return entries_between(school, *day_bounds(school, day))


@dataclass
class DailyReport:
    day: dt.date
    by_kind: dict[EntryKind, int]
    total: int
    late_staff: list[GateEntry]
    not_signed_out: list[GateEntry]
    refused: int
    watch_hits: list[GateEntry]
    rounds: list[RoundSlot]
    entries: list[GateEntry]

    @property
    def rounds_done(self) -> int:
        return sum(s.count("done") for s in self.rounds)

    @property
    def rounds_late(self) -> int:
        return sum(s.count("late") for s in self.rounds)

    @property
    def rounds_missed(self) -> int:
        return sum(s.count("missed") for s in self.rounds)


def daily_report(school: School, day: dt.date, now: dt.datetime | None = None, *, offset: int = 0,
                 limit: int | None = None) -> DailyReport:
    """The day's numbers (counted by the database), its late staff, visitors not signed out and watchlist
    hits, its night rounds, and its journal (`entries`: a page of it with `offset`/`limit`)."""
    start, end = day_bounds(school, day)
    in_day = (GateEntry.school_id == school.id, GateEntry.in_dt >= start, GateEntry.in_dt < end)
    by_kind = {k: 0 for k in EntryKind}
    refused = 0
    for kind, n, n_refused in db.session.execute(
            sa.select(GateEntry.kind, sa.func.count(), sa.func.sum(sa.case((GateEntry.is_refused.is_(True), 1),
                                                                           else_=0)))
            .where(*in_day).group_by(GateEntry.kind)):
        by_kind[EntryKind(kind)] = n
        refused += n_refused or 0
    visits = [k.value for k in VISIT_KINDS]
    notable = list(db.session.scalars(
        sa.select(GateEntry).where(*in_day, sa.or_(
            GateEntry.kind == EntryKind.STAFF_LATE, GateEntry.watchlist_id.is_not(None),
            sa.and_(GateEntry.out_dt.is_(None), GateEntry.kind.in_(visits))))
        .order_by(GateEntry.in_dt, GateEntry.id)))
    return DailyReport(
        day=day, by_kind=by_kind, total=sum(by_kind.values()),
        late_staff=[e for e in notable if e.kind is EntryKind.STAFF_LATE],
        not_signed_out=[e for e in notable if e.out_dt is None and e.kind in VISIT_KINDS],
        refused=refused,
        watch_hits=[e for e in notable if e.watchlist_id is not None],
        rounds=night_rounds(school, day, now), entries=entries_between(school, start, end, offset=offset, limit=limit),
    )


def day_counts(school: School, day: dt.date, now: dt.datetime | None = None) -> dict:
    """Numbers only, no names: what the district inspector sees."""
    start, end = day_bounds(school, day)
    rows = db.session.execute(
        sa.select(GateEntry.kind, sa.func.count(), sa.func.count(GateEntry.watchlist_id),
                  sa.func.sum(sa.case((GateEntry.out_dt.is_(None), 1), else_=0)))
        .where(GateEntry.school_id == school.id, GateEntry.in_dt >= start, GateEntry.in_dt < end)
        .group_by(GateEntry.kind)).all()
    by_kind = {k: 0 for k in EntryKind}
    hits = open_ = 0
    for kind, n, h, o in rows:
        by_kind[EntryKind(kind)] = n
        hits += h or 0
        if EntryKind(kind) in VISIT_KINDS:
            open_ += o or 0
    slots = night_rounds(school, day, now)
    return {"day": day, "by_kind": by_kind, "total": sum(by_kind.values()), "watch_hits": hits,
            "not_signed_out": open_, "rounds_done": sum(s.count("done") for s in slots),
            "rounds_late": sum(s.count("late") for s in slots),
            "rounds_missed": sum(s.count("missed") for s in slots)}
