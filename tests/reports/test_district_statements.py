"""The whole district's safety report reads all its schools at once (issue 14): the same number of SQL
statements for a district of 2 schools with data as for one of 6, and every school's figures the same as
its own report's (one school read alone)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from safetyops.accidents.models import IncidentKind, Injury, SchoolIncident
from safetyops.ecology.models import Removal
from safetyops.extensions import db
from safetyops.gate.models import Checkpoint, CheckpointScan
from safetyops.reports import comparison, district_report, services
from safetyops.roadsafety.models import EventKind, RoadEvent
from safetyops.schools.models import School
from safetyops.wellbeing.models import CaseStatus, Report, ReporterKind, ReportKind
from tests.conftest import login
from tests.reports.test_district import NOW, TODAY, clock  # noqa: F401 - fixtures
from tests.test_statement_counts import count_statements

URL = "/reports/safety?scope=district&period=year&lang=en"


def _district(f, n: int, timezones=("Asia/Bishkek",)):
    """A district of `n` schools, each with a bit of everything the report counts; its inspector."""
    district, elsewhere = f.district(), f.district()
    schools: list[School] = []
    for i in range(n):
        school = f.school(name=f"School {district.id}-{i}", district=district, timezone=timezones[i % len(timezones)])
        schools.append(school)
        data = f.populate(2, school=school, now=NOW)
        # populate() adds empty schools to the district: they go elsewhere, so every school here has data
        for extra in db.session.scalars(sa.select(School).where(School.district_id == district.id,
                                                                School.id.not_in([s.id for s in schools]))):
            extra.district_id = elsewhere.id
        add = db.session.add
        for checkpoint in db.session.scalars(sa.select(Checkpoint).where(Checkpoint.school_id == school.id)):
            add(CheckpointScan(school_id=school.id, checkpoint_id=checkpoint.id, guard_id=data["people"]["guard"].id,
                               scanned_dt=NOW - dt.timedelta(days=1, hours=i), client_id=f"c{checkpoint.id}"))
        hurt = SchoolIncident(school_id=school.id, kind=IncidentKind.INJURY, place="Зал", description="—",
                              occurred_dt=NOW - dt.timedelta(days=3 + i), has_ambulance=bool(i % 2))
        add(hurt)
        db.session.flush()
        add(Injury(school_id=school.id, incident_id=hurt.id, injury="—"))
        add(Removal(school_id=school.id, removed_on=TODAY - dt.timedelta(days=i), volume_m3=Decimal("1.25") * (i + 1)))
        add(RoadEvent(school_id=school.id, kind=EventKind.PARENTS, held_on=TODAY - dt.timedelta(days=i), topic="Жол"))
        add(Report(school_id=school.id, kind=ReportKind.BULLYING, reporter_kind=ReporterKind.STUDENT, body="—",
                   received_on=TODAY - dt.timedelta(days=i), code_hash=f"{school.id:064d}",
                   status=(CaseStatus.NEW, CaseStatus.CLOSED)[i % 2]))
    inspector = f.user("inspector", schools[0])
    db.session.flush()
    return schools, inspector


def test_the_district_report_sends_as_many_statements_for_6_schools_as_for_2(client, f, clock):  # noqa: F811
    counts = []
    for n in (2, 6):
        schools, inspector = _district(f, n)
        login(client, inspector)
        with client.session_transaction() as sess:
            sess["school_id"] = schools[0].id
        client.get(URL).close()  # warm: caches filled once per process
        count, statements, status = count_statements(client, URL)
        assert status == 200
        page = client.get(URL).get_data(as_text=True)
        assert all(s.name in page for s in schools)
        counts.append((count, statements))
    (two, two_sql), (six, six_sql) = counts
    from tests.test_statement_counts import _extra

    assert two == six, f"{two} statements for 2 schools, {six} for 6; the extra ones:\n{_extra(two_sql, six_sql)}"


def test_every_school_of_the_district_counts_as_its_own_report(f, clock):  # noqa: F811 - the fixture
    schools, inspector = _district(f, 4, timezones=("Asia/Bishkek", "Asia/Almaty"))
    for period in ("year", "t2", "m2026-11"):
        r = district_report.district_report(comparison.district_ids(inspector), period, TODAY, NOW, "en")
        assert r.figures["schools"] == 4
        by_name = dict(r.figures["by_school"])
        for school in schools:
            alone = services.safety_report(school, period, TODAY, NOW, dates=(r.period, r.first, r.last)).figures
            assert by_name[school.name] == alone, (period, school.timezone)
        f_ = r.figures
        assert f_["checks_due"] == sum(s["checks_due"] for s in by_name.values()) > 0
        assert f_["rounds"] == sum(s["rounds"] for s in by_name.values()) > 0
        assert len(f_["drills"]) == sum(len(s["drills"]) for s in by_name.values()) > 0
        assert f_["injured"] == 4 and f_["anonymous_reports"] == 4 and f_["anonymous_open"] == 2
