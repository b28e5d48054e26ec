"""The teacher's first load as Chromium makes it (issue 12, issue 19's page-weight target).

A phone that has the session but nothing cached (a new context with the teacher's cookies) opens
the home page: what Chromium transfers up to the page's load event (bodies as sent, with their
headers, as the DevTools protocol counts them) is within 15 KB, the outbox scripts are not among
it, and once the page has loaded they come, the service worker is installed and today's pages are
kept, so the phone works offline as before.  Sign-out pressed on the home page still clears the
phone.  Byte counts, no timing; the exact server-side counts are tests/test_page_weight.py.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import sign_in, sign_out

pytestmark = pytest.mark.browser

FIRST_LOAD_MAX = 15 * 1024  # HTML, CSS and scripts
LONG = 60_000  # ms: a busy shared machine


def _cold_phone(new_phone, browser, browser_context_args, username: str):
    signed = new_phone()
    sign_in(signed, username)
    state = signed.context.storage_state()
    context = browser.new_context(**{**browser_context_args, "storage_state": state})
    return context, context.new_page()


def test_teachers_home_first_load_is_light_and_the_phone_still_goes_offline(new_phone, browser, browser_context_args):
    context, page = _cold_phone(new_phone, browser, browser_context_args, "teacher")
    try:
        loaded = []
        page.on("requestfinished", lambda req: loaded.append(req))
        page.goto("/", wait_until="load")
        first = [(req.url, req.resource_type, req.sizes()) for req in list(loaded)]
        weight = {
            url: s["responseBodySize"] + s["responseHeadersSize"]
            for url, kind, s in first
            if kind in ("document", "stylesheet", "script")
        }
        assert not any("outbox.js" in url or "idb-keyval" in url for url, _k, _s in first), first
        assert sum(weight.values()) <= FIRST_LOAD_MAX, weight
        print("first load (HTML, CSS, JS, with headers):", sum(weight.values()), weight)
        # After the load: the outbox, the worker, today's pages on the phone.
        page.wait_for_function("() => !!window.SafetyOutbox", timeout=LONG)
        page.wait_for_function(
            "() => document.documentElement.getAttribute('data-offline-ready') === '1'", timeout=LONG
        )
        page.wait_for_function("() => navigator.serviceWorker.controller", timeout=LONG)
        assert page.evaluate("caches.keys().then(k => k.some(n => n.startsWith('pages-')))")
        # Signing out from the home page clears the phone's pages.
        sign_out(page)
        page.wait_for_function("caches.keys().then(k => !k.some(n => n.startsWith('pages-')))", timeout=LONG)
    finally:
        context.close()


def test_sign_out_pressed_before_the_outbox_loads_still_clears_the_phone(new_phone, browser, browser_context_args):
    """app.js holds a sign-out pressed before the outbox scripts ran, then lets them clear the phone."""
    signed = new_phone()
    sign_in(signed, "teacher")
    context = browser.new_context(
        **{**browser_context_args, "storage_state": signed.context.storage_state(), "service_workers": "block"}
    )
    try:
        page = context.new_page()
        held, posts = [], []
        page.route("**/static/js/outbox.js*", lambda route: held.append(route))
        page.on("request", lambda req: posts.append(req.url) if req.method == "POST" else None)
        page.goto("/", wait_until="load")
        page.wait_for_function("() => document.querySelectorAll('script[src*=\"outbox.js\"]').length === 1")
        page.evaluate("localStorage.setItem('safetyops.draft:/x', '{}')")
        page.click("details.menu > summary")
        page.click("details.menu form[action$='/logout'] button[type=submit]")
        page.evaluate("1")
        assert not any(u.endswith("/logout") for u in posts), "held until the outbox has run"
        assert held, "the outbox script was asked for"
        page.unroute("**/static/js/outbox.js*")  # the held request goes on to the server
        page.wait_for_url("**/login**", timeout=LONG, wait_until="commit")
        assert any(u.endswith("/logout") for u in posts)
        assert page.evaluate("localStorage.getItem('safetyops.draft:/x')") is None  # the phone was cleared
    finally:
        context.close()
