"""Access table of the wellbeing area: cases for the director and the deputy (and the appointed
psychologist, who holds no role of their own: see test_wellbeing.py); nobody else, not the
administrator, not the district inspector.

The public form is reached by the school's secret link: the matrix names a link that does not
exist (a 404 to everyone); the real link is tested in test_wellbeing.py."""

from safetyops.auth.roles import Role
from tests.access_common import TOKEN

HANDLERS = frozenset({Role.DIRECTOR, Role.DEPUTY})

MATRIX = {
    "wellbeing.report": TOKEN,
    "wellbeing.sent": TOKEN,
    "wellbeing.answer": TOKEN,
    "wellbeing.cases": HANDLERS,
    "wellbeing.case": HANDLERS,
    "wellbeing.case_note": HANDLERS,
    "wellbeing.case_reply": HANDLERS,
    "wellbeing.case_status": HANDLERS,
    "wellbeing.poster": HANDLERS,
    "wellbeing.poster_renew": HANDLERS,
}


def objects(f, school) -> dict:
    from safetyops.wellbeing import services

    report, _code = services.submit_report(school, kind="bullying", reporter_kind="student",
                                           body="9-Б классында бир баланы шылдыңдашат")
    return {"report_id": report.id, "token": f"no-such-link-{school.id}"}
