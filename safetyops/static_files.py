"""Static files on the wire: fingerprinted URLs cached for a year, and compression.

`url_for('static', filename=...)` adds ``?v=<hash of the file's content>`` (a `url_defaults`
callback, so every template gets it).  A request whose ``v`` is the file's current hash is
answered ``Cache-Control: public, max-age=31536000, immutable``: a phone fetches each
version once.  Without ``v``, or with an old one, the file is revalidated (``no-cache``).
A service worker script is never fingerprinted nor immutable (the browser must see its
updates).  The favicon and the manifest are cached publicly for a day.

Text responses are compressed by Flask-Compress (brotli where the browser offers it, else
gzip).  Signed-in pages keep ``no-store`` (security.set_headers).
"""

from __future__ import annotations

import hashlib
import os
import re

from flask import Flask, current_app, request
from werkzeug.security import safe_join

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
PUBLIC_DAY = "public, max-age=86400"
#: Endpoints of files served outside /static/ that every visitor may cache for a day.
PUBLIC_ENDPOINTS = frozenset({"dashboard.favicon", "dashboard.manifest"})
SERVICE_WORKER = re.compile(r"(^|/)(sw|service-?worker)[\w.-]*\.js$")
#: Static files buffered so that they are compressed like any response (they are small).
_BUFFER_MAX = 1024 * 1024

COMPRESS_DEFAULTS = {
    "COMPRESS_ALGORITHM": ["br", "gzip"],
    "COMPRESS_LEVEL": 6,
    "COMPRESS_BR_LEVEL": 5,
    "COMPRESS_MIN_SIZE": 500,
}

_hashes: dict[str, tuple[tuple[int, int], str]] = {}


def file_hash(static_folder: str, filename: str) -> str | None:
    """The first 12 hex digits of the file's SHA-256 (cached until its size or mtime changes)."""
    path = safe_join(static_folder, filename)
    if path is None:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    key = (st.st_mtime_ns, st.st_size)
    hit = _hashes.get(path)
    if hit is not None and hit[0] == key:
        return hit[1]
    with open(path, "rb") as fh:
        digest = hashlib.sha256(fh.read()).hexdigest()[:12]
    _hashes[path] = (key, digest)
    return digest


def init_app(app: Flask) -> None:
    """Call after Flask-Compress is bound: this after_request must run before its own."""
    from flask_compress import Compress

    for key, value in COMPRESS_DEFAULTS.items():
        app.config.setdefault(key, value)
    Compress(app)

    @app.url_defaults
    def _fingerprint(endpoint, values):
        if endpoint != "static" or "v" in values:
            return
        filename = values.get("filename")
        if not filename or SERVICE_WORKER.search(filename):
            return
        digest = file_hash(app.static_folder, filename)
        if digest:
            values["v"] = digest

    # Registered after Compress: Flask runs after_request functions last-registered first.
    app.after_request(cache_headers)


def cache_headers(response):
    endpoint = request.endpoint
    if endpoint == "static":
        filename = (request.view_args or {}).get("filename", "")
        v = request.args.get("v")
        fresh = (v and response.status_code in (200, 304) and not SERVICE_WORKER.search(filename)
                 and v == file_hash(current_app.static_folder, filename))
        response.headers["Cache-Control"] = IMMUTABLE if fresh else REVALIDATE
        # send_file names the file ("inline; filename=app.css"): the URL does already, and inline is
        # what a browser does without it; about 50 bytes less on each of a phone's first requests.
        response.headers.pop("Content-Disposition", None)
        _buffer(response)
    elif endpoint in PUBLIC_ENDPOINTS and response.status_code in (200, 304):
        response.headers["Cache-Control"] = PUBLIC_DAY
        _buffer(response)
    return response


def _buffer(response) -> None:
    """send_file streams the file; read it so that it is compressed with gzip/br like other text."""
    if response.direct_passthrough and response.content_length is not None and response.content_length < _BUFFER_MAX:
        stream = response.response
        try:
            body = b"".join(stream)
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        response.direct_passthrough = False
        response.set_data(body)
