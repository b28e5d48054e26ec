"""The shell every role sees on a phone: sign in, today's page in Kyrgyz, language switch, sign out."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from babel.support import Translations

from safetyops.auth.models import User
from safetyops.auth.roles import ROLE_LABELS, Role
from safetyops.demo import OTHER_SCHOOL_NAME, SCHOOL_NAME
from safetyops.extensions import db
from safetyops.paths import resource_dir
from tests.browser.conftest import REPO, check_page, html_lang, sign_in, sign_out, switch_language

pytestmark = pytest.mark.browser

ROLE_ACCOUNTS = ["director", "deputy", "safety_officer", "teacher", "guard", "canteen", "nurse", "inspector", "admin"]
SCREENSHOTS = REPO / "docs" / "screenshots"

_ky = Translations.load(str(resource_dir("translations")), ["ky"], domain="messages")


def ky(msgid: str) -> str:
    """The Kyrgyz text the app should show for `msgid` (the msgid itself until the ky catalogue has it)."""
    return _ky.gettext(msgid)


def account_locale(live_server, username: str) -> str:
    with live_server.app.app_context():
        locale = db.session.scalar(sa.select(User.locale).where(User.username == username))
        db.session.remove()
    return locale


def path_of(page) -> str:
    return urlsplit(page.url).path


def assert_kyrgyz_home(page, username: str) -> None:
    assert path_of(page) == "/"
    assert html_lang(page) == "ky"
    today = ky("Today")
    if today != "Today":  # the ky catalogue translates the heading
        assert today == "Бүгүн"
    h1 = page.inner_text("h1").strip()
    assert h1.startswith(f"{today},"), f"h1 is {h1!r}, expected it to start with {today!r}"
    role = Role(username)
    assert page.inner_text(".who strong").strip() == ky(str(ROLE_LABELS[role]))
    school = page.inner_text(".context > span").strip()
    # The inspector works for the district: the first of its schools is shown.
    assert school in ({SCHOOL_NAME, OTHER_SCHOOL_NAME} if role is Role.INSPECTOR else {SCHOOL_NAME})


def ensure_kyrgyz(page) -> None:
    if html_lang(page) != "ky":
        switch_language(page, "ky")


@pytest.mark.parametrize("username", ROLE_ACCOUNTS)
def test_role_signs_in_sees_today_in_kyrgyz_switches_to_russian_and_signs_out(page, live_server, username):
    own_locale = account_locale(live_server, username)
    page.goto("/")
    assert path_of(page) == "/login", "a stranger is sent to sign in"
    sign_in(page, username)

    # The account's saved language wins; Kyrgyz is the default (some demo staff chose ru or en).
    assert html_lang(page) == own_locale
    try:
        ensure_kyrgyz(page)
        assert_kyrgyz_home(page, username)
        check_page(page)

        switch_language(page, "ru")
        assert path_of(page) == "/"
        assert html_lang(page) == "ru"
        assert page.locator("footer button[value=ru][aria-current=true]").count() == 1
    finally:
        # The switch is saved on the account: give it back its own language for the other tests.
        if html_lang(page) != own_locale and page.locator(f"footer button[value={own_locale}]").count():
            switch_language(page, own_locale)
    assert html_lang(page) == own_locale

    sign_out(page)
    assert path_of(page) == "/login"
    assert page.locator("input[name=login]").is_visible()
    assert page.locator("details.menu").count() == 0
    page.goto("/")
    assert path_of(page) == "/login", "signed out for real"


def test_login_page_passes_axe_and_vnu(page):
    page.goto("/login")
    assert html_lang(page) == "ky"
    assert page.locator("input[name=login]").is_visible()
    check_page(page)


def test_wrong_password_shows_error_and_keeps_username(page):
    page.goto("/login")
    sign_in(page, "director", "not-the-password")
    assert path_of(page) == "/login"
    error = page.locator("#password-err")
    assert error.inner_text().strip() == ky("Wrong username, phone number or password.")
    assert page.get_attribute("input[name=password]", "aria-invalid") == "true"
    assert "password-err" in (page.get_attribute("input[name=password]", "aria-describedby") or "")
    assert page.input_value("input[name=login]") == "director"
    assert page.input_value("input[name=password]") == "", "the password is never sent back"
    check_page(page)


def test_two_phones_at_once_are_two_people(new_phone):
    director, guard = new_phone(), new_phone()
    for phone, username in ((director, "director"), (guard, "guard")):
        phone.goto("/login")
        sign_in(phone, username)
    for phone, username in ((director, "director"), (guard, "guard")):
        phone.goto("/")  # the guard landed on the gate
        assert phone.inner_text(".who strong").strip() == ky(str(ROLE_LABELS[Role(username)]))
    sign_out(director)
    guard.reload()
    assert path_of(guard) == "/", "signing one person out leaves the other signed in"


@pytest.mark.parametrize("username", ["director", "guard"])
def test_home_screenshot_for_readme(page, username):
    page.goto("/login")
    sign_in(page, username)
    if username == "guard":  # a guard's sign-in leads to the gate; the home page is one tap away
        assert path_of(page) == "/gate/"
        page.goto("/")
    ensure_kyrgyz(page)
    assert_kyrgyz_home(page, username)
    page.wait_for_load_state("networkidle")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target: Path = SCREENSHOTS / f"home-{username}.png"
    page.screenshot(path=str(target), full_page=True, scale="css", animations="disabled")
    assert target.stat().st_size > 1000
    sign_out(page)
