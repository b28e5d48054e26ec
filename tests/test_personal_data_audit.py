"""Every read of personal data is audited (issue 18), and a view cannot forget it (issue 11).

A view that shows personal data declares it with `@uow.personal_data(action)`; the unit of
work writes the event after the page rendered.  REQUIRED lists the views that show names,
phones, documents, photos or students: each must carry the declaration, and a GET of every
declared view must leave exactly its event.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from safetyops.audit.models import AuditEvent
from safetyops.auth.roles import Role
from safetyops.extensions import db
from tests.conftest import login
from tests.test_access_matrix import _APP, EXPECT, MATRIX, RULES, _allowed, _objects

#: Views that show personal data (names with phones, visitors, students, photos, audit of people).
REQUIRED = {
    "schools.staff_list",
    "schools.staff_edit",
    "schools.appointments",
    "drills.report_pdf",
    "drills.training",
    "drills.cd_staff",
    "drills.class_list",
    "drills.student_edit",
    "drills.guardian_edit",
    "drills.reunion_screen",
    "drills.handover",
    "drills.reunion_class",
    "canteen.tally_export",
    "inspections.run_pdf",
    "inspections.photo",
    "notifications.log",
    "notifications.message",
    "notifications.phones",
    "rosters.checkins",
    "rosters.day",
    "rosters.week",
    "rosters.print_week",
    "rosters.pdf_week",
    "gate.index",
    "gate.entry",
    "gate.photo",
    "gate.closing",
    "gate.suggest",
    "gate.journal_pdf",
    "gate.watchlist",
    "gate.entries",
    "gate.report",
}


def _declared(endpoint):
    return getattr(_APP.view_functions[endpoint], "personal_data", None)


DECLARED = [r for r in RULES if "GET" in r.methods and _declared(r.endpoint)]


def test_every_view_that_shows_personal_data_declares_it():
    missing = sorted(e for e in REQUIRED if not _declared(e))
    assert missing == []


@pytest.mark.parametrize("rule", DECLARED, ids=lambda r: f"{r.endpoint}:{r.rule}")
def test_a_declared_read_leaves_its_audit_event(rule, client, f, monkeypatch, app):
    spec = MATRIX[rule.endpoint]
    role = next(r for r in (Role.DIRECTOR, *Role) if _allowed(spec, r))
    user = f.user(role.value, f.school_a)
    login(client, user)
    url = rule.build(_objects(f, f.school_a), append_unknown=False)[1]
    resp = client.get(url)
    resp.close()
    assert resp.status_code == EXPECT.get(rule.endpoint, 200)
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == _declared(rule.endpoint),
                                                           AuditEvent.user_id == user.id)).all()
    assert len(events) >= 1
    assert {e.school_id for e in events} == {f.school_a.id}


def test_a_refused_or_failed_read_is_not_recorded_as_a_read(client, f):
    login(client, f.user("teacher", f.school_a))
    assert client.get("/staff").status_code == 403
    login(client, f.user("director", f.school_a))
    assert client.get("/staff/999999").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action.in_(["staff.read", "staff.read_list"]))) == 0
