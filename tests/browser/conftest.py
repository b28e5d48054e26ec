"""Browser tests: the demo app served by waitress, driven by Debian's Chromium through Playwright.

Everything here is marked `browser` (see `pytest_collection_modifyitems`), so
`pytest -m "not browser"` leaves it out and `pytest -m browser` runs only it.

Tools, found once per session (install them with `bash .ci/setup`):
- Chromium: /usr/bin/chromium (or $CHROMIUM)
- axe-core: $AXE_JS, else .ci/node_modules/axe-core/axe.min.js
- Nu HTML checker: $VNU_JAR, else .ci/node_modules/vnu-jar/build/dist/vnu.jar, run with `java`

The app's CSP is `script-src 'self'`, so axe is not added as a <script> tag (an inline
script the CSP would block); its source is evaluated through the DevTools protocol
(`page.evaluate`), which CSP does not govern.  Contexts keep CSP on, so a page that
needs an inline script or style still breaks here as it would for users.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO_PASSWORD = "safetyops"
PHONE = "iPhone 13"
PHONE_LOCALE = "ky-KG"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21aa"]
AXE_BLOCKING = {"serious", "critical"}


# ---------------------------------------------------------------- marking

@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


# ---------------------------------------------------------------- the live server

class LiveServer:
    def __init__(self, app, url: str):
        self.app = app
        self.url = url

    def __repr__(self) -> str:
        return f"<LiveServer {self.url}>"

    def query(self, fn):
        """Run `fn` against the server's database (to check what the browser did) and clean up."""
        from safetyops.extensions import db

        with self.app.app_context():
            try:
                return fn()
            finally:
                db.session.remove()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The demo (every role account, password "safetyops") on a fresh SQLite file, served by waitress."""
    import waitress

    from safetyops import create_app
    from safetyops.demo import build_demo
    from safetyops.extensions import db

    tmp = tmp_path_factory.mktemp("live")
    app = create_app({
        "DATABASE_URL": "sqlite:///" + str(tmp / "browser.sqlite3"),
        "SECRET_KEY": "browser-tests",
        "INSTANCE_PATH": str(tmp),
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 8,
        "ARGON2_PARALLELISM": 1,
    })
    with app.app_context():
        db.create_all()
        build_demo(DEMO_PASSWORD)
        db.session.remove()

    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4, ident="SafetyOps-test")
    thread = threading.Thread(target=server.run, name="waitress-live-server", daemon=True)
    thread.start()
    yield LiveServer(app, f"http://127.0.0.1:{server.effective_port}")

    # Close every socket from inside the server's own loop (no cross-thread close races);
    # with its socket map empty, the loop returns and the thread ends.
    from waitress import wasyncore

    server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
    thread.join(timeout=10)
    server.task_dispatcher.shutdown()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def _demo_locales(live_server) -> dict[int, str]:
    """Each demo account's language as the demo made it."""
    import sqlalchemy as sa

    from safetyops.auth.models import User
    from safetyops.extensions import db

    return dict(live_server.query(lambda: db.session.execute(sa.select(User.id, User.locale)).all()))


@pytest.fixture(autouse=True)
def _accounts_keep_their_language(request, _demo_locales):
    """A test that switches a person's language (saved on the account) gives it back afterwards,
    so the next test's teacher still reads Kyrgyz whichever order the tests run in."""
    yield
    import sqlalchemy as sa

    from safetyops.auth.models import User
    from safetyops.extensions import db

    live_server = request.getfixturevalue("live_server")

    def restore():
        for user_id, locale in _demo_locales.items():
            db.session.execute(sa.update(User).where(User.id == user_id, User.locale != locale).values(locale=locale))
        db.session.commit()

    live_server.query(restore)


@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    """pytest-playwright passes this to every context, so `page.goto("/login")` works."""
    return live_server.url


# ---------------------------------------------------------------- Playwright

@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: run `bash .ci/setup` (apt-get install chromium)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def phone_device(playwright) -> dict:
    """iPhone 13: 390×664 viewport, scale 3, touch, mobile — without `default_browser_type`."""
    device = dict(playwright.devices[PHONE])
    device.pop("default_browser_type", None)
    return device


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, phone_device):
    return {**browser_context_args, **phone_device, "locale": PHONE_LOCALE}


@pytest.fixture
def new_phone(browser, browser_context_args) -> Callable[..., object]:
    """Factory for more phones at once: `alice = new_phone(); bob = new_phone(locale="ru-KG")`.

    Each call opens its own context (own cookies: a separate person) and returns its page;
    keyword arguments override the phone's context options.  All are closed after the test."""
    contexts = []

    def make(**overrides):
        context = browser.new_context(**{**browser_context_args, **overrides})
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


# ---------------------------------------------------------------- app helpers

def sign_in(page, username: str, password: str = DEMO_PASSWORD) -> None:
    """From wherever the page is: open the sign-in form, submit it, wait for the next page."""
    if "/login" not in page.url:
        page.goto("/login")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form.card button[type=submit]")


def switch_language(page, code: str) -> None:
    """Press the footer's language button (a POST that comes back to the same page)."""
    with page.expect_navigation():
        page.click(f"footer button[name=lang][value={code}]")


def sign_out(page) -> None:
    """Open the top bar menu and press its sign-out button."""
    page.click("details.menu > summary")
    with page.expect_navigation():
        page.click("details.menu form[action$='/logout'] button[type=submit]")


def html_lang(page) -> str:
    return page.get_attribute("html", "lang") or ""


# ---------------------------------------------------------------- axe-core and the Nu HTML checker

def _tool(env: str, relative: str, what: str) -> Path:
    path = Path(os.environ[env]) if os.environ.get(env) else REPO / relative
    if not path.is_file():
        pytest.fail(f"{what} not found at {path}: run `bash .ci/setup` (or set {env})")
    return path


_axe_source: str | None = None


def axe_check(page, *, blocking: set[str] = AXE_BLOCKING) -> list[dict]:
    """Run axe-core (WCAG 2.0 A/AA and 2.1 AA rules) on the page as it is now.

    Fails on any violation of impact serious or critical; returns the rest (moderate/minor)."""
    global _axe_source
    if _axe_source is None:
        _axe_source = _tool("AXE_JS", ".ci/node_modules/axe-core/axe.min.js", "axe-core").read_text()
    if not page.evaluate("() => typeof window.axe === 'object'"):  # lost on each navigation
        page.evaluate(_axe_source)
    result = page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    violations = result["violations"]
    bad = [v for v in violations if v.get("impact") in blocking]
    assert not bad, f"axe on {page.url}: {len(bad)} serious/critical violation(s)\n" + _format_axe(bad)
    return [v for v in violations if v not in bad]


def _format_axe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:10]:
            lines.append(f"    {json.dumps(node['target'], ensure_ascii=False)}  {node.get('failureSummary', '')!r}")
        if len(v["nodes"]) > 10:
            lines.append(f"    … and {len(v['nodes']) - 10} more")
    return "\n".join(lines)


class _Vnu:
    """The Nu HTML checker as one web service for the whole session (`nu.validator.servlet.Main` on a free
    local port): a `java -jar vnu.jar -` per page cost ~3.5 s of CPU for the JVM's start and the schemas'
    load, for each of the suite's ~200 checks; a request to the running service takes ~50 ms.  Started on
    first use, stopped when the session's process exits."""

    proc: subprocess.Popen | None = None
    url = ""
    log: Path | None = None

    @classmethod
    def endpoint(cls) -> str:
        if cls.proc is not None and cls.proc.poll() is None:
            return cls.url
        import atexit
        import socket
        import tempfile
        import time
        import urllib.request

        jar = _tool("VNU_JAR", ".ci/node_modules/vnu-jar/build/dist/vnu.jar", "vnu.jar")
        java = shutil.which("java")
        if java is None:
            pytest.fail("java not found: run `bash .ci/setup` (apt-get install default-jre-headless)")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        cls.log = Path(tempfile.mkstemp(prefix="vnu-", suffix=".log")[1])
        # -Xss: the schemas' RELAX NG expansion overflows a 512 KB thread stack
        with cls.log.open("wb") as log:  # the child keeps its own copy of the descriptor
            cls.proc = subprocess.Popen(
                [java, "-Xss8m", "-Dnu.validator.servlet.bind-address=127.0.0.1", "-cp", str(jar),
                 "nu.validator.servlet.Main", str(port)],
                stdout=log, stderr=subprocess.STDOUT)
        atexit.register(cls.stop)
        cls.url = f"http://127.0.0.1:{port}/?out=json&level=error"
        deadline = time.monotonic() + 300  # the JVM starts in ~8 s on a busy machine; never a timing assertion
        while True:
            if cls.proc.poll() is not None:
                pytest.fail(f"the Nu HTML checker service exited {cls.proc.returncode}:\n{cls.log.read_text()[-3000:]}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).close()
                return cls.url
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"the Nu HTML checker service did not answer:\n{cls.log.read_text()[-3000:]}")
                time.sleep(0.25)


    @classmethod
    def stop(cls) -> None:
        if cls.proc is not None:
            cls.proc.kill()
            cls.proc.wait()


def vnu_check(html: str, where: str = "page") -> None:
    """Validate HTML with the Nu HTML checker (errors only; it cannot fetch http://127.0.0.1 itself, so the
    page's HTML is posted to it), through the session's checker service (`_Vnu`)."""
    import urllib.request

    request = urllib.request.Request(_Vnu.endpoint(), data=html.encode(),
                                     headers={"Content-Type": "text/html; charset=utf-8"})
    with urllib.request.urlopen(request, timeout=120) as response:
        messages = json.load(response)["messages"]
    errors = [m for m in messages if m.get("type") in ("error", "non-document-error")]
    lines = [f"{m.get('lastLine', '?')}.{m.get('firstColumn', m.get('lastColumn', '?'))}: {m['type']}: {m['message']}"
             + (f"\n    {m['extract']!r}" if m.get("extract") else "") for m in errors]
    assert not errors, f"Nu HTML checker on {where}: {len(errors)} error(s)\n" + "\n".join(lines)


def check_page(page) -> list[dict]:
    """vnu on the current DOM (before axe touches the page), then axe."""
    vnu_check(page.content(), page.url)
    return axe_check(page)
