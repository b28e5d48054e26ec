"""Benchmark: the tick request and the director's overdue page under 50 concurrent users.

Builds one school with a year of daily runs (SQLite file by default, or --database-url),
serves the app with waitress in a subprocess on 127.0.0.1, signs in 50 users and drives
it with threads + requests.  Prints p50/p95/req/s and writes bench/results/inspections_load.json.

    python bench/inspections_load.py                  # defaults: 50 users, 365 days, 30 zones, ~2 min
    python bench/inspections_load.py --days 90 --zones 10 --ticks 20   # quicker
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PASSWORD = "bench-password"
FAST_ARGON = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8, "ARGON2_PARALLELISM": 1}


def build(url: str, instance: str, users: int, days: int, zones: int) -> dict:
    import sqlalchemy as sa

    from safetyops import create_app
    from safetyops.auth.models import User
    from safetyops.demo import build_demo  # noqa: F401 - registers models of every area
    from safetyops.extensions import db
    from safetyops.inspections import services
    from safetyops.inspections.models import (
        ActionSource,
        ActionStatus,
        Answer,
        CorrectiveAction,
        Result,
        Run,
        RunStatus,
    )
    from safetyops.inspections.periods import occurrences_between
    from safetyops.schools.models import Appointment, District, Membership, School, Zone, ZoneKind
    from safetyops.security import hash_password
    from safetyops.time import school_today

    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": instance, "SECRET_KEY": "bench", **FAST_ARGON})
    t0 = time.perf_counter()
    with app.app_context():
        db.create_all()
        district = District(name="Bench district", country="KG")
        school = School(name="Bench school", district=district, timezone="Asia/Bishkek", default_locale="ky")
        db.session.add(school)
        db.session.flush()
        pw = hash_password(PASSWORD)
        director = User(username="bench_director", full_name="Director", password_hash=pw)
        director.memberships.append(Membership(school_id=school.id, role="director"))
        officer = User(username="bench_officer", full_name="Officer", password_hash=pw)
        officer.memberships.append(Membership(school_id=school.id, role="safety_officer"))
        db.session.add_all([director, officer])
        teachers = []
        for i in range(users):
            u = User(username=f"bench_t{i}", full_name=f"Teacher {i}", password_hash=pw)
            u.memberships.append(Membership(school_id=school.id, role="teacher"))
            teachers.append(u)
        db.session.add_all(teachers)
        db.session.flush()
        today = school_today(school)
        db.session.add(Appointment(school_id=school.id, user_id=officer.id, area="fire_safety", order_number="1",
                                   order_date=today - dt.timedelta(days=days + 5),
                                   starts_on=today - dt.timedelta(days=days + 5)))
        services.sync_templates()
        version = services.latest_version("fire_daily_walk")
        start = today - dt.timedelta(days=days)
        zone_rows = [Zone(school_id=school.id, name=f"Corridor {i}", kind=ZoneKind.CORRIDOR, floor=i % 4)
                     for i in range(max(zones, users))]
        db.session.add_all(zone_rows)
        db.session.flush()
        schedules = [services.schedule_from_template(None, school, "fire_daily_walk", zone=z, starts_on=start,
                                                     frequency="daily", opens_time=dt.time(0, 5),
                                                     due_time=dt.time(23, 55))
                     for z in zone_rows]
        db.session.commit()
        rng = random.Random(1)
        items = [i["id"] for i in version.items]
        run_rows, n_answers, n_actions = 0, 0, 0
        # a year of daily runs for the first `zones` zones (bulk inserts, chunked)
        for sched in schedules[:zones]:
            occs = occurrences_between(sched, start, today - dt.timedelta(days=1), school.timezone)
            runs = []
            for occ in occs:
                if rng.random() < 0.05:
                    continue  # missed
                runs.append({"school_id": school.id, "schedule_id": sched.id, "period_start": occ.start,
                             "version_id": version.id, "zone_id": sched.zone_id, "status": RunStatus.DONE,
                             "started_by_id": teachers[rng.randrange(users)].id,
                             "started_dt": occ.opens_dt + dt.timedelta(hours=2),
                             "finished_dt": occ.opens_dt + dt.timedelta(hours=2, minutes=6),
                             "is_qr_verified": False})
            db.session.execute(sa.insert(Run), runs)
            ids = db.session.execute(sa.select(Run.id, Run.started_dt).where(Run.schedule_id == sched.id)).all()
            answers, actions = [], []
            for run_id, started in ids:
                for item in items:
                    fail = rng.random() < 0.01
                    answers.append({"school_id": school.id, "run_id": run_id, "item_id": item,
                                    "result": Result.FAIL if fail else Result.PASS, "note": "x" if fail else "",
                                    "client_uuid": str(uuid.uuid4()), "answered_dt": started})
                    if fail:
                        age = (today - started.date()).days
                        actions.append({"school_id": school.id, "title": item, "description": "", "severity": "major",
                                        "area": "fire_safety", "zone_id": sched.zone_id, "run_id": run_id,
                                        "source": ActionSource.FAILED_ITEM,
                                        "status": ActionStatus.VERIFIED if age > 20 else ActionStatus.OPEN,
                                        "assignee_id": officer.id, "created_dt": started,
                                        "due_on": started.date() + dt.timedelta(days=7)})
            db.session.execute(sa.insert(Answer), answers)
            if actions:
                db.session.execute(sa.insert(CorrectiveAction), actions)
            db.session.commit()
            run_rows += len(ids)
            n_answers += len(answers)
            n_actions += len(actions)
        # today's run for each teacher (in progress), to tick against
        today_runs = []
        for i, teacher in enumerate(teachers):
            run = services.start_run(teacher, school, schedules[i])
            today_runs.append(run.id)
        db.session.commit()
        db.session.remove()
    return {"runs": run_rows, "answers": n_answers, "actions": n_actions, "today_runs": today_runs,
            "items": items, "seconds": round(time.perf_counter() - t0, 1)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SERVER = """
import sys, waitress
sys.path.insert(0, {root!r})
from safetyops import create_app
app = create_app({{"DATABASE_URL": {url!r}, "INSTANCE_PATH": {instance!r}, "SECRET_KEY": "bench",
                  "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8, "ARGON2_PARALLELISM": 1,
                  "LOGIN_LIMIT_PER_ADDRESS": "10000 per minute", "LOGIN_LIMIT_PER_ACCOUNT": "10000 per minute"}})
waitress.serve(app, host="127.0.0.1", port={port}, threads={threads}, ident="bench", _quiet=True)
"""


def start_server(url, instance, port, threads):
    code = SERVER.format(root=str(ROOT), url=url, instance=instance, port=port, threads=threads)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(200):
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except requests.RequestException:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("server did not start: " + proc.stderr.read().decode()[-2000:])


TOKEN_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def session_for(base, username):
    s = requests.Session()
    token = TOKEN_RE.search(s.get(f"{base}/login").text).group(1)
    r = s.post(f"{base}/login", data={"login": username, "password": PASSWORD, "csrf_token": token},
               allow_redirects=False)
    assert r.status_code == 302, (username, r.status_code)
    return s


def measure(workers, per_worker, fn) -> dict:
    latencies, errors = [], []
    lock = threading.Lock()
    barrier = threading.Barrier(len(workers))

    def loop(w):
        barrier.wait()
        for n in range(per_worker):
            t = time.perf_counter()
            ok = fn(w, n)
            elapsed = time.perf_counter() - t
            with lock:
                (latencies if ok else errors).append(elapsed)

    threads = [threading.Thread(target=loop, args=(w,)) for w in workers]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) >= 2 else [0] * 99
    return {"requests": len(latencies) + len(errors), "errors": len(errors), "seconds": round(wall, 2),
            "req_per_s": round((len(latencies) + len(errors)) / wall, 1),
            "p50_ms": round(q[49] * 1000, 1), "p95_ms": round(q[94] * 1000, 1),
            "max_ms": round(latencies[-1] * 1000, 1) if latencies else None}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--zones", type=int, default=30, help="zones with a year of daily history")
    parser.add_argument("--ticks", type=int, default=15, help="ticks per user")
    parser.add_argument("--pages", type=int, default=4, help="overdue page loads per user")
    parser.add_argument("--threads", type=int, default=8, help="waitress threads")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="safetyops-bench-")
    url = args.database_url or "sqlite:///" + os.path.join(tmp, "bench.sqlite3")
    print(f"building: {args.users} users, {args.zones} zones × {args.days} days of daily runs …", flush=True)
    data = build(url, tmp, args.users, args.days, args.zones)
    print(f"  {data['runs']} runs, {data['answers']} answers, {data['actions']} actions in {data['seconds']} s")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(url, tmp, port, args.threads)
    try:
        teachers = [session_for(base, f"bench_t{i}") for i in range(args.users)]
        tokens = [TOKEN_RE.search(s.get(f"{base}/inspections/runs/{data['today_runs'][i]}").text).group(1)
                  for i, s in enumerate(teachers)]
        items = data["items"]

        def tick(w, n):
            s = teachers[w]
            r = s.post(f"{base}/inspections/runs/{data['today_runs'][w]}/answer",
                       data={"item_id": items[n % len(items)], "result": "pass" if n % 5 else "na",
                             "client_uuid": str(uuid.uuid4())},
                       headers={"X-CSRFToken": tokens[w], "Accept": "application/json",
                                "X-Requested-With": "fetch"})
            return r.status_code == 200 and r.json().get("ok")

        tick_stats = measure(list(range(args.users)), args.ticks, tick)
        print("tick     ", tick_stats, flush=True)

        directors = [session_for(base, "bench_director") for _ in range(args.users)]

        def overdue(w, n):
            r = directors[w].get(f"{base}/inspections/overdue")
            return r.status_code == 200

        page_stats = measure(list(range(args.users)), args.pages, overdue)
        print("overdue  ", page_stats, flush=True)
    finally:
        server.terminate()
        server.wait(timeout=10)
    result = {"database": "postgresql" if url.startswith("postgresql") else "sqlite", "users": args.users,
              "days": args.days, "zones_with_history": args.zones, "runs": data["runs"], "answers": data["answers"],
              "actions": data["actions"], "waitress_threads": args.threads, "cpus": os.cpu_count(),
              "tick": tick_stats, "overdue_page": page_stats, "when": dt.datetime.now(dt.UTC).isoformat()}
    out = ROOT / "bench" / "results" / "inspections_load.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"written {out}")


if __name__ == "__main__":
    main()
