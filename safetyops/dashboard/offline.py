"""The installable app: the service worker, the offline page and the list of pages a person needs today.

- ``/sw.js``: the worker (static/sw.js) served from the site root so that its scope is the whole
  site, headed by the list of app-shell files it precaches (fingerprinted URLs) and their hash: a
  new CSS or script file changes the worker's bytes, so phones install the new shell.  Never
  cached by the browser's HTTP cache (the browser must see updates).
- ``/offline``: the page a phone shows for a page it does not have (in the person's language).
- ``/offline/pages.json``: the pages this person needs today (each area's `offline_pages` providers), an
  opaque key of the person (the worker keeps one page cache per person) and a fresh form token
  for the outbox.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    get_flashed_messages,
    jsonify,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from .. import security
from ..access import public, signed_in
from ..offline import pages_for
from ..static_files import REVALIDATE
from ..time import school_today

#: Static folders whose files make up the app shell (every page's CSS and scripts, the icons).
SHELL_DIRS = ("css", "js", "vendor", "icons")
SHELL_EXTS = (".css", ".js", ".svg", ".png")


def shell_files() -> list[str]:
    root = current_app.static_folder
    found = []
    for sub in SHELL_DIRS:
        for dirpath, _dirs, files in os.walk(os.path.join(root, sub)):
            for name in files:
                if name.endswith(SHELL_EXTS):
                    found.append(os.path.relpath(os.path.join(dirpath, name), root).replace(os.sep, "/"))
    return sorted(found)


def shell_urls() -> list[str]:
    return [url_for("static", filename=name) for name in shell_files()] + [
        url_for("dashboard.manifest"), url_for("dashboard.offline_page")]


def user_key(user, school) -> str:
    """An opaque, stable name for the person at this school (their page cache on the phone)."""
    msg = f"{user.id}:{getattr(school, 'id', 0)}".encode()
    return hmac.new(current_app.config["SECRET_KEY"].encode(), msg, hashlib.sha256).hexdigest()[:20]


def offline_user_key() -> str:
    """The signed-in person's key (base.html): the phone re-caches today's pages when it changes."""
    if not current_user.is_authenticated:
        return ""
    return user_key(current_user, getattr(g, "school", None))


@public
def worker():
    shell = shell_urls()
    with open(os.path.join(current_app.static_folder, "sw.js"), encoding="utf-8") as fh:
        source = fh.read()
    version = hashlib.sha256(("\n".join(shell) + source).encode()).hexdigest()[:12]
    head = (f"const SHELL = {json.dumps(shell)};\nconst SHELL_VERSION = {json.dumps(version)};\n"
            f"const IDB_SCRIPT = {json.dumps(url_for('static', filename='vendor/idb-keyval/idb-keyval.umd.js'))};\n"
            f"const OFFLINE_URL = {json.dumps(url_for('dashboard.offline_page'))};\n")
    resp = Response(head + source, mimetype="text/javascript")
    resp.headers["Cache-Control"] = REVALIDATE
    resp.headers["Service-Worker-Allowed"] = "/"
    return resp


@public
def page():
    signed = current_user.is_authenticated and getattr(g, "school", None) is not None
    return render_template("offline.html", signed=signed)


@signed_in
def pages():
    school = getattr(g, "school", None)
    urls = [url_for("dashboard.offline_page")]
    if school is not None:
        urls = [url_for("dashboard.home"), *pages_for(current_user, school, g.role, school_today(school)), *urls]
    resp = jsonify({"user": user_key(current_user, school), "pages": urls, "csrf": generate_csrf()})
    return resp


WARM_HEADER = security.WARM_HEADER  # sent by the service worker on the pages it fetches ahead

def page_messages() -> list[tuple[str, str]]:
    """The flashed messages to show on this page (base.html).  A page the service worker fetches
    ahead in the background leaves them for the page the person opens next: else a "Saved." set
    by a form could be taken by the worker's fetch and never seen (and kept in the offline copy)."""
    if request.headers.get(WARM_HEADER):
        return []
    return get_flashed_messages(with_categories=True)


def init(bp: Blueprint) -> None:
    """Add these routes to the dashboard's blueprint (endpoints ``dashboard.offline_*``)."""
    bp.add_url_rule("/sw.js", "offline_worker", worker)
    bp.add_url_rule("/offline", "offline_page", page)
    bp.add_url_rule("/offline/pages.json", "offline_pages", pages)
    bp.add_app_template_global(offline_user_key)
    bp.add_app_template_global(page_messages)
