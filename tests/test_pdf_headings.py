"""No column heading of a printed paper breaks inside a word, in any language (issue 14: the drill
report's Kyrgyz "Эвакуацияланды" printed as "Эвакуациял / анды"; the same check found the instruction
journal's "инструктируемого" and the briefing plan's "Запланировано" cut), nor a date ("29.11.202 / 6").
On the demo's data (a copy: `demo_app`): each kind of PDF the app prints, in Kyrgyz, Russian, Kazakh and
English (`pdf.heading_widths`, `pdf.heading_size`)."""

from __future__ import annotations

import re

import fpdf
import sqlalchemy as sa

from safetyops.auth.models import User
from safetyops.config import LANGUAGES
from safetyops.extensions import db
from tests.conftest import login

DATE = re.compile(r"^\d{1,2}\.\d{2}\.\d{2,4}$")


def test_no_heading_is_cut_inside_a_word(demo_app, monkeypatch):
    cut: list[tuple[str, str, str]] = []
    printed: set[str] = set()
    real = fpdf.FPDF.multi_cell
    lang = ""

    def multi_cell(self, w, h=None, text="", *args, **kw):
        printed.add(self.title or "")
        if w:  # the tables' headings (bold), and a date in any cell
            room = w - 2 * self.c_margin
            cut.extend((lang, self.title, word) for word in str(text).split()
                       if (self.font_style == "B" or DATE.match(word)) and self.get_string_width(word) > room)
        return real(self, w, h, text, *args, **kw)

    monkeypatch.setattr(fpdf.FPDF, "multi_cell", multi_cell)
    client = demo_app.test_client()
    with demo_app.app_context():
        for lang in LANGUAGES:
            for role, pages in (("director", ("/documents/journal", "/documents/briefings", "/drills", "/gate/report")),
                                ("inspector", ())):
                user = db.session.scalar(sa.select(User).where(User.username == role))
                user.locale = lang
                db.session.commit()
                login(client, user)
                urls = {"/documents/journal.pdf", "/gate/report/journal.pdf"} if pages else set()
                for page in pages:  # the first PDF of each kind the page links to
                    links = re.findall(r'href="([^"]+\.pdf)"', client.get(page).get_data(as_text=True))
                    urls |= {min(u for u in links if re.sub(r"\d+", "N", u) == kind)
                             for kind in {re.sub(r"\d+", "N", u) for u in links}}
                for url in sorted(urls):
                    r = client.get(url)
                    assert r.status_code == 200 and r.data.startswith(b"%PDF"), (role, url, r.status_code)
                scope = "district" if role == "inspector" else "school"
                r = client.submit("/reports/safety.pdf", {"period": "year", "lang": lang, "scope": scope},
                                  page=f"/reports/safety?scope={scope}")
                assert r.status_code == 200 and r.data.startswith(b"%PDF"), (role, r.status_code)
    assert len(printed) >= 7, printed  # the drill report, the journals, the sheets, the plan, the reports
    assert cut == [], "\n".join(map(str, sorted(set(cut))))
