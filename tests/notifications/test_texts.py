"""Every registered SMS text fits ONE segment in all four languages at realistic field lengths.

Texts register a `sample` of realistic (longest-likely) parameters; without one every
placeholder is filled with a 9-character Cyrillic name ("Коридор 2"), "09:00" for
times and "12.09" for dates. Cyrillic makes any SMS UCS-2: 70 units for one segment.
"""

from __future__ import annotations

import re

import pytest

from safetyops.config import LANGUAGES
from safetyops.notifications import segments
from safetyops.notifications.outbox import render, samples, texts
from safetyops.scheduler.catalogue import load_sweeps

FILLER = "Коридор 2"  # 9 characters (a short zone or item name), Cyrillic

#: Kinds whose text is the sender's own words (length checked on the broadcast screen) or test-only.
FREE_TEXT = {"broadcast"}


def _default(name: str) -> str:
    if "time" in name:
        return "09:00"
    if "date" in name or "day" in name:
        return "12.09"
    if name in {"n", "count", "minutes", "hours", "days"}:
        return "999"
    return FILLER


def _kinds():
    return sorted(k for k in texts() if k not in FREE_TEXT and not k.startswith(("test.", "proc.")))


@pytest.fixture(autouse=True)
def _all_texts(app):
    with app.app_context():
        load_sweeps()  # texts registered in jobs.py modules


def test_texts_are_registered():
    assert "broadcast" in texts()


@pytest.mark.parametrize("locale", LANGUAGES)
def test_every_text_fits_one_segment(app, locale):
    too_long = []
    with app.test_request_context():
        for kind in _kinds():
            template = str(texts()[kind])
            names = re.findall(r"%\((\w+)\)s", template)
            params = {n: _default(n) for n in names} | samples().get(kind, {})
            body = render(kind, params, locale)
            info = segments.count(body + "Ө")  # any Cyrillic makes it UCS-2; the +1 keeps a margin of one
            if info.segments > 1:
                too_long.append(f"{kind} [{locale}] {info.units - 1} units: {body}")
    assert not too_long, "SMS texts longer than one segment:\n" + "\n".join(too_long)
