"""Live roll-call under load: 60 classes report within one minute against a running server.

Builds a fresh database (SQLite file by default, the one-machine setup; `--pg URL` for PostgreSQL) with one
school, a director and 60 homeroom teachers, each with a class of 25.  Starts the app under waitress in a
separate process (8 threads), signs everyone in over HTTP, the director starts a drill, then each teacher's
phone (a thread with its own session) opens its report form and sends it at a random moment of the window
(default 60 s).  Meanwhile two board pollers read `board.json` with ETags: one every 3 s (what drills.js does)
and one every 0.25 s (the server's own freshness).  Measured:

- report: form GET + POST round trip (median, p95, max)
- board.json response time (median, p95) during the storm
- board update latency: from a report's response to the first board poll that counts it
  (per poller: median, p95, max)

Usage: python bench/drills_rollcall.py [--classes 60] [--window 60] [--pg URL]
Writes bench/results/drills_rollcall.json.
"""

from __future__ import annotations

import argparse
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

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-password-1"
CONFIG = {"SECRET_KEY": "bench", "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8, "ARGON2_PARALLELISM": 1,
          "RATELIMIT_ENABLED": False, "RATELIMIT_STORAGE_URI": "memory://"}


def stats(values: list[float]) -> dict:
    if not values:
        return {}
    v = sorted(values)
    return {"median_ms": round(statistics.median(v), 1), "p95_ms": round(v[max(0, int(len(v) * 0.95) - 1)], 1),
            "max_ms": round(v[-1], 1), "n": len(v)}


def serve(url: str, port: int, instance: str) -> None:
    import waitress

    from safetyops import create_app

    app = create_app({**CONFIG, "DATABASE_URL": url, "INSTANCE_PATH": instance})
    waitress.serve(app, host="127.0.0.1", port=port, threads=8, _quiet=True)


def build(url: str, instance: str, classes: int) -> None:
    from safetyops import create_app
    from safetyops.auth.models import User
    from safetyops.auth.roles import Role
    from safetyops.drills.models import SchoolClass
    from safetyops.extensions import db
    from safetyops.schools.models import District, Membership, School
    from safetyops.security import hash_password

    app = create_app({**CONFIG, "DATABASE_URL": url, "INSTANCE_PATH": instance})
    with app.app_context():
        db.create_all()
        district = District(name="Bench district", country="KG")
        school = School(district=district, name="Bench school", timezone="Asia/Bishkek")
        db.session.add(school)
        db.session.flush()
        pw = hash_password(PASSWORD)
        director = User(username="bench_director", full_name="Director", password_hash=pw)
        director.memberships.append(Membership(school_id=school.id, role=Role.DIRECTOR))
        db.session.add(director)
        for i in range(classes):
            t = User(username=f"bench_t{i}", full_name=f"Teacher {i}", password_hash=pw)
            t.memberships.append(Membership(school_id=school.id, role=Role.TEACHER))
            db.session.add(t)
            db.session.flush()
            db.session.add(SchoolClass(school_id=school.id, name=f"{5 + i % 7}-{i}", grade=5 + i % 7, students=25,
                                       homeroom_id=t.id))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def token(html: str) -> str:
    m = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    if not m:
        raise RuntimeError("no CSRF token")
    return m.group(1)


def sign_in(base: str, username: str):
    import requests

    s = requests.Session()
    r = s.post(f"{base}/login", data={"login": username, "password": PASSWORD,
                                      "csrf_token": token(s.get(f"{base}/login").text)}, allow_redirects=False)
    if r.status_code != 302:
        raise RuntimeError(f"sign-in of {username} failed: {r.status_code}")
    return s


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--classes", type=int, default=60)
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument("--pg", default="")
    parser.add_argument("--serve", nargs=3, metavar=("URL", "PORT", "INSTANCE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]), args.serve[2])
        return

    import sqlalchemy as sa

    tmp = tempfile.mkdtemp(prefix="bench-drills-")
    pg_name = None
    if args.pg:
        base_url = sa.engine.make_url(args.pg)
        pg_name = f"safetyops_bench_drills_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{pg_name}"')
        url = base_url.set(database=pg_name).render_as_string(hide_password=False)
    else:
        url = "sqlite:///" + os.path.join(tmp, "bench.sqlite3")
    build(url, tmp, args.classes)
    port = free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", url, str(port), tmp], cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        results = run(base, args)
    finally:
        server.terminate()
        server.wait(timeout=20)
        if pg_name:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
            admin.dispose()
    results["database"] = "postgresql" if args.pg else "sqlite"
    name = "drills_rollcall_pg.json" if args.pg else "drills_rollcall.json"
    out = Path(__file__).parent / "results" / name
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


def run(base: str, args) -> dict:
    import requests

    for _ in range(100):
        try:
            requests.get(f"{base}/healthz", timeout=1)
            break
        except requests.RequestException:
            time.sleep(0.1)
    director = sign_in(base, "bench_director")
    teachers = [sign_in(base, f"bench_t{i}") for i in range(args.classes)]
    r = director.post(f"{base}/drills/start", data={"kind": "fire", "plan_id": "0", "is_announced": "y",
                                                    "csrf_token": token(director.get(f"{base}/drills/start").text)},
                      allow_redirects=False)
    drill_id = int(re.search(r"/drills/(\d+)/board", r.headers["Location"]).group(1))
    # each teacher finds their class link on "My class" before the storm (as a phone would have it open)
    links = []
    for s in teachers:
        links.append(re.search(rf"/drills/{drill_id}/classes/\d+", s.get(f"{base}/drills/my").text).group(0))

    done: list[tuple[float, float]] = []  # (response time, round trip ms)
    lock = threading.Lock()
    t0 = time.perf_counter()
    rng = random.Random(7)
    offsets = sorted(rng.uniform(0, args.window) for _ in teachers)
    stop = threading.Event()
    polls: dict[str, list[tuple[float, int, float, int]]] = {"every_3s": [], "every_0.25s": []}

    def poller(name: str, interval: float) -> None:
        s = sign_in(base, "bench_director")
        etag, reported = "", 0
        while not stop.is_set():
            start = time.perf_counter()
            r = s.get(f"{base}/drills/{drill_id}/board.json", headers={"If-None-Match": etag} if etag else {})
            end = time.perf_counter()
            if r.status_code == 200:
                etag, reported = r.headers.get("ETag", ""), r.json()["reported"]
            polls[name].append((end - t0, reported, (end - start) * 1000, r.status_code))
            stop.wait(max(0.0, interval - (end - start)))

    def teacher(i: int) -> None:
        s, link = teachers[i], links[i]
        delay = offsets[i] - (time.perf_counter() - t0)
        if delay > 0:
            time.sleep(delay)
        start = time.perf_counter()
        form = s.get(f"{base}{link}")
        r = s.post(f"{base}{link}", data={"on_register": 25, "present": 24, "evacuated": 24, "injured": 0,
                                          "csrf_token": token(form.text)}, allow_redirects=False)
        end = time.perf_counter()
        if r.status_code != 302:
            raise RuntimeError(f"report {i} failed: {r.status_code}")
        with lock:
            done.append((end - t0, (end - start) * 1000))

    pollers = [threading.Thread(target=poller, args=("every_3s", 3.0)),
               threading.Thread(target=poller, args=("every_0.25s", 0.25))]
    for p in pollers:
        p.start()
    threads = [threading.Thread(target=teacher, args=(i,)) for i in range(len(teachers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    time.sleep(3.5)
    stop.set()
    for p in pollers:
        p.join()
    storm_s = max(t for t, _ms in done)

    done.sort()
    result = {"classes": args.classes, "window_s": args.window, "all_reported_after_s": round(storm_s, 1),
              "report_round_trip": stats([ms for _t, ms in done])}
    for name, rows in polls.items():
        latencies = []
        for k, (t_done, _ms) in enumerate(done, start=1):
            seen = next((t for t, reported, _ms, _st in rows if t >= t_done and reported >= k), None)
            if seen is not None:
                latencies.append((seen - t_done) * 1000)
        result[f"board_update_latency_{name}"] = stats(latencies)
        result[f"board_json_{name}"] = stats([ms for _t, _r, ms, _st in rows])
        result[f"board_json_{name}"]["not_modified_304"] = sum(1 for *_x, st in rows if st == 304)
    final = director.get(f"{base}/drills/{drill_id}/board.json").json()
    result["board_final_reported"] = final["reported"]
    return result


if __name__ == "__main__":
    main()
