"""Benchmark: on PostgreSQL, does throughput grow with web processes? (issue 19, "Beyond one machine")

Builds the demo (`build_demo`, what `safetyops demo` writes) in a fresh PostgreSQL database of its own,
then starts two web processes on 127.0.0.1, each as `safetyops serve` runs (`waitress.create_server`,
the same --threads, then the serve hooks), sharing the instance folder (so one secret key: a session
cookie is good at either).  Only the first runs the scheduler: the second has
SAFETYOPS_SCHEDULER_IN_SERVE=false, the setting a deployment gives every web process but one (the
scheduler's lease would also keep a second one from leading, but it need not run at all).

wrk drives "1 process" (both wrk threads to the first) and "2 processes" (one wrk thread each, set in
the Lua `setup`), interleaved 1, 2, 1, 2… for at least three rounds, on signed-in pages: the teacher's
home, the gate log (guard) and the director's home.  Printed and written to
bench/results/pg_processes.json: requests per second of each, the ratio 2/1 per round with its
spread, wrk's p50/p95/p99 and the load average before and after.

The ratio is bounded by the machine's cores (2 here: wrk and PostgreSQL share them with the web
processes), so a ratio near 1 on a 2-core machine says "CPU-bound", not "does not scale": the same
processes on more cores, or on more machines behind a proxy, get the rest.

    .venv/bin/python bench/pg_processes.py                          # 3 rounds × 10 s per run
    .venv/bin/python bench/pg_processes.py --seconds 3 --rounds 3   # a quick proof that it works
    [--pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres]     # the server (a scratch database is made)

The schema is created from the models (db.create_all, as the test suite does) rather than by Alembic,
so the bench does not depend on the migration tree's state.  The scratch database is dropped at the end.
Only 127.0.0.1 is ever a target; every run is bounded by --seconds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_limit import TOKEN_RE, WRK_REPORT, free_port, spread, start, stop, wait_until_up  # noqa: E402

HERE = Path(__file__).resolve().parents[1]
RESULTS = HERE / "bench" / "results"
PASSWORD = "bench-password"

#: One web process as `safetyops serve` runs it (cli.serve), minus the Alembic upgrade: the database
#: is made before.  The serve hooks start the scheduler unless SCHEDULER_IN_SERVE is false.
SERVE = r"""
import logging, sys, waitress
from safetyops import create_app
from safetyops.cli import prepare_instance

app = create_app()
port, threads = int(sys.argv[1]), int(sys.argv[2])
with app.app_context():
    prepare_instance(app)
    logging.basicConfig()
    server = waitress.create_server(app, host="127.0.0.1", port=port, threads=threads, ident="SafetyOps")
    for hook in app.extensions.get("safetyops_serve_hooks", []):
        hook(app)
    print("SafetyOps on", port, "scheduler:", "safetyops_scheduler" in app.extensions, flush=True)
server.run()
"""

#: Each wrk thread connects to one of the processes, in turn.
ROUND_ROBIN = """
local ports = {%s}
local n = 0
function setup(thread)
  n = n + 1
  local addrs = wrk.lookup("127.0.0.1", tostring(ports[((n - 1) %% #ports) + 1]))
  thread.addr = addrs[1]
end
"""

PAGES = {
    "teacher's home": ("teacher", "/"),
    "gate log": ("guard", "/gate/entries"),
    "director's home": ("director", "/"),
}


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


def build(url: str, instance: str) -> None:
    """The demo in the scratch database (the tables from the models), and the instance's secret key."""
    from safetyops import create_app
    from safetyops.cli import prepare_instance
    from safetyops.demo import build_demo
    from safetyops.extensions import db

    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": instance})
    with app.app_context():
        prepare_instance(app)
        db.create_all()
        build_demo(PASSWORD)
        db.session.remove()
        db.engine.dispose()


def sign_in(base: str, username: str) -> str:
    s = requests.Session()
    token = TOKEN_RE.search(s.get(f"{base}/login", timeout=30).text).group(1)
    r = s.post(
        f"{base}/login",
        data={"login": username, "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=60,
    )
    if r.status_code != 302:
        raise SystemExit(f"sign-in of {username} answered {r.status_code}")
    return "; ".join(f"{c.name}={c.value}" for c in s.cookies)


def wrk(port: int, path: str, cookie: str, script: Path, args) -> dict:
    cmd = [
        "wrk",
        "-t2",
        f"-c{args.connections}",
        f"-d{args.seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        "-H",
        f"Cookie: {cookie}",
        f"http://127.0.0.1:{port}{path}",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=args.seconds + 60).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if m is None:
        raise SystemExit(f"wrk said:\n{out}")
    p = {int(k): int(v) / 1000 for k, v in re.findall(r"^P(\d+) (\d+)$", out, re.M)}
    errors = [int(x) for x in re.search(r"^ERRORS (.+)$", out, re.M).group(1).split()]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": round(float(m.group(1)), 1),
        "p50_ms": p[50],
        "p95_ms": p[95],
        "p99_ms": p[99],
        "requests": int(re.search(r"^REQUESTS (\d+)", out, re.M).group(1)),
        "errors": sum(errors) + (int(non2xx.group(1)) if non2xx else 0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--pg", default=os.environ.get("SAFETYOPS_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    )
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=8, help="waitress threads per process (serve's default)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (2 × the threads of one process)")
    parser.add_argument("--note", default="")
    args = parser.parse_args()
    if args.rounds < 3:
        parser.error("--rounds must be at least 3")
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    started = time.perf_counter()
    load_before = os.getloadavg()
    url, drop = make_database(args.pg)
    work = Path(tempfile.mkdtemp(prefix="safetyops-pg-processes-"))
    instance = str(work / "instance")
    procs = []
    try:
        t0 = time.perf_counter()
        build(url, instance)
        build_s = time.perf_counter() - t0
        env = {k: v for k, v in os.environ.items() if not k.startswith("SAFETYOPS_")}
        env.update(
            {
                "PYTHONPATH": str(HERE),
                "SAFETYOPS_INSTANCE_PATH": instance,
                "SAFETYOPS_DATABASE_URL": url,
                "SAFETYOPS_LOGIN_LIMIT_PER_ADDRESS": "100000 per minute",
                "SAFETYOPS_LOGIN_LIMIT_PER_ACCOUNT_ADDRESS": "100000 per minute",
            }
        )
        ports = [free_port(), free_port()]
        for i, port in enumerate(ports):
            penv = dict(env) if i == 0 else {**env, "SAFETYOPS_SCHEDULER_IN_SERVE": "false"}
            procs.append(
                start([sys.executable, "-c", SERVE, str(port), str(args.threads)], penv, HERE, work / f"serve{i}.log")
            )
        for i, port in enumerate(ports):
            wait_until_up(f"http://127.0.0.1:{port}/login", procs[i], work / f"serve{i}.log")
        leaders = [(work / f"serve{i}.log").read_text().count("scheduler: True") for i in range(2)]
        base = f"http://127.0.0.1:{ports[0]}"
        cookies = {who: sign_in(base, who) for who in {w for w, _p in PAGES.values()}}
        for name, (who, path) in PAGES.items():
            for port in ports:  # each page answers 200 at each process before it is measured
                r = requests.get(
                    f"http://127.0.0.1:{port}{path}",
                    headers={"Cookie": cookies[who]},
                    allow_redirects=False,
                    timeout=60,
                )
                if r.status_code != 200:
                    raise SystemExit(f"{name}: {path} at {port} answered {r.status_code}")
        scripts = {}
        for n in (1, 2):
            scripts[n] = work / f"rr{n}.lua"
            scripts[n].write_text(ROUND_ROBIN % ", ".join(str(p) for p in ports[:n]) + WRK_REPORT)
        rows = {name: [] for name in PAGES}
        for rnd in range(args.rounds):
            for name, (who, path) in PAGES.items():
                one = wrk(ports[0], path, cookies[who], scripts[1], args)
                two = wrk(ports[0], path, cookies[who], scripts[2], args)
                ratio = round(two["rps"] / one["rps"], 3) if one["rps"] else None
                rows[name].append({"round": rnd + 1, "one_process": one, "two_processes": two, "ratio": ratio})
                print(
                    f"round {rnd + 1} {name:16} 1 proc {one['rps']:7.1f} req/s (p95 {one['p95_ms']:.0f} ms)  "
                    f"2 procs {two['rps']:7.1f} req/s (p95 {two['p95_ms']:.0f} ms)  ratio {ratio}",
                    flush=True,
                )
    finally:
        for p in procs:
            stop(p)
        drop()
    load_after = os.getloadavg()
    pages = {}
    for name, rr in rows.items():
        pages[name] = {
            "path": PAGES[name][1],
            "signed_in_as": PAGES[name][0],
            "ratio_2_over_1": spread([r["ratio"] for r in rr if r["ratio"] is not None] or [0.0]),
        }
        for key in ("one_process", "two_processes"):
            pages[name][key] = {
                "rps": spread([r[key]["rps"] for r in rr]),
                "p50_ms": statistics.median(r[key]["p50_ms"] for r in rr),
                "p95_ms": statistics.median(r[key]["p95_ms"] for r in rr),
                "p99_ms": statistics.median(r[key]["p99_ms"] for r in rr),
                "errors": sum(r[key]["errors"] for r in rr),
            }
        pages[name]["rounds"] = rr
    cpus = os.cpu_count() or 1
    doc = {
        "benchmark": "pg_processes",
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": cpus,
            "python": platform.python_version(),
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in load_after],
            "busy": max(load_before[0], load_after[0]) > cpus * 0.5,
        },
        "bound": f"{cpus} CPU cores shared by wrk, PostgreSQL and the web processes: the 2/1 ratio cannot "
        f"exceed ~{cpus} here, and nears 1 when one process already keeps the cores busy",
        "settings": {
            "seconds": args.seconds,
            "rounds": args.rounds,
            "waitress_threads": args.threads,
            "connections": args.connections,
            "wrk_threads": 2,
            "database": "postgresql (demo)",
            "scheduler_leaders": leaders,
        },
        "demo_build_s": round(build_s, 1),
        "total_s": round(time.perf_counter() - started, 1),
        "note": args.note,
        "pages": pages,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "pg_processes.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n")
    print(
        f"\nload average before {doc['machine']['loadavg_before']}, after {doc['machine']['loadavg_after']} "
        f"({cpus} CPUs{'; BUSY machine: compare only with a quiet run' if doc['machine']['busy'] else ''})"
    )
    print(f"note: {doc['bound']}")
    print(f"scheduler running in process 1 / 2: {leaders}")
    for name, r in pages.items():
        o, t = r["one_process"], r["two_processes"]
        print(
            f"{name:16} 1 proc {o['rps']['median']:7.1f} req/s  2 procs {t['rps']['median']:7.1f} req/s  "
            f"ratio {r['ratio_2_over_1']['median']:.2f} ({r['ratio_2_over_1']['min']:.2f}–"
            f"{r['ratio_2_over_1']['max']:.2f})  p50/p95/p99 1 proc {o['p50_ms']:.0f}/{o['p95_ms']:.0f}/"
            f"{o['p99_ms']:.0f} ms, 2 procs {t['p50_ms']:.0f}/{t['p95_ms']:.0f}/{t['p99_ms']:.0f} ms, "
            f"errors {o['errors']}/{t['errors']}"
        )
    print(f"written to {RESULTS / 'pg_processes.json'} in {doc['total_s']} s")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
