"""Gate log at scale on PostgreSQL: "on site now", a name search and the daily report.

Builds a database of its own (dropped at the end) with N gate entries (default 2,000,000) spread
over S schools (default 100) and the last 90 days (the default retention), inserted in one
`INSERT … SELECT generate_series(…)` statement; one entry in 499 was never signed out, and a
fifth of the last three hours' entries are still inside.  Then times,
in-process through the same service functions the pages call (median and p95 over R runs, each
on a different school):

- `on_site_now(school)`              the guard's home page and the drills' evacuation list
- `search(school, "<surname>")`      the director's name search over every day kept
- `recent_visitors(school, "<2 letters>")` the suggestion list while the guard types
- `daily_report(school, day)`        the director's daily access-regime report
- `day_counts(school, day)`          the inspector's counts

Usage: python bench/gate_log.py [--entries 2000000] [--schools 100] [--runs 30]
       [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]
Writes bench/results/gate_log.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

SURNAMES = ["ivanov", "petrov", "sidorov", "jumabaev", "asanov", "omurbekov", "kim", "li", "toktogulov", "sadykov",
            "abdyldaev", "beishenaliev", "mamytov", "usenov", "kadyrov", "nurbekov", "osmonov", "satybaldiev",
            "alymkulov", "bekmuratov", "eshimov", "kuznecov", "smirnov", "orozbekov", "turdaliev"]
FIRST = ["ivan", "petr", "erlan", "bakyt", "aigul", "ainura", "nurlan", "talant", "elena", "olga", "azamat",
         "dinara", "jildiz", "bermet", "emir", "alina", "sergei", "marat", "gulnara", "tilek"]


def timed(fn, args_list) -> dict:
    times = []
    for args in args_list:
        t0 = time.perf_counter()
        fn(*args)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return {"median_ms": round(statistics.median(times), 2),
            "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 2), "runs": len(times)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=2_000_000)
    parser.add_argument("--schools", type=int, default=100)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--pg", default=os.environ.get("SAFETYOPS_BENCH_PG",
                                                       "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()

    base = sa.engine.make_url(args.pg)
    name = f"safetyops_bench_gate_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = base.set(database=name).render_as_string(hide_password=False)
    import signal

    def stop(*_):
        raise SystemExit(1)  # runs the `finally` below: the bench database is dropped

    signal.signal(signal.SIGTERM, stop)
    try:
        results = run(url, args)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
    out = Path(__file__).parent / "results" / "gate_log.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(results, indent=2, ensure_ascii=False))


def run(url: str, args) -> dict:
    from safetyops import create_app
    from safetyops.extensions import db
    from safetyops.gate import services
    from safetyops.schools.models import District, School
    from safetyops.time import now_utc

    tmp = tempfile.mkdtemp()
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": tmp, "SECRET_KEY": "bench"})
    results: dict = {"entries": args.entries, "schools": args.schools, "database": "postgresql"}
    with app.app_context():
        db.create_all()
        district = District(name="Bench", country="KG")
        db.session.add(district)
        db.session.flush()
        db.session.add_all([School(district_id=district.id, name=f"School {i}", timezone="Asia/Bishkek")
                            for i in range(args.schools)])
        db.session.commit()
        ids = list(db.session.scalars(sa.select(School.id).order_by(School.id)))
        lo, n_schools = ids[0], len(ids)
        now = now_utc().replace(microsecond=0)
        span = 90 * 86400
        from safetyops.gate.models import GateEntry, GateNameWord

        # bulk load without secondary indexes, then build them (as a restore would)
        indexes = [ix for t in (GateEntry.__table__, GateNameWord.__table__) for ix in t.indexes]
        for ix in indexes:
            ix.drop(db.session.connection())
        db.session.commit()
        t0 = time.perf_counter()
        # a bulk load: foreign-key triggers off for this session (the generated rows are valid by construction)
        db.session.execute(sa.text("SET session_replication_role = replica"))
        surnames = "(ARRAY[" + ",".join(f"'{s}'" for s in SURNAMES) + "])"
        firsts = "(ARRAY[" + ",".join(f"'{s}'" for s in FIRST) + "])"
        db.session.execute(sa.text(f"""
            INSERT INTO gate_entries (school_id, client_id, kind, name, name_key, doc_type, doc_last4, purpose,
                vehicle_plate, in_dt, out_dt, has_photo_consent, is_refused, created_dt)
            SELECT :lo + (g % :ns), 'b' || g,
                   (ARRAY['visitor','visitor','parent','parent','contractor','delivery','vehicle','staff_late',
                          'student_late','student_early'])[1 + g % 10],
                   nm, nm, 'id_card', lpad((g % 10000)::text, 4, '0'), 'bench', '',
                   t, CASE WHEN g % 499 = 0 OR (t > :now - interval '3 hours' AND g % 5 = 0) THEN NULL
                          ELSE t + interval '40 minutes' END, false, false, t
            FROM (SELECT g,
                         {surnames}[1 + ((g / 100) * 7919) % {len(SURNAMES)}] || ' '
                           || {firsts}[1 + ((g / 700) * 104729) % {len(FIRST)}] || ' '
                           || ((g / 97) % 1000)::text AS nm,
                         :now - make_interval(secs => (g * 7 + (g % 13) * 3600) % :span) AS t
                  FROM generate_series(1::bigint, :n) AS g) s
        """), {"lo": lo, "ns": n_schools, "n": args.entries, "now": now, "span": span})  # noqa: S608
        db.session.commit()
        results["insert_entries_s"] = round(time.perf_counter() - t0, 1)
        t0 = time.perf_counter()
        db.session.execute(sa.text(
            "INSERT INTO gate_name_words (school_id, entry_id, word) "
            "SELECT school_id, id, unnest(string_to_array(name_key, ' ')) FROM gate_entries"))
        db.session.commit()
        results["insert_words_s"] = round(time.perf_counter() - t0, 1)
        db.session.execute(sa.text("SET session_replication_role = DEFAULT"))
        t0 = time.perf_counter()
        for ix in indexes:
            ix.create(db.session.connection())
        db.session.commit()
        results["build_indexes_s"] = round(time.perf_counter() - t0, 1)
        t0 = time.perf_counter()
        db.session.execute(sa.text("ANALYZE gate_entries"))
        db.session.execute(sa.text("ANALYZE gate_name_words"))
        db.session.commit()
        results["analyze_s"] = round(time.perf_counter() - t0, 1)
        results["table_size"] = db.session.scalar(sa.text(
            "SELECT pg_size_pretty(pg_total_relation_size('gate_entries') "
            "+ pg_total_relation_size('gate_name_words'))"))

        schools = list(db.session.scalars(sa.select(School).order_by(School.id)))
        picks = [schools[(i * 37) % len(schools)] for i in range(args.runs)]
        today = services.local_now(schools[0], now).date()
        days = [today - dt.timedelta(days=1 + i % 60) for i in range(args.runs)]
        results["on_site_now"] = timed(lambda s: services.on_site_now(s), [(s,) for s in picks])
        results["on_site_now_rows"] = statistics.median(len(services.on_site_now(s)) for s in picks)
        results["name_search"] = timed(lambda s, q: services.search(s, q, limit=100),
                                       [(s, SURNAMES[i % len(SURNAMES)]) for i, s in enumerate(picks)])
        results["name_search_rare"] = timed(lambda s, q: services.search(s, q, limit=100),
                                            [(s, f"{SURNAMES[i % len(SURNAMES)]} {FIRST[i % len(FIRST)]} {i}")
                                             for i, s in enumerate(picks)])
        results["suggest"] = timed(lambda s, q: services.recent_visitors(s, q, limit=8),
                                   [(s, SURNAMES[i % len(SURNAMES)][:2]) for i, s in enumerate(picks)])
        results["daily_report"] = timed(lambda s, d: services.daily_report(s, d),
                                        list(zip(picks, days, strict=True)))
        results["daily_report_entries"] = services.daily_report(picks[0], days[0]).total
        results["day_counts"] = timed(lambda s, d: services.day_counts(s, d), list(zip(picks, days, strict=True)))
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()
    return results


if __name__ == "__main__":
    main()
