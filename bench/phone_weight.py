"""Bytes on the wire of a phone's first load, and the size of its offline cache (issue 12, issue 19).

Builds the demo in a temporary SQLite database and, for the teacher and the guard:
- the home page's first load (HTML, CSS, scripts, the icon and the manifest the browser fetches
  before the page's load event), compressed (gzip; a phone's browser offers brotli, smaller), with
  the headers of each answer;
- what the page's scripts fetch right after its load (the outbox scripts, `data-later`);
- a repeat load (the fingerprinted files are cached for a year: the HTML only);
- the service worker's install and warm-up: the worker, the app shell and today's pages on the
  wire, and what the phone's Cache Storage keeps (uncompressed).

Usage: python bench/phone_weight.py
Writes bench/results/phone_weight.json.  The exact limits are tests/test_page_weight.py.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from safetyops import create_app  # noqa: E402
from safetyops.demo import build_demo  # noqa: E402
from safetyops.extensions import db  # noqa: E402
from tests.page_weight import first_load, offline_cache  # noqa: E402


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}",
            "INSTANCE_PATH": str(tmp),
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "LOGIN_LIMIT_PER_ADDRESS": "10000 per minute",
        }
    )
    with app.app_context():
        db.create_all()
        build_demo("safetyops")
    results: dict = {}
    for username in ("teacher", "guard"):
        client = app.test_client()
        client.post("/login", data={"login": username, "password": "safetyops"})
        with app.app_context():
            now, later = first_load(client, "/")
            cache = offline_cache(client)
        results[username] = {
            "first_load": {url.split("?")[0]: {"kind": kind, "bytes": size} for url, (kind, size) in now.parts.items()},
            "first_load_html_css_js_bytes": now.total("html", "css", "js"),
            "first_load_all_bytes": now.total(),
            "after_load": {url.split("?")[0]: size for url, (_k, size) in later.parts.items()},
            "after_load_bytes": later.total(),
            "repeat_load_bytes": now.total("html"),
            "offline": cache,
        }
    out = Path(__file__).parent / "results" / "phone_weight.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    for name, r in results.items():
        print(name, {k: v for k, v in r.items() if k not in ("first_load", "after_load")})
    print(f"written to {out}")


if __name__ == "__main__":
    main()
