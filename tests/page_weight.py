"""Bytes on the wire of a page's first load and of a phone's offline cache (issue 12, issue 19).

Used by tests/test_page_weight.py (exact byte counts of the demo teacher's home) and by
bench/phone_weight.py (the figures in docs/offline.md).  Everything goes through the Flask test
client with ``Accept-Encoding: gzip`` (the browser on a phone offers brotli too, which is
smaller: these are upper bounds).  A response's size is its body as sent (compressed when the
app compresses it) plus its status line and headers as HTTP/1.1 writes them.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass, field

GZIP = {"Accept-Encoding": "gzip"}
#: The first load of a page: what the browser fetches before the page's load event.
FIRST_LOAD = (
    (re.compile(rb'<link rel="stylesheet" href="([^"]+)"'), "css"),
    (re.compile(rb'<script src="([^"]+)"'), "js"),
    (re.compile(rb'<img src="([^"]+)"'), "image"),
    (re.compile(rb'<link rel="icon" href="([^"]+)" type="image/svg\+xml"'), "image"),
    (re.compile(rb'<link rel="manifest" href="([^"]+)"'), "manifest"),
)


@dataclass
class Load:
    #: url -> (kind, bytes on the wire)
    parts: dict[str, tuple[str, int]] = field(default_factory=dict)

    def add(self, url: str, kind: str, size: int) -> None:
        self.parts.setdefault(url, (kind, size))

    def total(self, *kinds: str) -> int:
        return sum(size for kind, size in self.parts.values() if not kinds or kind in kinds)


def wire_size(resp) -> int:
    head = len(f"HTTP/1.1 {resp.status}\r\n".encode())
    head += sum(len(f"{k}: {v}\r\n".encode()) for k, v in resp.headers.items()) + 2
    return head + len(resp.get_data())


def fetch(client, url: str):
    resp = client.get(url, headers=GZIP)
    resp.close()
    return resp


def body(resp) -> bytes:
    data = resp.get_data()
    return gzip.decompress(data) if resp.headers.get("Content-Encoding") == "gzip" else data


def first_load(client, url: str = "/") -> tuple[Load, Load]:
    """(the page's first load up to its load event, what its scripts fetch right after it: data-later)."""
    page = fetch(client, url)
    assert page.status_code == 200, page.status_code
    html = body(page)
    now, later = Load(), Load()
    now.add(url, "html", wire_size(page))
    for pattern, kind in FIRST_LOAD:
        for ref in pattern.findall(html):
            src = ref.decode().replace("&amp;", "&")
            now.add(src, kind, wire_size(fetch(client, src)))
    for src in (re.search(rb'data-later="([^"]*)"', html) or [b"", b""])[1].decode().split():
        later.add(src, "js", wire_size(fetch(client, src)))
    return now, later


def offline_cache(client) -> dict:
    """What the service worker fetches and keeps for the signed-in person: the worker, the app
    shell, today's pages.  ``wire``: bytes on the wire (compressed); ``stored``: bytes kept in the
    phone's Cache Storage (bodies as the browser keeps them, uncompressed, with their headers)."""
    worker = fetch(client, "/sw.js")
    source = body(worker).decode()
    shell = json.loads(re.search(r"const SHELL = (\[.*?\]);", source).group(1))
    listing = fetch(client, "/offline/pages.json")
    pages = json.loads(body(listing))["pages"]
    wire = wire_size(worker) + wire_size(listing)
    stored = 0
    for url in [*shell, *pages]:
        resp = fetch(client, url)
        wire += wire_size(resp)
        raw = body(resp)
        stored += len(raw) + sum(len(k) + len(v) for k, v in resp.headers.items())
    return {"shell_files": len(shell), "pages": len(pages), "wire": wire, "stored": stored}
