"""No column heading of the drill's PDF breaks inside a word, in any language (issue 14: the Kyrgyz
"Эвакуацияланды" printed as "Эвакуациял / анды", the Russian "Присутству / ют")."""

from __future__ import annotations

import datetime as dt

import fpdf
import pytest

from safetyops.config import LANGUAGES
from safetyops.drills import services
from tests.conftest import login

T0 = dt.datetime(2026, 11, 20, 4, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("kind", ["fire", "lockdown"])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_word_of_a_heading_fits_its_cell(client, f, monkeypatch, lang, kind):
    cut: list[str] = []
    real = fpdf.FPDF.multi_cell

    def multi_cell(self, w, h=None, text="", *args, **kw):
        if self.font_style == "B" and w:  # the tables' headings (bold)
            room = w - 2 * self.c_margin
            cut.extend(f"{word} ({self.get_string_width(word):.1f} mm in {room:.1f})" for word in str(text).split()
                       if self.get_string_width(word) > room)
        return real(self, w, h, text, *args, **kw)

    monkeypatch.setattr(fpdf.FPDF, "multi_cell", multi_cell)
    klass = f.school_class(name="11Б")
    drill = services.start_drill(None, f.school_a, kind=kind, now=T0)
    services.report_class(None, f.school_a, drill, klass, on_register=25, present=24, evacuated=24,
                          now=T0 + dt.timedelta(seconds=258))
    services.all_clear(None, f.school_a, drill, now=T0 + dt.timedelta(seconds=300))
    login(client, f.user("director", locale=lang))
    r = client.get(f"/drills/{drill.id}/report.pdf")
    assert r.status_code == 200 and r.data.startswith(b"%PDF")
    assert cut == [], f"headings cut inside a word in {lang}: {cut}"
