"""The term / year report counts the regulation's other areas (issue 17): road-safety work, incidents and
injuries at school, ecology, anonymous reports: hand-counted figures, and no names, no health details and no
word of an anonymous report in the page or the files."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from openpyxl import load_workbook

from safetyops.accidents.models import IncidentKind, Injury, SchoolIncident
from safetyops.ecology.models import CollectedKind, Collection, GreeningItem, GreeningKind, LabDisposal, Removal
from safetyops.extensions import db
from safetyops.reports import services
from safetyops.roadsafety.models import EventKind, RoadEvent, SquadMember
from safetyops.wellbeing.models import CaseStatus, Report, ReporterKind, ReportKind
from tests.conftest import login
from tests.reports.test_district import NOW, TODAY, clock, district  # noqa: F401 - fixtures

UTC = dt.UTC
SECRET_TEXT = "Мени 7Б классында урушат"
NAME = "Асанов Бакыт"
INJURY = "Тамандын чыгышы"


def _data(a, b):
    add = db.session.add
    # the squad: two in it now, one who left in October
    add(SquadMember(school_id=a.id, student_name=NAME, consent_paper="№1", joined_on=dt.date(2026, 9, 5)))
    add(SquadMember(school_id=a.id, student_name="Бекова Нурия", consent_paper="№2", joined_on=dt.date(2026, 9, 5)))
    add(
        SquadMember(
            school_id=a.id,
            student_name="—",
            consent_paper="№3",
            joined_on=dt.date(2026, 9, 5),
            left_on=dt.date(2026, 10, 20),
        )
    )
    for kind, day in (
        (EventKind.POLICE, dt.date(2026, 11, 3)),
        (EventKind.PARENTS, dt.date(2026, 11, 10)),
        (EventKind.PARENTS, dt.date(2026, 11, 12)),
        (EventKind.COMPETITION, dt.date(2026, 10, 1)),
    ):
        add(RoadEvent(school_id=a.id, kind=kind, held_on=day, topic="Жол"))
    add(RoadEvent(school_id=b.id, kind=EventKind.POLICE, held_on=dt.date(2026, 11, 3), topic="Жол"))
    # incidents: an injury with two hurt (one named with consent), a fight; one in October; one at school b
    hurt = SchoolIncident(
        school_id=a.id,
        kind=IncidentKind.INJURY,
        place="Спорт зал",
        description="Секирүүдө",
        occurred_dt=dt.datetime(2026, 11, 9, 5, 0, tzinfo=UTC),
        has_ambulance=True,
    )
    add(hurt)
    add(
        SchoolIncident(
            school_id=a.id,
            kind=IncidentKind.FIGHT,
            place="Коридор",
            description="Тыныгууда",
            occurred_dt=dt.datetime(2026, 11, 10, 5, 0, tzinfo=UTC),
        )
    )
    add(
        SchoolIncident(
            school_id=a.id,
            kind=IncidentKind.PROPERTY,
            place="Класс",
            description="Терезе",
            occurred_dt=dt.datetime(2026, 10, 10, 5, 0, tzinfo=UTC),
        )
    )
    add(
        SchoolIncident(
            school_id=b.id,
            kind=IncidentKind.FIGHT,
            place="Коридор",
            description="—",
            occurred_dt=dt.datetime(2026, 11, 10, 5, 0, tzinfo=UTC),
        )
    )
    db.session.flush()
    add(Injury(school_id=a.id, incident_id=hurt.id, person_name=NAME, consent_paper="№ 7", injury=INJURY))
    add(Injury(school_id=a.id, incident_id=hurt.id, injury="Көгала"))
    # ecology
    add(Removal(school_id=a.id, removed_on=dt.date(2026, 11, 2), volume_m3=Decimal("1.50")))
    add(Removal(school_id=a.id, removed_on=dt.date(2026, 11, 9), volume_m3=Decimal("2.25")))
    add(Removal(school_id=a.id, removed_on=dt.date(2026, 10, 26), volume_m3=Decimal("9")))
    add(
        Collection(
            school_id=a.id, handed_on=dt.date(2026, 11, 5), kind=CollectedKind.PAPER, quantity_kg=Decimal("120.5")
        )
    )
    add(LabDisposal(school_id=a.id, disposed_on=dt.date(2026, 11, 6), substances="Кислота", quantity="0,5 л"))
    add(
        GreeningItem(
            school_id=a.id,
            kind=GreeningKind.PLANTING,
            title="Тал",
            planned_on=dt.date(2026, 11, 4),
            done_on=dt.date(2026, 11, 4),
        )
    )
    add(GreeningItem(school_id=a.id, kind=GreeningKind.CARE, title="Суу", planned_on=dt.date(2026, 11, 8)))
    # anonymous reports: two in the term (one closed), one in October
    for n, (day, status) in enumerate(
        (
            (dt.date(2026, 11, 3), CaseStatus.NEW),
            (dt.date(2026, 11, 4), CaseStatus.CLOSED),
            (dt.date(2026, 10, 4), CaseStatus.NEW),
        )
    ):
        add(
            Report(
                school_id=a.id,
                kind=ReportKind.BULLYING,
                reporter_kind=ReporterKind.STUDENT,
                body=SECRET_TEXT,
                received_on=day,
                code_hash=f"{n:064d}",
                status=status,
            )
        )
    db.session.commit()


def test_the_regulation_figures_against_hand_counted_data(district):  # noqa: F811 - the fixture imported above
    a, b, _other, _inspector = district
    _data(a, b)
    f = services.safety_report(a, "t2", TODAY, NOW).figures
    assert f["squad_members"] == 2
    assert f["road_events"] == {"police": 1, "parents": 2}
    assert f["school_incidents"] == {"injury": 1, "fight": 1}
    assert (f["injured"], f["ambulance_calls"]) == (2, 1)
    assert (f["removals"], float(f["removed_m3"]), float(f["collected_kg"])) == (2, 3.75, 120.5)
    assert (f["lab_disposals"], f["greening_done"], f["greening_planned"]) == (1, 1, 2)
    assert (f["anonymous_reports"], f["anonymous_open"]) == (2, 1)
    year = services.safety_report(a, "year", TODAY, NOW).figures
    assert (year["squad_members"], year["anonymous_reports"], year["removals"]) == (2, 3, 3)
    assert sum(year["school_incidents"].values()) == 3


def test_the_page_and_the_files_carry_counts_only(client, district, f):  # noqa: F811
    a, b, _other, inspector = district
    _data(a, b)
    director = f.user("director", a)
    for who in (director, inspector):
        login(client, who)
        page = client.get("/reports/safety?period=t2&lang=ru")
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        for secret in (SECRET_TEXT, NAME, INJURY):
            assert secret not in text
        client.post("/logout")
    login(client, director)
    page = client.get("/reports/safety?period=t2&lang=ru").get_data(as_text=True)
    assert "3.75" in page and "120.5" in page
    r = client.submit(
        "/reports/safety.xlsx", {"period": "t2", "lang": "ru", "problems": ""}, page="/reports/safety?period=t2&lang=ru"
    )
    values = [
        c for row in load_workbook(io.BytesIO(r.data)).active.iter_rows(values_only=True) for c in row if c is not None
    ]
    assert not any(isinstance(v, str) and (SECRET_TEXT in v or NAME in v or INJURY in v) for v in values)
    from flask_babel import force_locale, gettext

    with force_locale("ru"):
        for n, msgid in enumerate(
            ("Incidents and injuries at school", "Ecological safety", "Psychological safety"), start=9
        ):
            assert f"{n}. {gettext(msgid)}" in values
        assert gettext("Anonymous reports received") in values
    r = client.submit(
        "/reports/safety.pdf", {"period": "t2", "lang": "ru", "problems": ""}, page="/reports/safety?period=t2&lang=ru"
    )
    assert r.status_code == 200 and SECRET_TEXT.encode() not in r.data
