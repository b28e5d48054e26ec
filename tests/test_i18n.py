"""The catalogues are complete: every string of the interface exists in ky, ru, kk and en."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from safetyops.config import LANGUAGES
from safetyops.paths import PACKAGE_DIR

TRANSLATIONS = PACKAGE_DIR / "translations"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
CYRILLIC = re.compile(r"[А-Яа-яЁёӨөҮүҢңӘәҒғҚқҰұҺһІі]")
#: Names that stay as they are in every language.
BRANDS = re.compile(r"WhatsApp|SafetyOps|Twilio|Telegram|SMPP|iCal|XLSX|CSV|PDF|SMS|QR")
ROOT = PACKAGE_DIR.parent
#: The virtualenv's own pybabel, by path: the suite passes without an activated virtualenv.
PYBABEL = Path(sys.executable).parent / "pybabel"


def _catalog(lang):
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return read_po(fh, locale=lang)


def _template_ids():
    with open(TRANSLATIONS / "messages.pot", "rb") as fh:
        return {m.id for m in read_po(fh) if m.id}


def test_template_is_current(tmp_path):
    """Every string in the code is in messages.pot (run the extract command in docs/DEVELOPING.md)."""
    out = tmp_path / "fresh.pot"
    subprocess.run([str(PYBABEL), "extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "--no-location",
                    "-o", str(out), "."], cwd=ROOT, check=True, capture_output=True)
    with open(out, "rb") as fh:
        fresh = {m.id for m in read_po(fh) if m.id}
    assert fresh - _template_ids() == set(), "strings missing from messages.pot"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue_complete(lang):
    catalog = _catalog(lang)
    ids = {m.id for m in catalog if m.id}
    assert _template_ids() - ids == set(), f"{lang}: strings not in the catalogue"
    problems = []
    for m in catalog:
        if not m.id:
            continue
        strings = m.string if isinstance(m.string, (list, tuple)) else [m.string]
        source = m.id[0] if isinstance(m.id, (list, tuple)) else m.id
        if m.fuzzy or not all(strings):
            problems.append(("untranslated", source))
            continue
        for s in strings:
            if set(PLACEHOLDER.findall(s)) != set(PLACEHOLDER.findall(source)):
                problems.append(("placeholders", source))
            if lang != "en" and re.search(r"[A-Za-z]{4,}", BRANDS.sub("", source)) and not CYRILLIC.search(s):
                problems.append(("english left", source))
    assert problems == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_compiled_catalogue_matches_the_po(lang):
    """The committed .mo says what the .po says (run `pybabel compile -d safetyops/translations`)."""
    from babel.messages.mofile import read_mo

    def norm(value):
        return value if isinstance(value, str) else tuple(value)

    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo", "rb") as fh:
        compiled = {norm(m.id): norm(m.string) for m in read_mo(fh) if m.id}
    source = {norm(m.id): norm(m.string) for m in _catalog(lang) if m.id}
    assert compiled == source


def test_pages_are_in_kyrgyz_by_default(client, f, app, monkeypatch):
    from tests.conftest import login

    monkeypatch.setitem(app.config, "DEFAULT_LOCALE", "ky")  # the product default (tests run in English)
    html = client.get("/login").get_data(as_text=True)
    assert 'lang="ky"' in html and "Кирүү" in html
    login(client, f.user("teacher", locale="ky"))
    assert "Бүгүн" in client.get("/").get_data(as_text=True)


def test_russian_and_kazakh_pages(client, f):
    from tests.conftest import login

    login(client, f.user("teacher", locale="ru"))
    assert "Сегодня" in client.get("/").get_data(as_text=True)
    client.submit("/language", {"lang": "kk"}, page="/profile")
    assert "Бүгін" in client.get("/").get_data(as_text=True)


def test_dates_in_the_school_time_zone(client, f):
    import datetime as dt

    import time_machine

    from tests.conftest import login

    # 20:30 UTC on 1 March is already 2 March in Bishkek (UTC+6)
    with time_machine.travel(dt.datetime(2026, 3, 1, 20, 30, tzinfo=dt.UTC), tick=False):
        login(client, f.user("teacher", locale="ru"))
        html = client.get("/").get_data(as_text=True)
    assert "2 марта" in html
