"""Benchmark: a national data set on PostgreSQL — do the director's and the inspector's pages keep their
statement count and stay within 2× of their single-school server time? (issue 19, "Beyond one machine")

1. A fresh PostgreSQL database of its own gets the demo (`build_demo`, what `safetyops demo` writes;
   the tables from the models, as the test suite makes them): the measured school (№95), a second
   school, one district.  Each page is measured there: the "single-school" data set.
2. The measured school's district grows to --per-district (100) schools, copies of it: the "district"
   data set, measured again (the inspector's pages list every school of the district).
3. The same database grows to the national data set with bulk `INSERT … SELECT` (server-side, no rows
   through Python, so it builds in minutes): 19 more districts of 100 copies (2,000 schools in all),
   each copy with its staff and memberships, zones, assets, checklist schedules, the runs of the last
   --others-days days with their answers, gate entries (with their search words) and outbound
   messages.  Then the measured school gets one year of history: a run for every past period of
   each of its schedules (a day, a school day, a week, a month…), each with its answers, and a year
   of daily gate entries and messages.  ANALYZE, as autovacuum would.  Measured a third time.

Each measurement is in-process through the Flask test client (no network), after one warm-up
request: the SQL statements of a request (a SQLAlchemy `before_cursor_execute` counter), the median
server time of --runs requests, the part of it spent in the database driver, and the median CPU time of
this process (`time.process_time`: less sensitive than the server time to other processes on a busy
machine, but it leaves out PostgreSQL's own work).  The targets: the
same statement count everywhere, and the national time within 2× the single school's.  The district
pages' time grows with the district (2 schools against 100), not with the country: compare their
national time with the district data set's.

    .venv/bin/python bench/national.py                 # ~10-20 min on a busy 2-core machine
    .venv/bin/python bench/national.py --runs 5        # quicker timings
    [--pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--keep]   # --keep leaves the database

Prints and writes bench/results/national.json (with the load average before and after: compare
times only between runs on a quiet machine).  The scratch database is dropped at the end.
"""

# ruff: noqa: S608 - the SQL is built from the models' table names and ints and dates this script computes

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

HERE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(HERE))
RESULTS = HERE / "bench" / "results"
PASSWORD = "bench-password"

#: name -> (who signs in, path).
PAGES = {
    "director's home": ("director", "/"),
    "overdue inspections": ("director", "/inspections/overdue"),
    "gate log (guard)": ("guard", "/gate/entries"),
    "gate log (director)": ("director", "/gate/entries"),
    "inspector's home": ("inspector", "/"),
    "district comparison": ("inspector", "/reports/district?sort=on_time"),
    "district report": ("inspector", "/reports/safety?scope=district"),
}
DISTRICT_PAGES = {"inspector's home", "district comparison", "district report"}
BIG_TABLES = (
    "schools",
    "districts",
    "users",
    "memberships",
    "inspection_schedules",
    "inspection_runs",
    "inspection_answers",
    "gate_entries",
    "gate_name_words",
    "outbound_messages",
)

#: How far back one step of each frequency goes (a period of the schedule).
STEP = (
    "CASE s.frequency WHEN 'weekly' THEN interval '7 days' WHEN 'monthly' THEN interval '1 month' "
    "WHEN 'quarterly' THEN interval '3 months' WHEN 'yearly' THEN interval '1 year' ELSE interval '1 day' END"
)


def make_database(pg: str) -> tuple[str, callable]:
    base = sa.engine.make_url(pg)
    name = f"bench_scale_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop():
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


# --------------------------------------------------------------------------- bulk copies in SQL


def _python_type(column):
    try:
        return column.type.python_type
    except NotImplementedError:
        return None


class Copier:
    """`INSERT INTO t SELECT … FROM t CROSS JOIN generate_series(1, n) k`: each source row n times.

    Copy k of a row gets a new id in a fresh range (`shift`); a foreign key to a table copied in the same
    batch follows its row's copy k; a key to a person follows the person's copy when the person is copied;
    a unique text gets a k-suffix (or NULL when it may be NULL); `time_shift` moves every date and time
    back (the history of one school)."""

    def __init__(self, conn, metadata, tag: str):
        self.conn, self.md, self.tag = conn, metadata, tag
        self.shifts: dict[str, tuple[int, int, int]] = {}
        self.user_ids: list[int] = []

    def scalar(self, sql: str):
        return self.conn.exec_driver_sql(sql).scalar()

    def plan(self, table: str, source_where: str) -> bool:
        lo, hi = self.conn.exec_driver_sql(f"SELECT min(id), max(id) FROM {table} t WHERE {source_where}").one()
        if lo is None:
            return False
        base = self.scalar(f"SELECT coalesce(max(id), 0) FROM {table}")
        self.shifts[table] = (lo, base, hi - lo + 1)
        return True

    def new_id(self, table: str, expr: str) -> str:
        lo, base, stride = self.shifts[table]
        return f"({expr} - {lo} + {base} + 1 + (k - 1) * {stride})"

    def copy(
        self,
        table: str,
        source_where: str,
        n: int,
        *,
        joins: str = "",
        where: str = "",
        overrides: dict | None = None,
        time_shift: str | None = None,
        on_conflict: bool = False,
    ) -> int:
        overrides = overrides or {}
        if table not in self.shifts and not self.plan(table, source_where):
            return 0
        t = self.md.tables[table]
        single_unique = {c.name for c in t.columns if c.unique} | {
            next(iter(cons.columns)).name
            for cons in t.constraints
            if isinstance(cons, sa.UniqueConstraint) and len(cons.columns) == 1
        }
        cols, exprs = [], []
        for c in t.columns:
            col = f"t.{c.name}"
            if c.name in overrides:
                e = overrides[c.name]
            elif c.primary_key:
                e = self.new_id(table, col)
            elif c.foreign_keys:
                ref = next(iter(c.foreign_keys)).column.table.name
                if ref == "users" and self.user_ids and "users" in self.shifts:
                    e = f"CASE WHEN {col} = ANY(ARRAY{self.user_ids}) THEN {self.new_id('users', col)} ELSE {col} END"
                elif ref in self.shifts and ref != "users":
                    e = self.new_id(ref, col)
                else:
                    e = col
            elif c.name in single_unique:
                if c.nullable:
                    e = "NULL"
                elif isinstance(c.type, sa.String) and (c.type.length or 99) <= 40:
                    e = f"left(md5({col} || '/{self.tag}' || k), {min(32, c.type.length or 32)})"
                else:
                    e = f"{col} || '/{self.tag}' || k"
            elif time_shift and _python_type(c) is dt.datetime:
                e = f"({col} - k * {time_shift})"
            elif time_shift and _python_type(c) is dt.date:
                e = f"({col} - k * {time_shift})::date"
            else:
                e = col
            cols.append(c.name)
            exprs.append(e)
        sql = (
            f"INSERT INTO {table} ({', '.join(cols)}) SELECT {', '.join(exprs)} FROM {table} t {joins} "
            f"CROSS JOIN generate_series(1, {n}) AS k WHERE {source_where} {where}"
            + (" ON CONFLICT DO NOTHING" if on_conflict else "")
        )
        return self.conn.exec_driver_sql(sql).rowcount

    def reset_sequences(self) -> None:
        for table in self.md.tables:
            if "id" in self.md.tables[table].columns and self.md.tables[table].columns["id"].primary_key:
                seq = self.scalar(f"SELECT pg_get_serial_sequence('{table}', 'id')")
                if seq:
                    self.conn.exec_driver_sql(f"SELECT setval('{seq}', coalesce((SELECT max(id) FROM {table}), 1))")


def copy_school(conn, metadata, school_id: int, copies: int, district: str, tag: str, cut: dt.date) -> None:
    """`copies` copies of the school (`district`: the SQL of copy k's district), with its people and rows."""
    c = Copier(conn, metadata, tag)
    c.copy(
        "schools",
        f"t.id = {school_id}",
        copies,
        overrides={"name": f"t.name || ' / {tag}' || k", "district_id": district},
    )
    member_ids = f"SELECT user_id FROM memberships WHERE school_id = {school_id}"
    c.user_ids = list(conn.exec_driver_sql(member_ids).scalars())
    c.copy(
        "users",
        f"t.id IN ({member_ids})",
        copies,
        overrides={"username": f"t.username || '.{tag}' || k", "full_name": "t.full_name || ' ' || k"},
    )
    c.copy("memberships", f"t.school_id = {school_id}", copies)
    for table in ("zones", "assets", "inspection_schedules"):
        c.copy(table, f"t.school_id = {school_id}", copies)
    runs_where = f"t.school_id = {school_id} AND t.period_start >= DATE '{cut.isoformat()}'"
    c.copy("inspection_runs", runs_where, copies)
    c.copy("inspection_answers", f"t.run_id IN (SELECT id FROM inspection_runs t WHERE {runs_where})", copies)
    for table in ("gate_entries", "gate_name_words", "outbound_messages"):
        c.copy(table, f"t.school_id = {school_id}", copies)
    c.reset_sequences()


def grow_district(engine, metadata, school_id: int, district_id: int, per_district: int, cut: dt.date) -> float:
    """The measured school's district grows to `per_district` schools (the demo has two)."""
    t0 = time.perf_counter()
    with engine.begin() as conn:
        copy_school(conn, metadata, school_id, per_district - 2, str(district_id), "d", cut)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
    return round(time.perf_counter() - t0, 1)


def grow(
    engine,
    metadata,
    school_id: int,
    district_id: int,
    schools: int,
    per_district: int,
    others_days: int,
    today: dt.date,
) -> dict:
    """The national data set: more districts of `per_district` copies of the school, then its year."""
    copies = schools - per_district  # the measured school's district is full already
    other_districts = -(-copies // per_district)
    counts: dict = {}
    timings: dict = {}
    cut = today - dt.timedelta(days=others_days)
    with engine.begin() as conn:
        t0 = time.perf_counter()
        c = Copier(conn, metadata, "n")
        c.copy(
            "districts",
            f"t.id = {district_id}",
            other_districts,
            overrides={"name": "t.name || ' (bench ' || k || ')'"},
        )
        first_new_district = c.shifts["districts"][1] + 1
        copy_school(conn, metadata, school_id, copies, f"{first_new_district} + (k - 1) / {per_district}", "n", cut)
        timings["schools_s"] = round(time.perf_counter() - t0, 1)

        # the measured school's year: a run for every past period of each schedule (its latest done run,
        # one period back at a time), with its answers; a year of gate entries and messages, day by day.
        t0 = time.perf_counter()
        year_ago = today - dt.timedelta(days=365)
        h = Copier(conn, metadata, "h")
        latest = (
            f"t.id IN (SELECT DISTINCT ON (schedule_id) id FROM inspection_runs WHERE school_id = {school_id}"
            f" AND status = 'done' AND schedule_id IS NOT NULL ORDER BY schedule_id, period_start DESC)"
        )
        shifted = f"(t.period_start - k * {STEP})"
        h.copy(
            "inspection_runs",
            latest,
            365,
            joins="JOIN inspection_schedules s ON s.id = t.schedule_id",
            where=f"AND {shifted} >= DATE '{year_ago.isoformat()}' "
            f"AND (s.frequency <> 'school_days' OR extract(isodow FROM {shifted}) < 6)",
            time_shift=STEP,
            on_conflict=True,
        )
        new_run = h.new_id("inspection_runs", "t.run_id")
        h.copy(
            "inspection_answers",
            f"t.run_id IN (SELECT id FROM inspection_runs t WHERE {latest})",
            365,
            joins="JOIN inspection_runs r0 ON r0.id = t.run_id JOIN inspection_schedules s ON s.id = r0.schedule_id",
            where=f"AND EXISTS (SELECT 1 FROM inspection_runs r WHERE r.id = {new_run})",
            time_shift=STEP,
        )
        day = "interval '1 day'"
        h.copy(
            "gate_entries",
            f"t.school_id = {school_id}",
            365,
            time_shift=day,
            overrides={"client_id": "left(md5(t.client_id || '/h' || k), 32)"},
        )
        h.copy("gate_name_words", f"t.school_id = {school_id}", 365)
        h.copy("outbound_messages", f"t.school_id = {school_id}", 365, time_shift=day)
        timings["year_s"] = round(time.perf_counter() - t0, 1)
        h.reset_sequences()
    t0 = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
        for table in BIG_TABLES:
            total = conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar()
            mine = None
            if "school_id" in metadata.tables[table].columns:
                mine = conn.exec_driver_sql(f"SELECT count(*) FROM {table} WHERE school_id = {school_id}").scalar()
            counts[table] = {"total": total, "measured_school": mine}
        counts["inspection_answers"]["measured_school"] = conn.exec_driver_sql(
            "SELECT count(*) FROM inspection_answers a JOIN inspection_runs r ON r.id = a.run_id "
            f"WHERE r.school_id = {school_id}"
        ).scalar()
        counts["schools_in_measured_district"] = conn.exec_driver_sql(
            f"SELECT count(*) FROM schools WHERE district_id = {district_id}"
        ).scalar()
        counts["schools_without_runs"] = conn.exec_driver_sql(
            "SELECT count(*) FROM schools s WHERE NOT EXISTS (SELECT 1 FROM inspection_runs r WHERE r.school_id = s.id)"
        ).scalar()
    timings["analyze_s"] = round(time.perf_counter() - t0, 1)
    return {"rows": counts, "build": timings}


def small_district(engine, district_id: int, demo_schools: list[int]) -> dict:
    """In the national data set, the demo's own schools (the measured one with its year, and the second)
    move to a district of their own, and so does the inspector: an inspector of a district of 2 schools
    in a country of --schools, the same district as the single-school data set's."""
    with engine.begin() as conn:
        new_id = conn.execute(
            sa.text(
                "INSERT INTO districts (name, country) SELECT name || ' (2)', country FROM districts WHERE id = :d "
                "RETURNING id"
            ),
            {"d": district_id},
        ).scalar_one()
        conn.execute(
            sa.text("UPDATE schools SET district_id = :n WHERE id = ANY(:ids)"), {"n": new_id, "ids": demo_schools}
        )
        moved = conn.execute(
            sa.text("UPDATE district_memberships SET district_id = :n WHERE district_id = :d"),
            {"n": new_id, "d": district_id},
        ).rowcount
        left = conn.execute(sa.text("SELECT count(*) FROM schools WHERE district_id = :d"), {"d": district_id}).scalar()
    return {"district_id": new_id, "schools": len(demo_schools), "inspectors_moved": moved, "left_in_the_big_one": left}


# --------------------------------------------------------------------------- measuring


class Counter:
    """Statements sent and the time spent in the database driver (cursor.execute and the fetch)."""

    def __init__(self):
        self.n = 0
        self.sql_s = 0.0
        self._t0 = 0.0

    def before(self, *_args):
        self.n += 1
        self._t0 = time.perf_counter()

    def after(self, *_args):
        self.sql_s += time.perf_counter() - self._t0


def measure(app, clients: dict, runs: int, pages: dict | None = None) -> dict:
    from safetyops.extensions import db

    out = {}
    with app.app_context():
        engine = db.engine
    for name, (who, path) in (pages or PAGES).items():
        client = clients[who]
        resp = client.get(path)
        resp.get_data()
        if resp.status_code != 200:
            raise SystemExit(f"{name}: {path} answered {resp.status_code}")
        counter = Counter()
        times, cpu_times, sql_times, counts = [], [], [], []
        sa.event.listen(engine, "before_cursor_execute", counter.before)
        sa.event.listen(engine, "after_cursor_execute", counter.after)
        try:
            for _ in range(runs):
                counter.n, counter.sql_s = 0, 0.0
                c0, t0 = time.process_time(), time.perf_counter()
                client.get(path).get_data()
                times.append((time.perf_counter() - t0) * 1000)
                cpu_times.append((time.process_time() - c0) * 1000)
                sql_times.append(counter.sql_s * 1000)
                counts.append(counter.n)
        finally:
            sa.event.remove(engine, "before_cursor_execute", counter.before)
            sa.event.remove(engine, "after_cursor_execute", counter.after)
        if len(set(counts)) != 1:
            print(f"  {name}: the statement count changed between requests: {sorted(set(counts))}")
        counter.n = counts[0]
        times.sort()
        out[name] = {
            "path": path,
            "signed_in_as": who,
            "statements": counter.n,
            "server_ms_median": round(statistics.median(times), 1),
            "server_ms_min": round(times[0], 1),
            "server_ms_max": round(times[-1], 1),
            "sql_ms_median": round(statistics.median(sql_times), 1),
            "cpu_ms_median": round(statistics.median(cpu_times), 1),
            "statement_counts_seen": sorted(set(counts)),
        }
        print(
            f"  {name:22} {counter.n:4} statements  median {out[name]['server_ms_median']:8.1f} ms "
            f"(min {times[0]:.1f}, max {times[-1]:.1f}; in the database {out[name]['sql_ms_median']:.1f} ms; "
            f"CPU of this process {out[name]['cpu_ms_median']:.1f} ms)",
            flush=True,
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--pg", default=os.environ.get("SAFETYOPS_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    )
    parser.add_argument("--schools", type=int, default=2000)
    parser.add_argument("--per-district", type=int, default=100)
    parser.add_argument(
        "--others-days",
        type=int,
        default=7,
        help="runs of the last N days copied into the other schools (the measured one gets a year)",
    )
    parser.add_argument("--runs", type=int, default=15, help="requests per page for the median")
    parser.add_argument("--keep", action="store_true", help="leave the scratch database (its URL is printed)")
    parser.add_argument("--note", default="")
    args = parser.parse_args()

    from safetyops import create_app
    from safetyops.demo import SCHOOL_NAME, build_demo
    from safetyops.extensions import db
    from safetyops.schools.models import School
    from safetyops.time import school_today

    started = time.perf_counter()
    load_before = os.getloadavg()
    url, drop = make_database(args.pg)
    print("database", url, flush=True)
    try:
        app = create_app(
            {
                "DATABASE_URL": url,
                "INSTANCE_PATH": tempfile.mkdtemp(prefix="safetyops-national-"),
                "SECRET_KEY": "bench",
                "WTF_CSRF_ENABLED": False,
                "LOGIN_LIMIT_PER_ADDRESS": "100000 per minute",
                "LOGIN_LIMIT_PER_ACCOUNT_ADDRESS": "100000 per minute",
            }
        )
        t0 = time.perf_counter()
        with app.app_context():
            db.create_all()
            build_demo(PASSWORD)
            school = db.session.scalar(sa.select(School).where(School.name == SCHOOL_NAME))
            school_id, district_id, today = school.id, school.district_id, school_today(school)
            demo_schools = list(db.session.scalars(sa.select(School.id).where(School.district_id == district_id)))
            metadata = db.metadata
            engine = db.engine
            db.session.remove()
        demo_s = time.perf_counter() - t0
        clients = {}
        for who in {w for w, _p in PAGES.values()}:
            clients[who] = app.test_client()
            r = clients[who].post("/login", data={"login": who, "password": PASSWORD})
            if r.status_code != 302:
                raise SystemExit(f"sign-in of {who} answered {r.status_code}")
        print(f"single school (the demo, built in {demo_s:.0f} s):", flush=True)
        single = measure(app, clients, args.runs)
        print(f"growing the district to {args.per_district} schools…", flush=True)
        district_s = grow_district(
            engine, metadata, school_id, district_id, args.per_district, today - dt.timedelta(days=args.others_days)
        )
        print(f"built in {district_s:.0f} s; a district of {args.per_district} schools:", flush=True)
        district = measure(app, clients, args.runs)
        print(f"growing to {args.schools} schools…", flush=True)
        t0 = time.perf_counter()
        grown = grow(engine, metadata, school_id, district_id, args.schools, args.per_district, args.others_days, today)
        grow_s = time.perf_counter() - t0
        print(
            f"built in {grow_s:.0f} s: "
            + ", ".join(f"{k} {v['total']}" for k, v in grown["rows"].items() if isinstance(v, dict)),
            flush=True,
        )
        print("national:", flush=True)
        national = measure(app, clients, args.runs)
        moved = small_district(engine, district_id, demo_schools)
        print(
            f"national, the inspector's district of {moved['schools']} schools (the demo's, moved to a district of "
            "their own):",
            flush=True,
        )
        national_small = measure(app, clients, args.runs, {k: v for k, v in PAGES.items() if k in DISTRICT_PAGES})
    finally:
        if args.keep:
            print("kept", url)
        else:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
            drop()
    load_after = os.getloadavg()
    pages = {}
    for name in PAGES:
        s, d, n = single[name], district[name], national[name]
        # the same page over the same schools: a district page is compared in a district of the single data set's
        # size (2 schools), in the national data; how it grows with the district's size is reported beside it
        same = national_small.get(name, n)
        ratio = round(same["server_ms_median"] / s["server_ms_median"], 2)
        pages[name] = {
            "path": s["path"],
            "signed_in_as": s["signed_in_as"],
            "statements": {
                "single": s["statements"],
                "district": d["statements"],
                "national": n["statements"],
                "same": s["statements"] == d["statements"] == n["statements"],
            },
            "server_ms_median": {
                k: v["server_ms_median"] for k, v in (("single", s), ("district", d), ("national", n))
            },
            "sql_ms_median": {k: v["sql_ms_median"] for k, v in (("single", s), ("district", d), ("national", n))},
            "cpu_ms_median": {k: v["cpu_ms_median"] for k, v in (("single", s), ("district", d), ("national", n))},
            "time_ratio": ratio,
            "time_ratio_is": "national (the inspector's district of 2 schools) / single"
            if name in national_small
            else "national / single",
            "within_2x": ratio <= 2.0,
            "time_ratio_national_over_district": round(n["server_ms_median"] / d["server_ms_median"], 2),
            "lists_the_district": name in DISTRICT_PAGES,
            **(
                {
                    "national_small_district": {
                        "statements": same["statements"],
                        "server_ms_median": same["server_ms_median"],
                        "sql_ms_median": same["sql_ms_median"],
                        "cpu_ms_median": same["cpu_ms_median"],
                    },
                    "time_ratio_district_of_100_over_2": round(d["server_ms_median"] / s["server_ms_median"], 2),
                }
                if name in national_small
                else {}
            ),
            "detail": {
                "single": s,
                "district": d,
                "national": n,
                **({"national_small": same} if name in national_small else {}),
            },
        }
    cpus = os.cpu_count() or 1
    doc = {
        "benchmark": "national",
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": cpus,
            "python": platform.python_version(),
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in load_after],
            "busy": max(load_before[0], load_after[0]) > cpus * 0.5,
        },
        "settings": {
            "schools": args.schools,
            "per_district": args.per_district,
            "others_days": args.others_days,
            "runs": args.runs,
            "database": "postgresql",
        },
        "single_school": "the demo: the measured school, a second school, one district of 2 schools",
        "district": "the measured school's district grown to --per-district schools (copies of it), nothing else",
        "national": "--schools schools in districts of --per-district, and the measured school's year of history",
        "district_pages": "list every school of the inspector's district, so their time grows with the district's "
        "size (time_ratio_district_of_100_over_2) and their statement count must not; their time_ratio compares "
        "the same district of 2 schools in the single and the national data sets (national_small_district: the "
        "demo's two schools and the inspector moved to a district of their own after the national measurement)",
        "national_small_district": moved,
        "data": grown,
        "district_build_s": district_s,
        "demo_build_s": round(demo_s, 1),
        "national_build_s": round(grow_s, 1),
        "total_s": round(time.perf_counter() - started, 1),
        "note": args.note,
        "pages": pages,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "national.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1, default=str) + "\n")
    print(
        f"\nload average before {doc['machine']['loadavg_before']}, after {doc['machine']['loadavg_after']} "
        f"({cpus} CPUs{'; BUSY machine: compare times only with a quiet run' if doc['machine']['busy'] else ''})"
    )
    for name, r in pages.items():
        st, ms, db_ms = r["statements"], r["server_ms_median"], r["sql_ms_median"]
        if "national_small_district" in r:
            small = r["national_small_district"]
            print(
                f"{name:22} district of 2: statements {st['single']}/{small['statements']}  median ms "
                f"{ms['single']:.0f}/{small['server_ms_median']:.0f} national/single ×{r['time_ratio']}; "
                f"a district of 100 over 2 ×{r['time_ratio_district_of_100_over_2']}"
            )
        print(
            f"{name:22} statements {st['single']}/{st['district']}/{st['national']} "
            f"{'same' if st['same'] else 'DIFFERENT'}  median ms {ms['single']:.0f}/{ms['district']:.0f}/"
            f"{ms['national']:.0f} (in the database {db_ms['single']:.0f}/{db_ms['district']:.0f}/"
            f"{db_ms['national']:.0f})  national/single ×{round(ms['national'] / ms['single'], 2)}, "
            f"national/district ×{r['time_ratio_national_over_district']}"
        )
    print("(single school / a district of", args.per_district, "/ national)")
    print(f"written to {RESULTS / 'national.json'} in {doc['total_s']} s")


if __name__ == "__main__":
    main()
