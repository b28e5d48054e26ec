"""Corrective actions read as deficiencies, in the reader's language, on screens and in exports;
exports name their columns and values in words; the export page is a page (issue 14)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid

import pytest
import sqlalchemy as sa
import time_machine
from openpyxl import load_workbook

from safetyops.extensions import db
from safetyops.inspections import services
from safetyops.inspections.models import CorrectiveAction
from safetyops.schools.models import Area
from tests.conftest import login

MONDAY_1100 = dt.datetime(2026, 11, 16, 5, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY_1100, tick=False) as traveller:
        yield traveller


def _failed_seal(f):
    """A monthly extinguisher check with the seal item failed (school language: Kyrgyz)."""
    officer = f.user("safety_officer")
    f.appointment(user=officer, area=Area.FIRE_SAFETY)
    sched = f.schedule("extinguisher_monthly", starts_on=dt.date(2026, 11, 1))
    run = services.start_run(officer, f.school_a, sched)
    services.tick(officer, f.school_a, run, item_id="seal_and_pin", result="fail", note="пломба жок",
                  client_uuid=str(uuid.uuid4()))
    db.session.commit()
    return db.session.scalar(sa.select(CorrectiveAction).where(CorrectiveAction.run_id == run.id))


def test_failed_item_opens_an_action_titled_with_the_deficiency(f, clock):
    action = _failed_seal(f)
    assert action.title == "Пломба же сактагыч чека жок"  # stored in the school's language
    assert services.action_title(action, "ru") == "Нет пломбы или предохранительной чеки"
    assert services.action_title(action, "kk") == "Пломба немесе сақтандырғыш чека жоқ"
    assert services.action_title(action, "en") == "Seal or safety pin missing"


def test_hazard_report_keeps_its_own_words(f, clock):
    a = services.open_action(None, f.school_a, title="Розетка учкундап жатат", severity="major", area="fire_safety")
    assert services.action_title(a, "ru") == "Розетка учкундап жатат"


@pytest.mark.parametrize(("locale", "title"), [("ru", "Нет пломбы или предохранительной чеки"),
                                               ("en", "Seal or safety pin missing"),
                                               ("ky", "Пломба же сактагыч чека жок")])
def test_screens_show_the_title_in_the_readers_language(client, f, clock, locale, title):
    action = _failed_seal(f)
    login(client, f.user("director", locale=locale))
    for url in ("/inspections/overdue", "/inspections/actions", f"/inspections/actions/{action.id}"):
        html = client.get(url).get_data(as_text=True)
        assert title in html, url
        assert "Пломба жана сактагыч чека ордунда" not in html  # never the passing sentence


def test_actions_list_filters_by_severity(client, f, clock):
    """The director's "Last week" card sends "critical deficiencies still open" to the list of those alone."""
    seal = _failed_seal(f)
    other = CorrectiveAction(school_id=f.school_a.id, title="Розетка сломана", severity="minor", area=seal.area,
                             source="hazard", due_on=seal.due_on)
    db.session.add(other)
    db.session.commit()
    login(client, f.user("director", locale="ru"))
    wanted = seal.severity.value
    html = client.get(f"/inspections/actions?severity={wanted}").get_data(as_text=True)
    assert f"/inspections/actions/{seal.id}" in html and f"/inspections/actions/{other.id}" not in html
    assert 'aria-current="page">Любая серьёзность' not in html
    minor = client.get("/inspections/actions?severity=minor&show=all").get_data(as_text=True)
    assert f"/inspections/actions/{other.id}" in minor and f"/inspections/actions/{seal.id}" not in minor
    assert 'href="/inspections/actions?severity=critical&amp;show=all"' in minor  # the other filter is kept
    for url in ("/inspections/actions", "/inspections/actions?severity=%27%3B--"):  # unknown: every severity
        html = client.get(url).get_data(as_text=True)
        assert f"/inspections/actions/{seal.id}" in html and f"/inspections/actions/{other.id}" in html


def test_actions_list_reads_wordings_in_a_fixed_number_of_statements(client, f, clock):
    from sqlalchemy import event

    officer = f.user("safety_officer")
    director = f.user("director", locale="ru")

    def count(n_assets: int) -> int:
        for _ in range(n_assets):
            sched = f.schedule("extinguisher_monthly", starts_on=dt.date(2026, 11, 1))
            run = services.start_run(officer, f.school_a, sched)
            services.tick(officer, f.school_a, run, item_id="seal_and_pin", result="fail", note="x",
                          client_uuid=str(uuid.uuid4()))
        db.session.commit()
        login(client, director)
        seen = []
        listener = lambda *a, **k: seen.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            html = client.get("/inspections/actions").get_data(as_text=True)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert "Нет пломбы или предохранительной чеки" in html
        return len(seen)

    assert count(2) == count(8)


def test_export_page_is_a_page_and_exports_speak_the_readers_language(client, f, clock):
    _failed_seal(f)
    officer = f.user("safety_officer", full_name="Токтогулов Бакыт", phone="+996700333444")
    f.appointment(user=officer, area=Area.FIRE_SAFETY)
    f.schedule("fire_daily_walk", starts_on=dt.date(2026, 11, 9))
    db.session.commit()
    login(client, f.user("director", locale="ru"))
    overdue = client.get("/inspections/overdue").get_data(as_text=True)
    assert 'href="/inspections/export"' in overdue
    page = client.get("/inspections/export")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "what=overdue" in page.get_data(as_text=True)

    r = client.get("/inspections/export?what=actions&fmt=csv")
    assert r.headers["Content-Type"].lower().count("charset") == 1
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    row = rows[1]
    text = " ".join(rows[0] + row)
    assert "Нет пломбы или предохранительной чеки" in row
    for code in ("critical", "fire_safety", "failed_item", "open", "in_progress"):
        assert code not in row, code
    assert "Критическое" in text or "Критический" in text or any("ритич" in c for c in row), row

    r = client.get("/inspections/export?what=overdue&fmt=xlsx")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.data)).active
    values = [[c.value for c in row] for row in ws.iter_rows()]
    flat = " ".join(str(v) for row in values for v in row if v is not None)
    assert "Токтогулов Бакыт" in flat and "+996700333444" in flat
    assert "overdue" not in flat and "missed" not in flat
