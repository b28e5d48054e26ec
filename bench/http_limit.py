"""Benchmark: how close SafetyOps's pages come to the stack's limit (issue 19).

Serves a bare Flask "hello world" and SafetyOps (the demo database, `safetyops demo`, in a temporary
instance folder) with the same waitress settings as `safetyops serve` (`waitress.create_server`, the
same --threads), each in its own process on 127.0.0.1, and drives both with the same load generator
(wrk, Debian's `apt-get install -y wrk`), interleaved: for each round and each page, hello world then
the page (A/B/A/B…).  Signed-in pages get the session cookie of a real sign-in.  Each page's
requests per second are printed as a ratio of hello world's in the same round, with wrk's p50/p95/p99
latency and the spread of the ratio over the rounds.

    .venv/bin/python bench/http_limit.py                        # 3 rounds × 10 s per run
    .venv/bin/python bench/http_limit.py --seconds 3 --rounds 3  # a quick proof that it works

Writes bench/results/http_limit.json and bench/results/http_limit.md, with the machine's load
(os.getloadavg) before and after: compare ratios only between runs on a quiet machine.
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
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parents[1]
RESULTS = HERE / "bench" / "results"
PASSWORD = "bench-password"
TOKEN_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
CLI = "import sys; sys.argv[0] = 'safetyops'; from safetyops.cli import main; main()"

HELLO = r"""
import sys, waitress
from flask import Flask

app = Flask("hello")

@app.get("/")
def hello():
    return "Hello, World!"

port, threads = int(sys.argv[1]), int(sys.argv[2])
server = waitress.create_server(app, host="127.0.0.1", port=port, threads=threads, ident="SafetyOps")
print("hello world on", port, flush=True)
server.run()
"""

#: wrk reports these from its own latency histogram (microseconds), and the error counts.
WRK_REPORT = """
done = function(summary, latency, requests)
  for _, p in pairs({50, 95, 99}) do
    io.write(string.format("P%d %d\\n", p, latency:percentile(p)))
  end
  local e = summary.errors
  io.write(string.format("ERRORS %d %d %d %d %d\\n", e.connect, e.read, e.write, e.status, e.timeout))
  io.write(string.format("REQUESTS %d %d\\n", summary.requests, summary.duration))
end
"""

#: name -> (who signs in, or None; path (a run id is filled in)).
PAGES = {
    "sign-in (anonymous)": (None, "/login"),
    "teacher's home": ("teacher", "/"),
    "guard's home": ("guard", "/"),
    "gate (guard's page)": ("guard", "/gate/"),
    "gate log": ("guard", "/gate/entries"),
    "checklist run page": ("teacher", "/inspections/runs/{run_id}"),
    "director's home": ("director", "/"),
    "overdue inspections": ("director", "/inspections/overdue"),
}
#: Targets on a quiet 2-core machine (issue 19), as a share of hello world.
TARGETS = {"sign-in (anonymous)": 0.40, "teacher's home": 0.15, "guard's home": 0.15, "gate (guard's page)": 0.15,
           "gate log": 0.15, "checklist run page": 0.15, "director's home": 0.08, "overdue inspections": 0.08}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_env(instance: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFETYOPS_")}
    env.update({"PYTHONPATH": str(HERE), "SAFETYOPS_INSTANCE_PATH": instance,
                # the bench signs in a few times from 127.0.0.1
                "SAFETYOPS_LOGIN_LIMIT_PER_ADDRESS": "100000 per minute",
                "SAFETYOPS_LOGIN_LIMIT_PER_ACCOUNT_ADDRESS": "100000 per minute"})
    return env


def wait_until_up(url: str, proc: subprocess.Popen, log: Path, limit_s: float = 120) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < limit_s:
        try:
            if requests.get(url, timeout=5).status_code == 200:
                return time.perf_counter() - t0
        except requests.RequestException:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.1)
    raise SystemExit(f"no answer from {url} within {limit_s} s")


def start(args_list, env, cwd, log_path: Path) -> subprocess.Popen:
    log = open(log_path, "w")  # noqa: SIM115 - the child holds it; closed with the process
    return subprocess.Popen(args_list, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def sign_in(base: str, username: str) -> str:
    """A real sign-in (argon2id at the production cost): the Cookie header of the signed-in browser."""
    s = requests.Session()
    page = s.get(f"{base}/login", timeout=30)
    token = TOKEN_RE.search(page.text).group(1)
    r = s.post(f"{base}/login", data={"login": username, "password": PASSWORD, "csrf_token": token},
               allow_redirects=False, timeout=60)
    if r.status_code != 302:
        raise SystemExit(f"sign-in of {username} answered {r.status_code}")
    return "; ".join(f"{c.name}={c.value}" for c in s.cookies)


def a_run_id(instance: str) -> int:
    with sqlite3.connect(Path(instance) / "safetyops.sqlite3") as conn:
        row = conn.execute("SELECT id FROM inspection_runs ORDER BY id DESC LIMIT 1").fetchone()
    if row is None:
        raise SystemExit("the demo has no checklist run")
    return row[0]


def wrk(url: str, cookie: str | None, args, script: Path) -> dict:
    cmd = ["wrk", f"-t{args.wrk_threads}", f"-c{args.connections}", f"-d{args.seconds}s", "--timeout", "10s",
           "-s", str(script)]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, timeout=args.seconds + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p = {int(k): int(v) / 1000 for k, v in re.findall(r"^P(\d+) (\d+)$", out, re.M)}
    errors = [int(x) for x in re.search(r"^ERRORS (.+)$", out, re.M).group(1).split()]
    total = int(re.search(r"^REQUESTS (\d+)", out, re.M).group(1))
    return {"rps": round(rps, 1), "p50_ms": p[50], "p95_ms": p[95], "p99_ms": p[99], "requests": total,
            "errors": dict(zip(["connect", "read", "write", "status", "timeout"], errors, strict=True))}


def spread(values: list[float]) -> dict:
    return {"median": round(statistics.median(values), 4), "min": round(min(values), 4), "max": round(max(values), 4),
            "stdev": round(statistics.stdev(values), 4) if len(values) > 1 else 0.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="A/B rounds (at least 3)")
    parser.add_argument("--threads", type=int, default=8, help="waitress threads (safetyops serve's default)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--pages", default="", help="comma-separated page names (default: all)")
    parser.add_argument("--label", default="latest")
    parser.add_argument("--note", default="")
    args = parser.parse_args()
    if args.rounds < 3:
        parser.error("--rounds must be at least 3")
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    pages = {k: v for k, v in PAGES.items() if not args.pages or k in args.pages.split(",")}

    work = Path(tempfile.mkdtemp(prefix="safetyops-http-limit-"))
    instance = str(work / "instance")
    env = tree_env(instance)
    script = work / "report.lua"
    script.write_text(WRK_REPORT)
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", CLI, "demo", "--password", PASSWORD], cwd=HERE, env=env, check=True,
                   capture_output=True, text=True)
    build_s = time.perf_counter() - t0
    run_id = a_run_id(instance)

    hello_port, app_port = free_port(), free_port()
    hello = start([sys.executable, "-c", HELLO, str(hello_port), str(args.threads)], env, HERE, work / "hello.log")
    app = start([sys.executable, "-c", CLI, "serve", "--port", str(app_port), "--threads", str(args.threads)],
                env, HERE, work / "serve.log")
    results: dict = {}
    try:
        hello_url, base = f"http://127.0.0.1:{hello_port}/", f"http://127.0.0.1:{app_port}"
        wait_until_up(hello_url, hello, work / "hello.log")
        first_200 = wait_until_up(f"{base}/login", app, work / "serve.log")
        cookies = {who: sign_in(base, who) for who in {w for w, _p in pages.values() if w}}
        for name, (who, path) in pages.items():  # every page answers 200 before it is measured
            r = requests.get(base + path.format(run_id=run_id), headers={"Cookie": cookies[who]} if who else {},
                             allow_redirects=False, timeout=60)
            if r.status_code != 200:
                raise SystemExit(f"{name}: {path} answered {r.status_code} before the benchmark")
        runs = {name: [] for name in pages}
        for rnd in range(args.rounds):
            for name, (who, path) in pages.items():
                a = wrk(hello_url, None, args, script)
                b = wrk(base + path.format(run_id=run_id), cookies.get(who), args, script)
                runs[name].append({"round": rnd + 1, "hello": a, "page": b, "ratio": round(b["rps"] / a["rps"], 4)})
                print(f"round {rnd + 1} {name:24} {b['rps']:8.1f} req/s  hello {a['rps']:8.1f}  "
                      f"ratio {b['rps'] / a['rps']:6.1%}  p50 {b['p50_ms']:.1f} p95 {b['p95_ms']:.1f} "
                      f"p99 {b['p99_ms']:.1f} ms", flush=True)
        for name, rows in runs.items():
            ratios = [r["ratio"] for r in rows]
            results[name] = {
                "path": pages[name][1].format(run_id=run_id), "signed_in_as": pages[name][0],
                "ratio": spread(ratios), "target": TARGETS.get(name),
                "page_rps": spread([r["page"]["rps"] for r in rows]),
                "hello_rps": spread([r["hello"]["rps"] for r in rows]),
                "page_p50_ms": statistics.median(r["page"]["p50_ms"] for r in rows),
                "page_p95_ms": statistics.median(r["page"]["p95_ms"] for r in rows),
                "page_p99_ms": statistics.median(r["page"]["p99_ms"] for r in rows),
                "errors": sum(sum(r["page"]["errors"].values()) for r in rows),
                "rounds": rows,
            }
    finally:
        stop(app)
        stop(hello)
    load_after = os.getloadavg()
    doc = {
        "label": args.label, "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "loadavg_before": [round(x, 2) for x in load_before],
                    "loadavg_after": [round(x, 2) for x in load_after],
                    "busy": max(load_before[0], load_after[0]) > (os.cpu_count() or 1) * 0.5},
        "settings": {"seconds": args.seconds, "rounds": args.rounds, "waitress_threads": args.threads,
                     "connections": args.connections, "wrk_threads": args.wrk_threads, "database": "sqlite (demo)"},
        "demo_build_s": round(build_s, 1), "serve_first_200_s": round(first_200, 2), "note": args.note,
        "pages": results,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "http_limit.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n")
    (RESULTS / "http_limit.md").write_text(markdown(doc))
    print(markdown(doc))
    shutil.rmtree(work, ignore_errors=True)


def markdown(doc: dict) -> str:
    m = doc["machine"]
    lines = [
        "# Pages against the stack's limit (bench/http_limit.py)", "",
        f"{doc['when']}, label `{doc['label']}`: {doc['settings']['rounds']} A/B rounds of "
        f"{doc['settings']['seconds']} s per run, wrk -t{doc['settings']['wrk_threads']} "
        f"-c{doc['settings']['connections']}, waitress threads={doc['settings']['waitress_threads']}, "
        f"SQLite demo database. {m['cpus']} CPUs; load average before {m['loadavg_before']}, after "
        f"{m['loadavg_after']}" + (" — **the machine was busy: ratios are not comparable with a quiet run**."
                                   if m["busy"] else "."), "",
    ]
    if doc.get("note"):
        lines += [doc["note"], ""]
    lines += ["| page | ratio of hello world (median, min–max) | target | page req/s | hello req/s | "
              "p50 / p95 / p99 ms | errors |", "|---|---|---|---|---|---|---|"]
    for name, r in doc["pages"].items():
        target = f"≥ {r['target']:.0%}" if r["target"] else ""
        lines.append(f"| {name} | {r['ratio']['median']:.1%} ({r['ratio']['min']:.1%}–{r['ratio']['max']:.1%}) | "
                     f"{target} | {r['page_rps']['median']:.0f} | {r['hello_rps']['median']:.0f} | "
                     f"{r['page_p50_ms']:.1f} / {r['page_p95_ms']:.1f} / {r['page_p99_ms']:.1f} | {r['errors']} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
