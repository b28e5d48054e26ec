"""Page weight and server time of the foundation's pages (the phone's first load).

Builds the demo in a temporary SQLite database, signs in as `director` and `guard`,
and measures:
- bytes of the home page and of everything it loads (CSS, JS, icons), raw and gzipped;
- server time per request for the home page and the sign-in page (median and p95 over N runs,
  in-process, so network time is excluded).

Usage: python bench/foundation_pages.py [--runs 300]
Writes bench/results/foundation_pages.json.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import tempfile
import time
from pathlib import Path

from safetyops import create_app
from safetyops.demo import build_demo
from safetyops.extensions import db


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}", "INSTANCE_PATH": str(tmp),
                      "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                      "LOGIN_LIMIT_PER_ADDRESS": "10000 per minute"})
    with app.app_context():
        db.create_all()
        build_demo("safetyops")
    results: dict = {}
    for username in ("director", "guard"):
        client = app.test_client()
        client.post("/login", data={"login": username, "password": "safetyops"})
        html = client.get("/").get_data()
        assets = re.findall(rb'(?:href|src)="(/(?:static|favicon)[^"]*)"', html)
        asset_bytes = {}
        for url in sorted(set(assets)):
            resp = client.get(url.decode())
            asset_bytes[url.decode()] = len(resp.get_data())
            resp.close()
        raw = len(html) + sum(asset_bytes.values())
        gz = len(gzip.compress(html)) + sum(
            len(gzip.compress((Path(app.static_folder) / u.removeprefix("/static/")).read_bytes()))
            for u in asset_bytes if u.startswith("/static/"))
        timings = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            client.get("/").get_data()
            timings.append((time.perf_counter() - t0) * 1000)
        timings.sort()
        results[f"home_{username}"] = {
            "html_bytes": len(html), "assets": asset_bytes, "total_bytes": raw, "total_gzip_bytes": gz,
            "server_ms_median": round(statistics.median(timings), 2),
            "server_ms_p95": round(timings[int(len(timings) * 0.95)], 2),
        }
    anon = app.test_client()
    timings = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        anon.get("/login").get_data()
        timings.append((time.perf_counter() - t0) * 1000)
    timings.sort()
    results["login_page"] = {"server_ms_median": round(statistics.median(timings), 2),
                             "server_ms_p95": round(timings[int(len(timings) * 0.95)], 2)}
    out = Path(__file__).parent / "results" / "foundation_pages.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    for name, r in results.items():
        print(name, {k: v for k, v in r.items() if k != "assets"})
    print(f"written to {out}")


if __name__ == "__main__":
    main()
