"""The district inspector's home: the district's schools side by side, figures counted by hand,
sorting by `?sort=`, CSV/XLSX, a school's name opens it (issue 14)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid

import pytest
import time_machine
from openpyxl import load_workbook

from safetyops.documents.models import DocKind, Document
from safetyops.drills.models import Course, DrillKind, PlannedDrill, TrainingRecord
from safetyops.extensions import db
from safetyops.inspections import services as insp
from safetyops.reports import comparison
from tests.conftest import login

# Tuesday 17 November 2026, 15:00 in Bishkek
NOW = dt.datetime(2026, 11, 17, 9, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 17)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def district(f, clock):
    """Two schools of one district, one of another district; the inspector of the first district."""
    a = f.school(name="№1 Ала-Тоо", district=f.district())
    b = f.school(name="№2 Манас", district=a.district)
    other = f.school(name="Чужая школа", district=f.district())
    inspector = f.user("inspector", a)

    # School A: a daily walk since Monday 16th done on time on the 16th and late today (7 days → 2 due)
    officer = f.user("safety_officer", a)
    sched = f.schedule("fire_daily_walk", school=a, starts_on=dt.date(2026, 11, 16))
    with time_machine.travel(dt.datetime(2026, 11, 16, 3, 0, tzinfo=dt.UTC), tick=False):  # 09:00 on the 16th
        run = insp.start_run(officer, a, sched)
        for item in run.version.items:
            insp.tick(officer, a, run, item_id=item["id"], result="pass", client_uuid=str(uuid.uuid4()))
        insp.finish_run(officer, a, run)
    with time_machine.travel(dt.datetime(2026, 11, 17, 8, 0, tzinfo=dt.UTC), tick=False):  # 14:00: late
        run = insp.start_run(officer, a, sched)
        for item in run.version.items:
            insp.tick(officer, a, run, item_id=item["id"], result="pass", client_uuid=str(uuid.uuid4()))
        insp.finish_run(officer, a, run)
    # two critical open deficiencies (oldest 10 days), one major, one critical verified long ago
    with time_machine.travel(NOW - dt.timedelta(days=10), tick=False):
        insp.open_action(None, a, title="x1", severity="critical", area="fire_safety")
    insp.open_action(None, a, title="x2", severity="critical", area="fire_safety")
    insp.open_action(None, a, title="x3", severity="major", area="fire_safety")
    done = insp.open_action(None, a, title="x4", severity="critical", area="fire_safety")
    done.status = "verified"
    # drills: plan of 3 by today (1 more later), 2 held this school year, 1 real emergency, 1 last year
    for day in (dt.date(2026, 9, 10), dt.date(2026, 10, 10), dt.date(2026, 11, 10), dt.date(2027, 3, 1)):
        db.session.add(PlannedDrill(school_id=a.id, kind=DrillKind.FIRE, target_date=day))
    f.drill(a, ended=True, started_dt=dt.datetime(2026, 9, 10, 4, 0, tzinfo=dt.UTC))
    f.drill(a, ended=True, started_dt=dt.datetime(2026, 10, 12, 4, 0, tzinfo=dt.UTC))
    f.drill(a, ended=True, started_dt=dt.datetime(2026, 10, 20, 4, 0, tzinfo=dt.UTC), is_real=True)
    f.drill(a, ended=True, started_dt=dt.datetime(2026, 5, 20, 4, 0, tzinfo=dt.UTC))
    # training: staff of A = inspector? no (district member) → officer + 3 teachers = 4; 2 trained in force
    t1, t2, _t3 = f.user("teacher", a), f.user("teacher", a), f.user("teacher", a)
    for user, expires in ((officer, dt.date(2027, 6, 1)), (t1, None), (t2, dt.date(2026, 10, 1))):
        db.session.add(TrainingRecord(school_id=a.id, user_id=user.id, course=Course.FIRE_SAFETY,
                                      taken_on=dt.date(2025, 10, 1), expires_on=expires))
    # incidents: 2 this school year, 1 before
    f.road_incident(a, occurred_dt=dt.datetime(2026, 10, 1, 3, 0, tzinfo=dt.UTC))
    f.road_incident(a, occurred_dt=dt.datetime(2026, 11, 1, 3, 0, tzinfo=dt.UTC))
    f.road_incident(a, occurred_dt=dt.datetime(2026, 8, 1, 3, 0, tzinfo=dt.UTC))
    # documents: one review date passed, one coming, one archived past review
    for review, status in ((dt.date(2026, 11, 1), "in_force"), (dt.date(2027, 1, 1), "in_force"),
                           (dt.date(2026, 1, 1), "archived")):
        db.session.add(Document(school_id=a.id, kind=DocKind.EVACUATION_PLAN, title_local="План",
                                review_on=review, status=status))
    # School B and the other district: one open critical each
    insp.open_action(None, b, title="y", severity="critical", area="fire_safety")
    insp.open_action(None, other, title="z", severity="critical", area="fire_safety")
    f.user("teacher", b)
    db.session.commit()
    return a, b, other, inspector


def test_figures_against_hand_counted_data(district):
    a, b, _other, inspector = district
    rows = {r.name: r for r in comparison.compare(comparison.district_ids(inspector), TODAY, NOW)}
    assert set(rows) == {"№1 Ала-Тоо", "№2 Манас"}
    ra = rows["№1 Ала-Тоо"]
    assert (ra.checks_due, ra.on_time_pct) == (2, 50)
    assert ra.critical_open == 2 and ra.oldest_open_days == 10
    assert (ra.drills_held, ra.drills_planned) == (2, 3)
    assert ra.training_pct == 50  # 2 of 4 (the officer's and t1's courses are in force; t2's expired)
    assert ra.incidents == 2 and ra.documents_to_review == 1
    rb = rows["№2 Манас"]
    assert (rb.critical_open, rb.on_time_pct, rb.drills_planned, rb.training_pct) == (1, None, 0, 0)


def test_sorting_by_query_parameter(district):
    _a, _b, _other, inspector = district
    rows = comparison.compare(comparison.district_ids(inspector), TODAY, NOW)
    assert [r.name for r in comparison.sort_rows(rows, "critical")[0]] == ["№2 Манас", "№1 Ала-Тоо"]
    assert [r.name for r in comparison.sort_rows(rows, "-critical")[0]] == ["№1 Ала-Тоо", "№2 Манас"]
    assert [r.name for r in comparison.sort_rows(rows, "-on_time")[0]] == ["№1 Ала-Тоо", "№2 Манас"]  # none last
    assert comparison.sort_rows(rows, "bogus")[1] == comparison.DEFAULT_SORT


@pytest.mark.parametrize("locale", ["ky", "ru"])
def test_inspector_home_shows_the_table_sorted_and_exportable(client, district, locale):
    a, b, _other, inspector = district
    inspector.locale = locale
    db.session.commit()
    login(client, inspector)
    page = client.get("/?sort=name").get_data(as_text=True)
    # one form around the table (issue 19): each school's name is a button that posts its id to /school
    form = page[page.rindex("<form", 0, page.index("compare-table")):]
    assert form.startswith('<form method="post" action="/school"')
    assert form.index("compare-table") < form.index("</table>") < form.index("</form>")
    html = page[page.index("compare-table"):]
    assert html.index("№1 Ала-Тоо") < html.index("№2 Манас")
    assert "Чужая школа" not in html
    assert 'href="/?sort=-name"' in html  # the heading sorts the other way next
    assert f'name="school_id" value="{b.id}"' in html
    html = client.get("/?sort=critical").get_data(as_text=True)
    html = html[html.index("compare-table"):]
    assert html.index("№2 Манас") < html.index("№1 Ала-Тоо")
    r = client.get("/reports/district?fmt=csv&sort=name")
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert rows[1][:4] == ["№1 Ала-Тоо", "50%", "2", "10"] and rows[1][4] == "2 / 3"
    r = client.get("/reports/district?fmt=xlsx")
    ws = load_workbook(io.BytesIO(r.data)).active
    assert ws.max_row == 3
    assert client.get("/reports/district").status_code == 200


def test_a_click_opens_the_school_read_only(client, district):
    a, b, _other, inspector = district
    login(client, inspector)
    r = client.submit("/school", {"school_id": str(b.id)}, page="/")
    assert r.status_code == 302
    assert client.get("/inspections/overdue").status_code == 200
    assert client.get("/inspections/schedules").status_code == 403  # read-only


def test_others_cannot_see_the_comparison(client, district, f):
    a, *_ = district
    login(client, f.user("director", a))
    assert client.get("/reports/district").status_code == 403
    assert "compare-table" not in client.get("/").get_data(as_text=True)


def test_the_home_compares_every_school_of_a_small_district(client, district, f):
    """Issue 14: the inspector's home shows every school of the district side by side (up to
    HOME_ALL_SCHOOLS), in the chosen order, and says how many need attention."""
    a, b, _other, inspector = district
    f.school(name="№3 Нарын", district=a.district)
    db.session.commit()
    login(client, inspector)
    page = client.get("/?sort=name").get_data(as_text=True)
    assert "Schools needing attention: 2 of 3" in page
    html = page[page.index("compare-table"):]
    assert html.index("№1 Ала-Тоо") < html.index("№2 Манас") < html.index("№3 Нарын")
    assert "All schools of the district" not in page


def test_the_home_lists_the_schools_needing_attention_and_links_to_all(client, district, f, monkeypatch):
    """Issue 19: a district bigger than HOME_ALL_SCHOOLS (a hundred schools) on the inspector's home lists the
    schools with a figure in red (in the chosen order), says how many of how many, and links to the full table;
    nothing needing attention is left out, and the full table and the downloads still hold every school."""
    monkeypatch.setattr(comparison, "HOME_ALL_SCHOOLS", 2)
    a, b, _other, inspector = district
    calm = f.school(name="№3 Нарын", district=a.district)  # nothing in red: no deficiency, no plan, no check
    f.user("teacher", calm)
    db.session.commit()
    rows = {r.name: r for r in comparison.compare(comparison.district_ids(inspector), TODAY, NOW)}
    assert rows["№1 Ала-Тоо"].needs_attention and rows["№2 Манас"].needs_attention
    assert not rows["№3 Нарын"].needs_attention
    login(client, inspector)
    page = client.get("/?sort=name").get_data(as_text=True)
    assert "Schools needing attention: 2 of 3" in page
    html = page[page.index("compare-table"):]
    assert html.index("№1 Ала-Тоо") < html.index("№2 Манас") and "№3 Нарын" not in html
    assert 'href="/reports/district?sort=name"' in html  # all the schools, in the same order
    full = client.get("/reports/district?sort=name").get_data(as_text=True)
    assert "№3 Нарын" in full and "Schools needing attention" not in full
    assert "All schools of the district" not in full
    csv_rows = list(csv.reader(io.StringIO(client.get("/reports/district?fmt=csv").data.decode("utf-8-sig"))))
    assert len(csv_rows) == 4


def test_the_home_says_when_no_school_needs_attention(client, f, clock, monkeypatch):
    monkeypatch.setattr(comparison, "HOME_ALL_SCHOOLS", 0)
    calm = f.school(name="№3 Нарын", district=f.district())
    inspector = f.user("inspector", calm)
    db.session.commit()
    login(client, inspector)
    page = client.get("/").get_data(as_text=True)
    assert "Schools needing attention: 0 of 1" in page and "No school needs attention." in page
    assert 'href="/reports/district?sort=-critical"' in page
