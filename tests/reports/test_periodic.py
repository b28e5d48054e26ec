"""The monthly report, terms from the school calendar, and the same report for the whole district
(issue 14): figures against the hand-counted data of test_district / test_safety_report."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess

from openpyxl import load_workbook

from safetyops.extensions import db
from safetyops.reports import comparison, district_report, services
from tests.conftest import login
from tests.reports.test_district import NOW, TODAY, clock, district  # noqa: F401 - fixtures
from tests.reports.test_safety_report import _director, _pdf_text, school  # noqa: F401 - fixtures


def test_month_periods():
    assert services.month_keys(TODAY) == ["m2026-09", "m2026-10", "m2026-11"]
    assert services.period_dates("m2026-11", TODAY) == ("m2026-11", dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert services.period_dates("m2027-02", TODAY)[1:] == (dt.date(2027, 2, 1), dt.date(2027, 2, 28))
    assert services.period_dates("m2025-11", TODAY)[0] == "t2"  # another school year: the term of today
    assert services.period_dates("m2026-13", TODAY)[0] == "t2"
    terms = [(dt.date(2026, 9, 1), dt.date(2026, 11, 1)), (dt.date(2026, 11, 10), dt.date(2026, 12, 29))]
    assert services.period_dates("", TODAY, terms) == ("t2", dt.date(2026, 11, 10), dt.date(2026, 12, 29))
    assert services.period_dates("t3", TODAY, terms)[1:] == (dt.date(2027, 1, 1), dt.date(2027, 3, 31))


def test_monthly_figures_against_hand_counted_data(school):  # noqa: F811 - the fixture
    nov = services.safety_report(school, "m2026-11", TODAY, NOW)
    assert (nov.first, nov.last, nov.counted_to) == (dt.date(2026, 11, 1), dt.date(2026, 11, 30), TODAY)
    f = nov.figures
    assert (f["checks_due"], f["checks_on_time"], f["checks_late"], f["checks_missed"]) == (2, 1, 1, 0)
    assert (f["drills_planned"], f["drills_held"], f["emergencies"]) == (1, 1, 1)
    assert f["incidents"] == 1 and (f["visitors"], f["watchlist_hits"]) == (3, 1)
    october = services.safety_report(school, "m2026-10", TODAY, NOW).figures
    # October: plan of 10 Oct, the drill of 12 Oct, the real emergency of 20 Oct, the incident of 1 Oct
    assert (october["drills_planned"], october["drills_held"], october["emergencies"]) == (1, 1, 1)
    assert october["incidents"] == 1 and october["checks_due"] == 0 and october["visitors"] == 1


def test_terms_come_from_the_school_calendar(school):  # noqa: F811 - the fixture
    from safetyops.schools import calendar

    for name, first, last in (
        ("I", dt.date(2026, 9, 1), dt.date(2026, 11, 1)),
        ("II", dt.date(2026, 11, 10), dt.date(2026, 12, 29)),
    ):
        calendar.add_entry(None, school, kind="term", name=name, first_day=first, last_day=last)
    r = services.safety_report(school, "", TODAY, NOW)
    assert (r.period, r.first, r.last) == ("t2", dt.date(2026, 11, 10), dt.date(2026, 12, 29))
    assert r.figures["drills_held"] == 1 and r.figures["visitors"] == 3  # 12 Nov and 10-14 Nov counted


def test_district_report_adds_up_the_schools(district):  # noqa: F811 - the fixture
    a, b, _other, inspector = district
    r = district_report.district_report(comparison.district_ids(inspector), "t2", TODAY, NOW, "en")
    f = r.figures
    assert f["schools"] == 2 and [name for name, _f in f["by_school"]] == ["№1 Ала-Тоо", "№2 Манас"]
    assert f["open_critical"] == 3  # 2 at A, 1 at B; the other district's is not counted
    assert [row[1] for row in f["open_list"]] == ["x1", "x2", "y", "x3"]  # critical first, oldest first
    assert f["checks_due"] == 2 and f["staff"] == 5  # A: officer + 3 teachers; B: 1 teacher
    from flask_babel import force_locale

    with force_locale("en"):
        sections = district_report.district_sections(r, "en")
    assert sections[0].title == "Schools of the district"
    assert [row[0] for row in sections[0].table[1]] == ["№1 Ала-Тоо", "№2 Манас"]


def test_inspector_downloads_the_district_pdf_and_the_month_xlsx(client, district, tmp_path):  # noqa: F811 - the fixture
    _a, _b, _other, inspector = district
    inspector.locale = "ru"
    db.session.commit()
    login(client, inspector)
    page = client.get("/reports/safety?period=t2&lang=ru&scope=district").get_data(as_text=True)
    assert "№2 Манас" in page and 'name="scope" value="district"' in page
    r = client.submit(
        "/reports/safety.pdf",
        {"period": "t2", "lang": "ru", "scope": "district"},
        page="/reports/safety?period=t2&lang=ru&scope=district",
    )
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert "district-safety-report-t2" in r.headers["Content-Disposition"]
    pdf = tmp_path / "district.pdf"
    pdf.write_bytes(r.data)
    text = _pdf_text(pdf)
    if text is not None:
        text = " ".join(text.split())
        for word in ("№1 Ала-Тоо", "№2 Манас"):
            assert word in text
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "40", str(pdf), str(tmp_path / "page")], check=True)
        assert sorted(tmp_path.glob("page*.png"))
    x = client.submit(
        "/reports/safety.xlsx", {"period": "m2026-11", "lang": "ru"}, page="/reports/safety?period=m2026-11&lang=ru"
    )
    ws = load_workbook(io.BytesIO(x.data)).active
    assert "Ноябрь 2026" in ws["A2"].value


def test_a_director_never_gets_the_district(client, school):  # noqa: F811 - the fixture
    login(client, _director(school))
    html = client.get("/reports/safety?period=t2&lang=en&scope=district").get_data(as_text=True)
    assert "The whole district" not in html and "№2 Манас" not in html
    assert "November 2026" in html  # the month chips
