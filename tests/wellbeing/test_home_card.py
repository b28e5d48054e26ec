"""The handlers' home page (director, deputy, the appointed psychologist) counts the new anonymous reports and
links to them; it shows no word of a report; nobody else gets the card."""

from __future__ import annotations

from safetyops.schools.models import Area
from safetyops.wellbeing import services
from tests.conftest import login

BODY = "Мени 7Б классында урушат"


def test_new_reports_card_for_the_handlers_only(client, f, as_role):
    services.submit_report(f.school_a, kind="bullying", reporter_kind="student", body=BODY, alert=False)
    services.submit_report(f.school_a, kind="threat", reporter_kind="unsaid", body=BODY, alert=False)
    dealt, _code = services.submit_report(f.school_a, kind="other", reporter_kind="parent", body=BODY, alert=False)
    services.add_note(None, f.school_a, dealt, "Сүйлөштүк")  # being dealt with: not new
    services.submit_report(f.school_b, kind="other", reporter_kind="parent", body=BODY, alert=False)
    for role in ("director", "deputy"):
        as_role(role)
        page = client.get("/").get_data(as_text=True)
        assert "New anonymous reports" in page and "/wellbeing/cases?status=new" in page, role
        assert BODY not in page
    psychologist = f.user("teacher", f.school_a)
    f.appointment(f.school_a, user=psychologist, area=Area.PSYCHOLOGY)
    login(client, psychologist)
    assert "New anonymous reports" in client.get("/").get_data(as_text=True)
    for role in ("teacher", "admin", "safety_officer", "nurse", "inspector"):
        as_role(role)
        assert "New anonymous reports" not in client.get("/").get_data(as_text=True), role


def test_no_card_when_every_report_is_being_dealt_with(client, f, as_role):
    report, _code = services.submit_report(f.school_a, kind="other", reporter_kind="parent", body=BODY, alert=False)
    services.set_status(None, f.school_a, report, "closed", "ok")
    as_role("director")
    assert "New anonymous reports" not in client.get("/").get_data(as_text=True)
