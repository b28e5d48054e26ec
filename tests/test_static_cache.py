"""Light on the wire: fingerprinted static URLs cached for a year, compressed text, no-store pages."""

from __future__ import annotations

import gzip
import hashlib
import re
from pathlib import Path

import brotli
import pytest
from flask import url_for

from safetyops import create_app
from safetyops.static_files import IMMUTABLE, PUBLIC_DAY
from tests.conftest import TEST_CONFIG

STATIC = Path(__file__).resolve().parents[1] / "static"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def test_static_urls_carry_the_hash_of_the_file(app, app_ctx):
    with app.test_request_context():
        url = url_for("static", filename="css/app.css")
    assert url == f"/static/css/app.css?v={digest(STATIC / 'css' / 'app.css')}"


def test_pages_link_fingerprinted_files(client, as_role):
    as_role("teacher")
    html = client.get("/").get_data(as_text=True)
    links = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    assert links and all(re.search(r"\?v=[0-9a-f]{12}$", link) for link in links), links


def test_a_fingerprinted_file_is_immutable_for_a_year(client, as_role):
    as_role("teacher")  # signed in too: static files are the same for everyone
    v = digest(STATIC / "js" / "app.js")
    r = client.get(f"/static/js/app.js?v={v}")
    assert r.status_code == 200 and r.headers["Cache-Control"] == IMMUTABLE == "public, max-age=31536000, immutable"


@pytest.mark.parametrize("query", ["", "?v=000000000000"])
def test_without_the_current_hash_a_file_is_revalidated(client, query):
    r = client.get(f"/static/js/app.js{query}")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-cache"


def test_signed_in_pages_stay_no_store_favicon_and_manifest_are_public(client, as_role):
    as_role("teacher")
    assert client.get("/").headers["Cache-Control"] == "no-store"
    for url in ("/favicon.ico", "/manifest.webmanifest"):
        r = client.get(url)
        assert r.status_code == 200 and r.headers["Cache-Control"] == PUBLIC_DAY == "public, max-age=86400", url


@pytest.mark.parametrize(("encoding", "decompress"), [("gzip", gzip.decompress), ("br", brotli.decompress)])
def test_static_text_is_compressed(client, encoding, decompress):
    source = (STATIC / "css" / "app.css").read_bytes()
    r = client.get(f"/static/css/app.css?v={digest(STATIC / 'css' / 'app.css')}",
                   headers={"Accept-Encoding": encoding})
    body = r.get_data()
    assert r.headers["Content-Encoding"] == encoding and "Accept-Encoding" in r.headers["Vary"]
    assert int(r.headers["Content-Length"]) == len(body)
    assert decompress(body) == source
    assert len(body) * 3 < len(source)  # CSS shrinks to well under a third
    assert r.headers["Cache-Control"] == IMMUTABLE


def test_signed_in_pages_are_compressed_and_not_stored(client, as_role):
    as_role("teacher")
    plain = client.get("/").get_data()
    r = client.get("/", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert r.headers["Content-Encoding"] == "br" and r.headers["Cache-Control"] == "no-store"
    assert len(r.get_data()) * 2 < len(plain)
    assert len(brotli.decompress(r.get_data())) == len(plain)


def test_small_and_binary_answers_are_not_compressed(client):
    assert "Content-Encoding" not in client.get("/healthz", headers={"Accept-Encoding": "gzip"}).headers
    png = client.get(f"/static/icons/icon-192.png?v={digest(STATIC / 'icons' / 'icon-192.png')}",
                     headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in png.headers and png.get_data() == (STATIC / "icons" / "icon-192.png").read_bytes()


def test_a_service_worker_is_never_fingerprinted_nor_immutable(tmp_path):
    folder = tmp_path / "static"
    folder.mkdir()
    (folder / "sw.js").write_text("self.addEventListener('fetch', () => {});\n")
    app = create_app({**TEST_CONFIG, "INSTANCE_PATH": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    app.static_folder = str(folder)
    with app.test_request_context():
        assert url_for("static", filename="sw.js") == "/static/sw.js"
    r = app.test_client().get(f"/static/sw.js?v={digest(folder / 'sw.js')}")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-cache"
