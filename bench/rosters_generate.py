"""Benchmark: generate a term roster for 120 staff × 10 posts × 100 school days.

Builds a school in a fresh database (SQLite file by default; PostgreSQL with
--database postgresql+psycopg://postgres@127.0.0.1:5432/test — a scratch database is created
and dropped), then times `rosters.services.generate` (planning + writing 1000 shifts), a
regeneration over the same range, and publishing.  Prints the numbers and writes
bench/results/rosters_generate.json.

    python bench/rosters_generate.py [--database URL] [--staff 120] [--days 100]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def school_days(start: dt.date, n: int) -> list[dt.date]:
    out, d = [], start
    while len(out) < n:
        if d.weekday() < 5:
            out.append(d)
        d += dt.timedelta(days=1)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--database", default="")
    ap.add_argument("--staff", type=int, default=120)
    ap.add_argument("--days", type=int, default=100)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "rosters_generate.json"))
    args = ap.parse_args()

    scratch = None
    if args.database.startswith("postgresql"):
        base = sa.engine.make_url(args.database)
        scratch = f"bench_rosters_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.exec_driver_sql(f'CREATE DATABASE "{scratch}"')
        url = base.set(database=scratch).render_as_string(hide_password=False)
    else:
        url = "sqlite:///" + str(Path(tempfile.mkdtemp()) / "bench.sqlite3")
    try:
        result = run(url, args.staff, args.days)
    finally:
        if scratch:
            with admin.connect() as c:
                c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
            admin.dispose()
    result["database"] = "postgresql" if scratch else "sqlite"
    print(json.dumps(result, indent=2, ensure_ascii=False))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    existing = json.loads(out.read_text()) if out.exists() else {}
    existing[result["database"]] = result
    out.write_text(json.dumps(existing, indent=2, ensure_ascii=False) + "\n")


def run(url: str, n_staff: int, n_days: int) -> dict:
    import time_machine

    from safetyops import create_app
    from safetyops.auth.models import User
    from safetyops.extensions import db
    from safetyops.rosters import services
    from safetyops.rosters.models import DaysRule, Post, PostKind, RosterSettings, Shift
    from safetyops.schools.models import District, Membership, School

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": True})
    with app.app_context():
        db.create_all()
        district = District(name="Bench", country="KG")
        school = School(name="Bench school", district=district, timezone="Asia/Bishkek")
        db.session.add(school)
        db.session.flush()
        n_admin, n_guard = max(2, n_staff // 15), max(4, n_staff // 10)
        roles = ["deputy"] * n_admin + ["guard"] * n_guard + ["teacher"] * (n_staff - n_admin - n_guard)
        for i, role in enumerate(roles):
            u = User(username=f"b{i}", full_name=f"Staff {i}", password_hash="!", locale="ky")
            u.memberships.append(Membership(school_id=school.id, role=role))
            db.session.add(u)
        posts = [("Duty administrator", PostKind.DUTY_ADMIN, "07:30", "18:00", "deputy")]
        posts += [(f"Floor {k}", PostKind.DUTY_TEACHER, "07:45", "13:30", "teacher") for k in range(1, 7)]
        posts += [("Canteen", PostKind.CANTEEN, "12:00", "15:00", "teacher"),
                  ("Gate", PostKind.GATE_DAY, "07:00", "19:00", "guard"),
                  ("Night", PostKind.NIGHT_GUARD, "19:00", "07:00", "guard")]
        for i, (name, kind, a, b, r) in enumerate(posts):
            db.session.add(Post(school_id=school.id, name=name, kind=kind, days=DaysRule.SCHOOL_DAYS, position=i,
                                start_time=dt.time.fromisoformat(a), end_time=dt.time.fromisoformat(b),
                                eligible_roles=r))
        db.session.add(RosterSettings(school_id=school.id, max_per_week=2, rest_hours_after_night=24,
                                      school_weekday_mask=0b0011111, is_swap_approval_required=True,
                                      checkin_grace_minutes=10))
        db.session.commit()

        days = school_days(dt.date(2027, 1, 11), n_days)
        timings = {}
        with time_machine.travel(dt.datetime(2027, 1, 1, tzinfo=dt.UTC), tick=True):
            t = time.perf_counter()
            run1 = services.generate(None, school, days[0], days[-1])
            db.session.commit()
            timings["generate_s"] = round(time.perf_counter() - t, 3)
            timings["generate_service_s"] = run1.report["seconds"]
            t = time.perf_counter()
            run2 = services.generate(None, school, days[0], days[-1], seed=1)
            db.session.commit()
            timings["regenerate_s"] = round(time.perf_counter() - t, 3)
            t = time.perf_counter()
            published = services.publish(None, school, run2)
            db.session.commit()
            timings["publish_s"] = round(time.perf_counter() - t, 3)

        role_of = {u.id: r for u, r in services.staff_of(school)}
        by_pool = defaultdict(list)
        for uid, n in run2.report["counts"].items():
            by_pool[role_of[int(uid)].value].append(n)
        shifts = db.session.scalar(sa.select(sa.func.count()).select_from(Shift))
        result = {
            "staff": n_staff, "posts": len(posts), "school_days": n_days,
            "slots": run2.report["slots"], "filled": run2.report["filled"],
            "unfilled": len(run2.report["unfilled"]), "shifts_in_db": shifts, "published": published,
            **timings,
            "spread_within_role": run2.report["spread"],
            "pools": {role: {"people": len(v), "min": min(v), "max": max(v), "spread": max(v) - min(v),
                             "mean": round(statistics.mean(v), 2)} for role, v in sorted(by_pool.items())},
        }
        db.session.remove()
        db.engine.dispose()
    return result


if __name__ == "__main__":
    main()
