"""The roster as a grid (person x day) for wide screens, with the calendar's days off marked; the approval
and signature block on the roster's and the drill's PDFs (issue 14)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import pytest
from flask_babel import force_locale, gettext

from safetyops.schools import calendar
from tests.conftest import login

MONDAY = dt.date(2026, 11, 23)


def _en(f, role):
    return f.user(role, locale="en")


def _pdf_text(data: bytes, tmp_path) -> str | None:
    if not shutil.which("pdftotext"):
        return None
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
    return " ".join(out.split())


def _approval_words(lang="ky"):
    with force_locale(lang):
        return gettext("APPROVED")


def test_week_grid_one_row_per_person_and_days_off_marked(client, f):
    calendar.add_entry(None, f.school_a, kind="day_off", name="Sanitary day", first_day=MONDAY + dt.timedelta(2))
    aigul = f.user("teacher", full_name="Сыдыкова Айгүл")
    bolot = f.user("teacher", full_name="Абдыкадыров Болот")
    corridor, gate = f.post(name="Corridor"), f.post(name="Gate")
    f.shift(corridor, aigul, MONDAY)
    f.shift(gate, aigul, MONDAY + dt.timedelta(1))
    f.shift(gate, bolot, MONDAY)
    login(client, _en(f, "director"))
    html = client.get(f"/rosters/week?d={MONDAY.isoformat()}").get_data(as_text=True)
    grid = html[html.index('class="roster-grid"') : html.index('class="roster-list"')]
    rows = grid[grid.index("<tbody>") :].split("<tr>")[1:]
    assert [r[r.index('scope="row">') + 12 : r.index("</th>")] for r in rows] == ["Абдыкадыров Болот", "Сыдыкова Айгүл"]
    assert rows[1].count("Corridor") == 1 and rows[1].count("Gate") == 1
    assert "Sanitary day" in grid and grid.count('class="off"') >= 3  # Wednesday, Saturday, Sunday headers
    assert 'class="has-grid"' in html  # the day-by-day list stays for phones (hidden by CSS on a laptop)


def test_draft_preview_has_a_grid_per_week(client, f):
    from safetyops.extensions import db
    from safetyops.rosters import services
    from safetyops.rosters.models import RosterSettings

    db.session.add(
        RosterSettings(
            school_id=f.school_a.id,
            school_weekday_mask=0b0011111,
            max_per_week=5,
            rest_hours_after_night=24,
            is_swap_approval_required=True,
            checkin_grace_minutes=10,
        )
    )
    director = _en(f, "director")
    for _ in range(3):
        f.user("teacher")
    f.post(name="Corridor", days="school_days")
    run = services.generate(director, f.school_a, MONDAY, MONDAY + dt.timedelta(days=13))
    login(client, director)
    html = client.get(f"/rosters/runs/{run.id}").get_data(as_text=True)
    assert html.count('class="roster-table grid-table"') == 2  # two weeks


@pytest.mark.parametrize("country", ["KG", "KZ"])
def test_roster_pdf_and_print_have_the_approval_block(client, f, tmp_path, country):
    if country == "KZ":
        f.school_a.district.country = "KZ"
    f.user("director", full_name="Асанова Айгүл Бакытовна")
    f.shift(f.post(name="Gate"), f.user("teacher"), MONDAY)
    login(client, _en(f, "teacher"))
    html = client.get(f"/rosters/print?d={MONDAY.isoformat()}").get_data(as_text=True)
    assert 'class="signature-block"' in html and "Асанова Айгүл Бакытовна" in html
    resp = client.get(f"/rosters/week.pdf?d={MONDAY.isoformat()}")
    assert resp.status_code == 200
    text = _pdf_text(resp.data, tmp_path)
    if text is not None:
        assert _approval_words("kk" if country == "KZ" else "ky") in text and _approval_words("ru") in text
        assert "Асанова Айгүл Бакытовна" in text and "20___" in text


def test_drill_pdf_has_the_approval_block(client, f, tmp_path):
    drill = f.drill(f.school_a, ended=True)
    login(client, _en(f, "director"))
    resp = client.get(f"/drills/{drill.id}/report.pdf")
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")
    text = _pdf_text(resp.data, tmp_path)
    if text is not None:
        assert _approval_words("ky") in text and "20___" in text


class _Recorder:
    """Stands in for an FPDF page: records the lines written (no PDF text tool is needed)."""

    w, r_margin = 210, 15

    def __init__(self):
        self.lines = []

    def will_page_break(self, height):
        return False

    def add_page(self):
        self.lines.append("<page>")

    def ln(self, *a):
        pass

    def set_font(self, *a, **kw):
        pass

    def set_x(self, x):
        pass

    def multi_cell(self, w, h, text, **kw):
        self.lines.append(text)


@pytest.mark.parametrize(("country", "state"), [("KG", "ky"), ("KZ", "kk")])
def test_approval_block_in_the_state_language_and_russian(f, country, state):
    from safetyops.pdf import approval_block

    f.school_a.district.country = country
    page = _Recorder()
    approval_block(page, f.school_a, "Асанова Айгүл")
    with force_locale(state):
        first = gettext("APPROVED")
        director = gettext("Director of the school")
    with force_locale("ru"):
        assert page.lines[0] == f"{first} / {gettext('APPROVED')}"  # БЕКИТЕМ / УТВЕРЖДАЮ
        assert gettext("Director of the school") in page.lines[1] and director in page.lines[1]
    assert page.lines[2] == "____________ Асанова Айгүл" and page.lines[3].endswith("20___")


def test_roster_and_drill_pdfs_write_the_block(client, f, monkeypatch):
    from safetyops import pdf as pdf_module
    from safetyops.drills import pdf as drills_pdf
    from safetyops.rosters import printing

    called = []
    for module in (printing, drills_pdf):
        monkeypatch.setattr(module, "approval_block", lambda p, school, name="", **kw: called.append((school.id, name)))
    assert pdf_module.approval_block is not None
    director = f.user("director", full_name="Асанова Айгүл", locale="en")
    f.shift(f.post(name="Gate"), f.user("teacher"), MONDAY)
    drill = f.drill(f.school_a, ended=True)
    login(client, director)
    assert client.get(f"/rosters/week.pdf?d={MONDAY.isoformat()}").status_code == 200
    assert client.get(f"/drills/{drill.id}/report.pdf").status_code == 200
    assert called == [(f.school_a.id, "Асанова Айгүл"), (f.school_a.id, "")]
