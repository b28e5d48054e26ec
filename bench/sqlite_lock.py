"""Benchmark: 50 phones on the default one-machine install (SQLite, `safetyops serve`).

Builds the demo database (`safetyops demo`) in a temporary instance folder, adds bench
accounts (teachers with a checklist run open, guards), then for each run starts the real
`safetyops serve` (waitress + the scheduler thread) on a copy of that folder and drives it
from 127.0.0.1 with simulated phones (threads + requests) for --seconds:

* checklist phones tick an item about every 2 s (as static/js/inspections.js sends it:
  fetch, JSON, a phone-made id) and now and then reload the run page;
* gate phones open "New entry" and log someone about every 4 s (the form's client_id),
  and look at the gate's home page.

Phones sign in during the first --login-spread seconds (argon2id at the production cost),
`safetyops backup` runs in the middle, and a phone retries a 5xx on its own with the same id,
like the phone scripts (after the server's Retry-After, else 5 s).  Counted: HTTP statuses,
"database is locked" in the server's log and in answers, the time from starting `serve` to
its first 200, and that every gate entry the server acknowledged is stored exactly once.

    .venv/bin/python bench/sqlite_lock.py --label after                      # this tree
    .venv/bin/python bench/sqlite_lock.py --label before --root /tmp/before  # another checkout

Results merge into bench/results/sqlite_lock.json under the label, with the machine's load.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import os
import random
import re
import shutil
import signal
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

HERE = Path(__file__).resolve().parents[1]
PASSWORD = "bench-password"
TOKEN_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
CLIENT_ID_RE = re.compile(r'name="client_id"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="client_id"')
LOCKED = "database is locked"

SETUP = r"""
import datetime as dt, json, sys
import sqlalchemy as sa
from safetyops import create_app
from safetyops.demo import SCHOOL_NAME
from safetyops.extensions import db
from safetyops.inspections import services as insp
from safetyops.schools.models import School, Zone, ZoneKind
from safetyops.schools.services import create_user
from safetyops.time import school_today

teachers, guards, password = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
app = create_app()
with app.app_context():
    school = db.session.scalar(sa.select(School).where(School.name == SCHOOL_NAME))
    insp.sync_templates()
    version = insp.latest_version("fire_daily_walk")
    today = school_today(school)
    runs = []
    for i in range(teachers):
        user = create_user(full_name=f"Bench teacher {i}", username=f"bench_t{i}", password=password,
                           school=school, role="teacher")
        zone = Zone(school_id=school.id, name=f"Bench corridor {i}", kind=ZoneKind.CORRIDOR, floor=i % 4)
        db.session.add(zone)
        db.session.flush()
        sched = insp.schedule_from_template(None, school, "fire_daily_walk", zone=zone, starts_on=today,
                                            frequency="daily", opens_time=dt.time(0, 5), due_time=dt.time(23, 55))
        db.session.flush()
        runs.append(insp.start_run(user, school, sched).id)
        db.session.commit()
    for i in range(guards):
        create_user(full_name=f"Bench guard {i}", username=f"bench_g{i}", password=password,
                    school=school, role="guard")
        db.session.commit()
    print(json.dumps({"runs": runs, "items": [i["id"] for i in version.items]}))
"""

COUNT_GATE = r"""
import json, sys
import sqlalchemy as sa
from safetyops import create_app
from safetyops.extensions import db
from safetyops.gate.models import GateEntry

ids = json.load(sys.stdin)
app = create_app()
with app.app_context():
    rows = db.session.execute(sa.select(GateEntry.client_id, sa.func.count()).where(GateEntry.client_id.in_(ids))
                              .group_by(GateEntry.client_id)).all()
    print(json.dumps(dict(rows)))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_env(root: Path, instance: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFETYOPS_")}
    env.update({
        "PYTHONPATH": str(root),
        "SAFETYOPS_INSTANCE_PATH": instance,
        # Fifty phones sign in from 127.0.0.1 within a few seconds.
        "SAFETYOPS_LOGIN_LIMIT_PER_ADDRESS": "100000 per minute",
        "SAFETYOPS_LOGIN_LIMIT_PER_ACCOUNT": "100000 per minute",
        "SAFETYOPS_SCHEDULER_IN_SERVE": "true",
    })
    return env


def cli(root: Path, env: dict, *args, **kw) -> subprocess.CompletedProcess:
    code = "import sys; sys.argv[0] = 'safetyops'; from safetyops.cli import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=root, env=env, check=True,
                          capture_output=True, text=True, **kw)


def build(root: Path, instance: str, teachers: int, guards: int) -> dict:
    env = tree_env(root, instance)
    t0 = time.perf_counter()
    cli(root, env, "demo", "--password", PASSWORD)
    out = subprocess.run([sys.executable, "-c", SETUP, str(teachers), str(guards), PASSWORD], cwd=root, env=env,
                         check=True, capture_output=True, text=True).stdout
    data = json.loads(out.strip().splitlines()[-1])
    data["build_s"] = round(time.perf_counter() - t0, 1)
    return data


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.status = collections.Counter()
        self.latency = collections.defaultdict(list)
        self.locked_in_answers = 0
        self.gate_acked: list[str] = []
        self.gave_up = 0
        self.samples: list[tuple[str, float, float]] = []  # (kind, started, elapsed)
        self.last_sign_in = 0.0

    def add(self, kind: str, resp: requests.Response | None, elapsed: float) -> None:
        with self.lock:
            code = resp.status_code if resp is not None else "conn-error"
            self.status[f"{kind} {code}"] += 1
            self.latency[kind].append(elapsed)
            self.samples.append((kind, time.monotonic() - elapsed, elapsed))
            if kind == "login" and resp is not None and resp.status_code == 302:
                self.last_sign_in = max(self.last_sign_in, time.monotonic())
            if resp is not None and resp.status_code >= 500 and LOCKED in resp.text:
                self.locked_in_answers += 1


def retry_after(resp: requests.Response | None) -> float:
    try:
        return float(resp.headers.get("Retry-After")) if resp is not None else 5.0
    except (TypeError, ValueError):
        return 5.0


def sign_in(base: str, username: str, stats: Stats, deadline: float, rng) -> requests.Session | None:
    """The phone's first screen and its sign-in (argon2id at the production cost), as a person does it."""
    s = requests.Session()
    while time.monotonic() < deadline:
        page = send(stats, "login page", lambda: s.get(f"{base}/login", timeout=30), deadline, rng)
        m = TOKEN_RE.search(page.text) if page is not None else None
        if m:
            data = {"login": username, "password": PASSWORD, "csrf_token": m.group(1)}
            r = send(stats, "login", lambda d=data: s.post(f"{base}/login", data=d, allow_redirects=False,
                                                           timeout=30), deadline, rng)
            if r is not None and r.status_code == 302:
                return s
        time.sleep(1 + rng.random())
    return None


def send(stats, kind, fn, deadline, rng):
    """One write as a phone sends it: retried with the same id on 5xx / no answer, until acknowledged."""
    while True:
        t = time.perf_counter()
        try:
            resp = fn()
        except requests.RequestException:
            resp = None
        stats.add(kind, resp, time.perf_counter() - t)
        if resp is not None and resp.status_code < 500:
            return resp
        if time.monotonic() + 1 > deadline:
            with stats.lock:
                stats.gave_up += 1
            return None
        time.sleep(retry_after(resp) * (1 + rng.random() * 0.5))


def tick_phone(base, username, run_id, items, stats, stop_at, deadline, seed, period, login_spread):
    rng = random.Random(seed)
    time.sleep(rng.random() * login_spread)
    s = sign_in(base, username, stats, stop_at, rng)
    if s is None:
        return
    page = send(stats, "run page", lambda: s.get(f"{base}/inspections/runs/{run_id}", timeout=30), deadline, rng)
    if page is None:
        return
    token = TOKEN_RE.search(page.text).group(1)
    n = 0
    while time.monotonic() < stop_at:
        n += 1
        fields = {"item_id": rng.choice(items), "result": "pass" if n % 5 else "na", "note": "",
                  "client_uuid": str(uuid.uuid4())}
        send(stats, "tick", lambda f=fields: s.post(
            f"{base}/inspections/runs/{run_id}/answer", data=f, timeout=30,
            headers={"X-CSRFToken": token, "Accept": "application/json", "X-Requested-With": "fetch"}),
            deadline, rng)
        if n % 10 == 0:
            send(stats, "run page", lambda: s.get(f"{base}/inspections/runs/{run_id}", timeout=30), deadline, rng)
        time.sleep(period * (0.5 + rng.random()))


def gate_phone(base, username, stats, stop_at, deadline, seed, period, login_spread):
    rng = random.Random(seed)
    time.sleep(rng.random() * login_spread)
    s = sign_in(base, username, stats, stop_at, rng)
    if s is None:
        return
    n = 0
    while time.monotonic() < stop_at:
        n += 1
        form = send(stats, "gate form", lambda: s.get(f"{base}/gate/new", timeout=30), deadline, rng)
        if form is None or form.status_code != 200:
            time.sleep(period)
            continue
        m = CLIENT_ID_RE.search(form.text)
        client_id = (m.group(1) or m.group(2)) if m else uuid.uuid4().hex
        data = {"csrf_token": TOKEN_RE.search(form.text).group(1), "client_id": client_id, "kind": "visitor",
                "name": f"Bench visitor {seed}-{n}", "host_id": "0", "purpose": "meeting", "doc_type": "none",
                "doc_last4": "", "vehicle_plate": "", "phone": "", "in_time": ""}
        resp = send(stats, "gate entry", lambda d=data: s.post(f"{base}/gate/new", data=d, allow_redirects=False,
                                                                timeout=30), deadline, rng)
        if resp is not None and resp.status_code == 302:
            with stats.lock:
                stats.gate_acked.append(client_id)
        if n % 3 == 0:
            send(stats, "gate home", lambda: s.get(f"{base}/gate/", timeout=30), deadline, rng)
        time.sleep(period * (0.5 + rng.random()))


def quantiles(values):
    if len(values) < 2:
        return {}
    q = statistics.quantiles(sorted(values), n=100)
    return {"p50_ms": round(q[49] * 1000, 1), "p95_ms": round(q[94] * 1000, 1), "p99_ms": round(q[98] * 1000, 1),
            "max_ms": round(max(values) * 1000, 1)}


def one_run(root: Path, template: str, data: dict, args, n: int) -> dict:
    instance = tempfile.mkdtemp(prefix=f"safetyops-lock-run{n}-")
    shutil.rmtree(instance)
    shutil.copytree(template, instance)
    env = tree_env(root, instance)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = Path(instance) / "serve.log"
    log = open(log_path, "w")  # noqa: SIM115 - closed below
    code = "import sys; sys.argv[0] = 'safetyops'; from safetyops.cli import main; main()"
    t_start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, "serve", "--port", str(port), "--threads", str(args.threads)],
                            cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    first_200 = None
    try:
        while time.perf_counter() - t_start < 120:
            try:
                if requests.get(f"{base}/login", timeout=5).status_code == 200:
                    first_200 = time.perf_counter() - t_start
                    break
            except requests.RequestException:
                pass
            if proc.poll() is not None:
                raise SystemExit("serve exited: " + log_path.read_text()[-3000:])
            time.sleep(0.05)
        if first_200 is None:
            raise SystemExit("serve did not answer within 120 s")
        stats = Stats()
        load0 = os.getloadavg()
        stop_at = time.monotonic() + args.seconds
        deadline = stop_at + 60  # a phone keeps retrying an unacknowledged write for up to a minute more
        threads = [threading.Thread(target=tick_phone, args=(base, f"bench_t{i}", data["runs"][i], data["items"],
                                                             stats, stop_at, deadline, i, args.tick_every,
                                                             args.login_spread))
                   for i in range(args.teachers)]
        threads += [threading.Thread(target=gate_phone, args=(base, f"bench_g{i}", stats, stop_at, deadline,
                                                              1000 + i, args.gate_every, args.login_spread))
                    for i in range(args.guards)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        backup = None
        if args.backup_at:
            time.sleep(args.backup_at)
            b0 = time.perf_counter()
            done = subprocess.run([sys.executable, "-c", code, "backup", str(Path(instance) / "mid-run.sqlite3")],
                                  cwd=root, env=env, capture_output=True, text=True)
            backup = {"exit": done.returncode, "seconds": round(time.perf_counter() - b0, 2),
                      "locked": (done.stdout + done.stderr).count(LOCKED)}
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        load1 = os.getloadavg()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
    stored = json.loads(subprocess.run([sys.executable, "-c", COUNT_GATE], cwd=root, env=env, check=True, text=True,
                                       input=json.dumps(stats.gate_acked), capture_output=True).stdout)
    server_log = log_path.read_text(errors="replace")
    total = sum(stats.status.values())
    errors = sum(v for k, v in stats.status.items() if not k.split()[-1].isdigit() or int(k.split()[-1]) >= 500)
    result = {
        "serve_first_200_s": round(first_200, 2),
        "seconds": round(wall, 1),
        "requests": total,
        "req_per_s": round(total / wall, 1),
        "status": dict(sorted(stats.status.items())),
        "errors_5xx_or_no_answer": errors,
        "locked_in_server_log": server_log.count(LOCKED),
        "locked_in_answers": stats.locked_in_answers,
        "writes_given_up": stats.gave_up,
        "backup_during_run": backup,
        "gate_entries_acknowledged": len(stats.gate_acked),
        "gate_entries_stored_once": sum(1 for c in stats.gate_acked if stored.get(c) == 1),
        "latency": {k: quantiles(v) for k, v in sorted(stats.latency.items())},
        # once every phone has signed in (the sign-in rush hashes 50 passwords on 2 cores)
        "steady_after_s": round(stats.last_sign_in - (stop_at - args.seconds), 1),
        "latency_steady": {k: quantiles([e for kind, t, e in stats.samples if kind == k and t > stats.last_sign_in])
                           for k in sorted(stats.latency)},
        "loadavg_before": [round(x, 2) for x in load0],
        "loadavg_after": [round(x, 2) for x in load1],
    }
    shutil.rmtree(instance, ignore_errors=True)
    return result


def spread(runs: list[dict], key) -> dict:
    """Over the runs that have the value (no steady phase when sign-in outlasted the window)."""
    values = [v for v in (key(r) for r in runs) if v is not None]
    if not values:
        return {"runs": 0}
    return {"min": min(values), "max": max(values), "median": statistics.median(values), "runs": len(values)}


def summarise(runs: list[dict]) -> dict:
    return {
        "serve_first_200_s": spread(runs, lambda r: r["serve_first_200_s"]),
        "errors_5xx_or_no_answer": spread(runs, lambda r: r["errors_5xx_or_no_answer"]),
        "locked_in_server_log": spread(runs, lambda r: r["locked_in_server_log"]),
        "tick_p95_ms": spread(runs, lambda r: r["latency"].get("tick", {}).get("p95_ms")),
        "tick_p95_ms_steady": spread(runs, lambda r: r["latency_steady"].get("tick", {}).get("p95_ms")),
        "run_page_p95_ms_steady": spread(runs, lambda r: r["latency_steady"].get("run page", {}).get("p95_ms")),
        "req_per_s": spread(runs, lambda r: r["req_per_s"]),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--label", required=True, help="key in the results file, e.g. before / after")
    parser.add_argument("--root", default=str(HERE), help="the checkout whose code is served")
    parser.add_argument("--teachers", type=int, default=40, help="checklist phones")
    parser.add_argument("--guards", type=int, default=10, help="gate phones")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--tick-every", type=float, default=2.0)
    parser.add_argument("--gate-every", type=float, default=4.0)
    parser.add_argument("--login-spread", type=float, default=10.0,
                        help="phones sign in at random moments of the first N seconds (argon2id, production cost)")
    parser.add_argument("--backup-at", type=float, default=30.0, help="run `safetyops backup` after N s (0: never)")
    parser.add_argument("--threads", type=int, default=8, help="waitress threads (serve's default)")
    parser.add_argument("--out", default=str(HERE / "bench" / "results" / "sqlite_lock.json"))
    parser.add_argument("--check", action="store_true",
                        help="exit 1 unless every run had no 500, no 'database is locked' and every acknowledged "
                             "gate entry stored exactly once (.ci/test's load stage; a write still being retried "
                             "when the run ends is reported, not failed: a phone would go on retrying)")
    args = parser.parse_args()
    root = Path(args.root).resolve()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                            text=True).stdout.strip()
    template = tempfile.mkdtemp(prefix="safetyops-lock-")
    print(f"[{args.label}] building the demo + {args.teachers} teachers and {args.guards} guards in {template} …",
          flush=True)
    data = build(root, template, args.teachers, args.guards)
    print(f"  built in {data['build_s']} s", flush=True)
    runs = []
    for n in range(args.runs):
        r = one_run(root, template, data, args, n)
        print(f"  run {n + 1}: first 200 after {r['serve_first_200_s']} s; {r['requests']} requests, "
              f"{r['errors_5xx_or_no_answer']} errors, locked: {r['locked_in_server_log']} in log; "
              f"{r['status']}", flush=True)
        runs.append(r)
    shutil.rmtree(template, ignore_errors=True)
    summary = {
        "commit": commit,
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "phones": {"checklist": args.teachers, "gate": args.guards, "tick_every_s": args.tick_every,
                   "gate_every_s": args.gate_every, "sign_in_within_s": args.login_spread},
        "backup_after_s": args.backup_at,
        "seconds_per_run": args.seconds,
        "waitress_threads": args.threads,
        "runs": runs,
        "spread": summarise(runs),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    results = json.loads(out.read_text()) if out.exists() else {}
    results[args.label] = summary
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"written {out} [{args.label}]")
    if args.check:
        problems = check(runs)
        for line in problems:
            print(f"!! {line}")
        print("load check:", "failed" if problems else "passed (503 answers retried with the same id are not errors)")
        sys.exit(1 if problems else 0)


def check(runs: list[dict]) -> list[str]:
    """What the one-machine install promises under 50 phones: nothing lost, nothing locked, no 500."""
    problems = []
    for n, r in enumerate(runs, 1):
        crashes = {k: v for k, v in r["status"].items()
                   if k.split()[-1].isdigit() and int(k.split()[-1]) >= 500 and not k.endswith(" 503")}
        if crashes:
            problems.append(f"run {n}: server errors {crashes}")
        if r["locked_in_answers"]:
            problems.append(f"run {n}: 'database is locked' in {r['locked_in_answers']} answers")
        if r["gate_entries_stored_once"] != r["gate_entries_acknowledged"]:
            problems.append(f"run {n}: {r['gate_entries_acknowledged']} gate entries acknowledged, "
                            f"{r['gate_entries_stored_once']} stored exactly once")
        if not r["requests"]:
            problems.append(f"run {n}: no request was answered")
    return problems


if __name__ == "__main__":
    main()
