"""Road-incident analysis at district scale: 10 years of incidents for 100 schools.

Builds a fresh database (SQLite file by default; `--pg URL` for PostgreSQL) with one district of 100 schools,
each with 11 classes and `--per-year` incidents a year (default 25, ~40 named places per school of which a few
repeat often) over 10 years: 25,000 incidents.  Then, through the app's own test client with a signed-in
director of one school, times (each `--repeat` times, after one warm-up):

- the analysis page for the latest year (the page the director reads);
- the analysis page for each of the 10 years;
- the list behind the busiest place's bar and the month list;
- the CSV and XLSX exports of a year;
- the same analysis page for a district inspector.

Usage: python bench/incidents_analysis.py [--schools 100] [--years 10] [--per-year 25] [--repeat 20] [--pg URL]
Writes bench/results/incidents_analysis.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CONFIG = {"SECRET_KEY": "bench", "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8, "ARGON2_PARALLELISM": 1,
          "RATELIMIT_ENABLED": False, "RATELIMIT_STORAGE_URI": "memory://", "WTF_CSRF_ENABLED": False,
          "SERVER_NAME": "localhost"}


def stats(values: list[float]) -> dict:
    v = sorted(values)
    return {"median_ms": round(statistics.median(v), 1), "p95_ms": round(v[max(0, int(len(v) * 0.95) - 1)], 1),
            "max_ms": round(v[-1], 1), "n": len(v)}


def build(app, schools: int, years: int, per_year: int) -> dict:
    import sqlalchemy as sa

    from safetyops.drills.models import SchoolClass
    from safetyops.extensions import db
    from safetyops.incidents.models import RoadIncident
    from safetyops.incidents.services import place_key
    from safetyops.schools.models import District, School
    from safetyops.schools.services import create_user

    rng = random.Random(8)
    t0 = time.perf_counter()
    with app.app_context():
        db.create_all()
        district = District(name="Bench district", country="KG")
        db.session.add(district)
        db.session.flush()
        made = [School(district_id=district.id, name=f"School {i + 1:03d}", timezone="Asia/Bishkek")
                for i in range(schools)]
        db.session.add_all(made)
        db.session.flush()
        classes = []
        for s in made:
            for grade in range(1, 12):
                classes.append(SchoolClass(school_id=s.id, name=f"{grade}А", grade=grade, students=25))
        db.session.add_all(classes)
        db.session.flush()
        by_school: dict[int, list] = {}
        for c in classes:
            by_school.setdefault(c.school_id, []).append((c.id, c.grade))
        modes, sev = ["pedestrian", "passenger", "cyclist", "scooter"], ["none", "light", "light", "serious", "fatal"]
        journeys = ["to_school", "from_school", "other"]
        end_year = dt.date.today().year
        rows = []
        for s in made:
            places = [f"Street {k} / Avenue {k % 7}" for k in range(40)]
            weights = [12, 8, 6, 4] + [1] * 36
            for year in range(end_year - years + 1, end_year + 1):
                for _ in range(per_year):
                    occurred = dt.datetime(year, 1, 1, tzinfo=dt.UTC) + dt.timedelta(
                        minutes=rng.randrange(0, 365 * 24 * 60))
                    place = rng.choices(places, weights)[0]
                    class_id, grade = rng.choice(by_school[s.id])
                    rows.append({"school_id": s.id, "occurred_dt": occurred, "place": place,
                                 "place_key": place_key(place), "student_name": "", "has_consent": False,
                                 "class_id": class_id, "grade": grade, "mode": rng.choice(modes),
                                 "journey": rng.choice(journeys), "severity": rng.choice(sev),
                                 "description": "", "police_report": "", "measures": rng.choice(["", "Talk"]),
                                 "status": "open", "created_dt": occurred})
        for i in range(0, len(rows), 5000):
            db.session.execute(sa.insert(RoadIncident), rows[i:i + 5000])
        director = create_user(full_name="Bench Director", username="bench.director", password="bench-password-1",
                               school=made[0], role="director")
        inspector = create_user(full_name="Bench Inspector", username="bench.inspector",
                                password="bench-password-1")
        from safetyops.schools.models import DistrictMembership

        inspector.district_memberships.append(DistrictMembership(district_id=district.id))
        db.session.commit()
        total = db.session.scalar(sa.select(sa.func.count()).select_from(RoadIncident))
        return {"incidents": total, "schools": schools, "build_s": round(time.perf_counter() - t0, 1),
                "director_id": director.get_id(), "inspector_id": inspector.get_id(), "end_year": end_year}


def timed(client, url: str, repeat: int) -> dict:
    resp = client.get(url)  # warm-up
    assert resp.status_code == 200, (url, resp.status_code)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        resp = client.get(url)
        resp.get_data()
        times.append((time.perf_counter() - t) * 1000)
        assert resp.status_code == 200
    return stats(times)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--schools", type=int, default=100)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--per-year", type=int, default=25)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--pg", default="")
    args = ap.parse_args()

    from safetyops import create_app

    tmp = tempfile.mkdtemp(prefix="bench-incidents-")
    url = args.pg or f"sqlite:///{tmp}/bench.sqlite3"
    if args.pg:
        import sqlalchemy as sa

        base = sa.engine.make_url(args.pg)
        name = f"bench_incidents_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = base.set(database=name).render_as_string(hide_password=False)
    app = create_app({**CONFIG, "DATABASE_URL": url, "INSTANCE_PATH": tmp})
    info = build(app, args.schools, args.years, args.per_year)
    print(f"built {info['incidents']} incidents for {info['schools']} schools in {info['build_s']} s")
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = info.pop("director_id")
        sess["_fresh"] = True
    year = info["end_year"]
    results = {}
    with app.app_context():
        from safetyops.incidents.services import place_key

        hot = place_key("Street 0 / Avenue 0")
    results["analysis_latest_year"] = timed(client, f"/incidents/analysis?year={year}", args.repeat)
    per_year = []
    for y in range(year - args.years + 1, year + 1):
        per_year.append(timed(client, f"/incidents/analysis?year={y}", max(3, args.repeat // 4))["median_ms"])
    results["analysis_each_year_median_ms"] = per_year
    results["list_hot_place"] = timed(client, f"/incidents?year={year}&place={hot}", args.repeat)
    results["list_month"] = timed(client, f"/incidents?month={year}-03", args.repeat)
    results["export_csv_year"] = timed(client, f"/incidents/export.csv?year={year}", max(3, args.repeat // 4))
    results["export_xlsx_year"] = timed(client, f"/incidents/export.xlsx?year={year}", max(3, args.repeat // 4))
    inspector = app.test_client()
    with inspector.session_transaction() as sess:
        sess["_user_id"] = info.pop("inspector_id")
        sess["_fresh"] = True
    results["analysis_inspector"] = timed(inspector, f"/incidents/analysis?year={year}", args.repeat)
    out = {"benchmark": "incidents_analysis", "database": "postgresql" if args.pg else "sqlite",
           "params": vars(args) | {"pg": bool(args.pg)}, **info, "results": results,
           "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    for key, value in results.items():
        print(f"{key:32} {value}")
    dest = ROOT / "bench" / "results"
    dest.mkdir(parents=True, exist_ok=True)
    suffix = "_pg" if args.pg else ""
    (dest / f"incidents_analysis{suffix}.json").write_text(json.dumps(out, indent=2) + "\n")
    if args.pg:
        with app.app_context():
            from safetyops.extensions import db

            db.engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
