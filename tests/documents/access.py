"""Access table of the documents area (see tests/test_access_matrix.py).

The document in objects() is an evacuation plan, which every member of staff and the inspector
reads; which roles read the anti-terror passport is tested in test_views.py."""

from __future__ import annotations

import datetime as dt

from safetyops.auth.roles import Role
from tests.access_common import ALL

LEADERS = frozenset({Role.DIRECTOR, Role.ADMIN, Role.DEPUTY, Role.SAFETY_OFFICER})
SIGNERS = ALL - {Role.INSPECTOR}
BRIEFINGS = LEADERS | {Role.TEACHER, Role.INSPECTOR}

MATRIX = {
    "documents.index": ALL,
    "documents.new": LEADERS,
    "documents.edit": LEADERS,
    "documents.detail": ALL,
    "documents.new_version": LEADERS,
    "documents.set_status": LEADERS,
    "documents.file": ALL,
    "documents.journal": LEADERS | {Role.INSPECTOR},
    "documents.journal_pdf": LEADERS | {Role.INSPECTOR},
    "documents.instruction_new": LEADERS,
    "documents.instruction": LEADERS | {Role.INSPECTOR},
    "documents.instruction_pdf": LEADERS | {Role.INSPECTOR},
    "documents.instruction_scan": LEADERS,
    "documents.my_instructions": SIGNERS,
    "documents.sign": SIGNERS,
    "documents.briefings": BRIEFINGS,
    "documents.briefing_pdf": BRIEFINGS,
    "documents.road_plan_pdf": BRIEFINGS,
}


def objects(f, school) -> dict:
    from safetyops.extensions import db
    from safetyops.incidents.models import Briefing, BriefingKind
    from tests.documents.helpers import make_document, make_instruction, pdf_upload

    doc = make_document(school, kind="evacuation_plan", files=[pdf_upload()])
    ins = make_instruction(school)
    klass = f.school_class(school)
    briefing = Briefing(school_id=school.id, kind=BriefingKind.ROAD, class_id=klass.id, held_on=dt.date(2026, 10, 1),
                        topic="Жол кыймылынын эрежелери", students_present=20)
    db.session.add(briefing)
    db.session.flush()
    plan = f.briefing_plan_item(school)
    return {"document_id": doc.id, "document_file_id": doc.current.files[0].id, "instruction_id": ins.id,
            "instruction_entry_id": ins.entries[0].id, "briefing_id": briefing.id,
            "briefing_class_id": plan.class_id}


EXPECT = {"documents.journal_pdf": 200}
