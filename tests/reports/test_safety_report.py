"""The term / school-year safety report: figures against hand-counted data, the director's text,
the PDF (rendered to images and looked at) and the XLSX, in the school's language (issue 14)."""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import subprocess

import pytest
from openpyxl import load_workbook

from safetyops.drills.models import ClassReport
from safetyops.extensions import db
from safetyops.reports import services
from tests.conftest import login
from tests.reports.test_district import NOW, TODAY, clock, district  # noqa: F401 - fixtures

UTC = dt.UTC


@pytest.fixture
def school(district, f):  # noqa: F811 - the fixture imported above
    a, _b, _other, _inspector = district
    f.user("director", a, full_name="Асанова Айгүл")
    # the verified critical deficiency was fixed today
    from safetyops.inspections.models import CorrectiveAction

    done = db.session.scalars(db.select(CorrectiveAction).where(CorrectiveAction.title == "x4")).one()
    done.fixed_dt = NOW
    # a drill in the term, the last class out after 2:30 (target 3:00), and a real emergency
    drill = f.drill(a, ended=True, started_dt=dt.datetime(2026, 11, 12, 4, 0, tzinfo=UTC))
    klass = f.school_class(a)
    db.session.add(ClassReport(school_id=a.id, drill_id=drill.id, class_id=klass.id, on_register=25, present=25,
                               evacuated=25, first_dt=drill.started_dt + dt.timedelta(seconds=150)))
    f.drill(a, ended=True, started_dt=dt.datetime(2026, 11, 13, 4, 0, tzinfo=UTC), is_real=True)
    # the gate: 3 visitors in the term (one on the watchlist, refused), a late teacher, a visitor in October
    watch = f.watch(a)
    f.gate_entry(a, in_dt=dt.datetime(2026, 11, 10, 4, 0, tzinfo=UTC))
    f.gate_entry(a, kind="parent", in_dt=dt.datetime(2026, 11, 11, 4, 0, tzinfo=UTC))
    f.gate_entry(a, kind="staff_late", in_dt=dt.datetime(2026, 11, 12, 4, 0, tzinfo=UTC))
    f.gate_entry(a, in_dt=dt.datetime(2026, 10, 1, 4, 0, tzinfo=UTC))
    f.gate_entry(a, name="Сидоров Пётр", in_dt=dt.datetime(2026, 11, 14, 4, 0, tzinfo=UTC), watchlist_id=watch.id,
                 is_refused=True)
    # night rounds (22:00, 01:00, 04:00): one checkpoint, walked on the night of the 16th only
    from safetyops.gate.models import CheckpointScan

    cp = f.checkpoint(a)
    for hour in (16, 19, 22):  # 22:10, 01:10 and 04:10 in Bishkek
        db.session.add(CheckpointScan(school_id=a.id, checkpoint_id=cp.id, client_id=f"s{hour}",
                                      scanned_dt=dt.datetime(2026, 11, 16, hour, 10, tzinfo=UTC)))
    db.session.commit()
    return a


def test_figures_against_hand_counted_data(school):
    r = services.safety_report(school, "t2", TODAY, NOW)
    assert (r.first, r.last, r.counted_to) == (dt.date(2026, 11, 1), dt.date(2026, 12, 31), TODAY)
    f = r.figures
    assert (f["checks_due"], f["checks_on_time"], f["checks_late"], f["checks_missed"]) == (2, 1, 1, 0)
    assert f["found"] == {"critical": 3, "major": 1} and f["fixed"] == 1
    assert (f["open"], f["open_critical"]) == (3, 2)
    assert [age for *_x, age, _a in f["open_list"]] == [10, 0, 0]
    assert (f["drills_planned"], f["drills_held"], f["emergencies"]) == (1, 1, 1)
    assert [s for _d, s in f["drills"]] == [150, None]
    assert (f["staff"], f["trained"]) == (5, 2)
    assert (f["visitors"], f["watchlist_hits"], f["refused"]) == (3, 1, 1)
    assert f["incidents"] == 1 and f["documents_to_review"] == 1
    assert (f["rounds"], f["rounds_missed"]) == (16 * 3, 15 * 3)  # the nights of 1–16 November
    year = services.safety_report(school, "year", TODAY, NOW).figures
    assert (year["drills_planned"], year["drills_held"], year["incidents"]) == (3, 3, 2)


def test_period_dates():
    assert services.period_dates("", dt.date(2026, 11, 17))[0] == "t2"
    assert services.period_dates("t3", dt.date(2026, 11, 17))[1:] == (dt.date(2027, 1, 1), dt.date(2027, 3, 31))
    assert services.period_dates("year", dt.date(2027, 2, 1))[1:] == (dt.date(2026, 9, 1), dt.date(2027, 8, 31))
    assert services.period_dates("", dt.date(2027, 7, 1))[0] == "year"


MSGIDS = ("APPROVED", "Inspections", "Deficiencies", "Drills and evacuation", "Staff training and instruction",
          "Access control", "Road safety", "Canteen", "Documents", "Problems, shortcomings and ways to solve them")


@pytest.mark.parametrize("lang", ["ru", "ky"])
def test_page_prefills_the_text_and_the_pdf_has_every_section(client, school, tmp_path, lang):
    from flask_babel import force_locale, gettext

    with force_locale(lang):  # the words as the catalogue of the day gives them
        words = [gettext(m) for m in MSGIDS]
    login(client, _director(school))
    page = client.get(f"/reports/safety?period=t2&lang={lang}")
    assert page.status_code == 200
    assert words[1] in page.get_data(as_text=True)  # "Inspections", the first section
    r = client.submit("/reports/safety.pdf", {"period": "t2", "lang": lang,
                                              "problems": "1. Проверить огнетушители до 1 декабря."},
                      page=f"/reports/safety?period=t2&lang={lang}")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(r.data)
    text = _pdf_text(pdf)
    if text is not None:
        text = " ".join(text.split())
        for word in (*words, "Асанова Айгүл", "Проверить огнетушители до 1 декабря", "№1 Ала-Тоо", "2026–2027"):
            assert word in text, word
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(tmp_path / "page")], check=True)
        pages = sorted(tmp_path.glob("page*.png"))
        assert pages
        keep = os.environ.get("SAFETYOPS_KEEP_REPORT_PNG")  # to look at the pages by eye
        if keep:
            for p in pages:
                shutil.copy(p, f"{keep}/{lang}-{p.name}")


def test_xlsx_has_the_sections_and_the_text(client, school):
    login(client, _director(school))
    r = client.submit("/reports/safety.xlsx", {"period": "t2", "lang": "ru", "problems": "=1+1 плохо"},
                      page="/reports/safety?period=t2&lang=ru")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.data)).active
    values = [c for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    from flask_babel import force_locale, gettext

    with force_locale("ru"):
        for n, msgid in enumerate(MSGIDS[1:-1], start=1):
            assert f"{n}. {gettext(msgid)}" in values
        assert gettext("Drills held") in values and gettext("Watchlist matches") in values
        assert values[values.index("'=1+1 плохо") - 1] == gettext("Problems, shortcomings and ways to solve them")


def test_prefill_names_what_the_data_shows(client, school):
    login(client, _director(school))
    html = client.get("/reports/safety?period=t2&lang=en").get_data(as_text=True)
    assert "2 critical deficiencies are open, the oldest for 10 days" in html
    assert "3 staff members have no safety course in force" in html


def _director(school):
    from safetyops.auth.models import User

    return db.session.scalars(db.select(User).where(User.full_name == "Асанова Айгүл")).one()


def _pdf_text(path) -> str | None:
    if not shutil.which("pdftotext"):
        return None
    return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def test_trend_charts_are_server_made_svg_by_week(client, school):
    r = services.safety_report(school, "t2", TODAY, NOW)
    weeks = dict(r.figures["weeks"])
    assert sorted(weeks) == [dt.date(2026, 10, 26), dt.date(2026, 11, 2), dt.date(2026, 11, 9), dt.date(2026, 11, 16)]
    assert weeks[dt.date(2026, 11, 16)] == {"due": 2, "on_time": 1, "late": 1, "missed": 0, "found": 3, "fixed": 1}
    assert weeks[dt.date(2026, 11, 2)]["found"] == 1  # x1, ten days ago (7 November)
    login(client, _director(school))
    html = client.get("/reports/safety?period=t2&lang=en").get_data(as_text=True)
    charts = html[html.index('<figure class="chart">'):html.rindex("</figure>")]
    assert charts.count("<svg") == 2 and 'class="bar-warn"' in charts
    assert "style=" not in charts and "<script" not in charts  # no inline style, no script: the CSP
