"""Anonymous reports: the public form stores nothing that identifies the reporter; only the
director, the deputy and the appointed psychologist read cases, every read audited."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from safetyops.audit.models import AuditEvent
from safetyops.extensions import db
from safetyops.schools.models import Area
from safetyops.time import now_utc
from safetyops.wellbeing import services
from safetyops.wellbeing.models import CaseStatus, Report
from tests.conftest import login

ADDRESS = "203.0.113.77"
AGENT = "Mozilla/5.0 (Linux; Android 13; Redmi Note 12) test-agent-xyz"


def _link(school):
    link = services.link_for(school)
    db.session.flush()
    return f"/r/{link.token}"


def _send(client, url, body="9-Б классында бир баланы күн сайын шылдыңдашат", **extra):
    """Open the form, answer its question, send; returns the response of the POST."""
    page = client.get(url, environ_base={"REMOTE_ADDR": ADDRESS}, headers={"User-Agent": AGENT})
    html = page.get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    a, b = map(int, re.search(r"(\d) \+ (\d)", html).groups())
    data = {"csrf_token": token, "kind": "bullying", "reporter_kind": "student", "body": body,
            "place": "2-кабат", "answer": str(a + b), **extra}
    return client.post(url, data=data, environ_base={"REMOTE_ADDR": ADDRESS}, headers={"User-Agent": AGENT})


def _reports():
    return db.session.scalars(sa.select(Report).order_by(Report.id)).all()


# --- the public form ------------------------------------------------------------------------------------


def test_a_report_sent_without_signing_in_stores_nothing_that_identifies_the_reporter(client, f):
    url = _link(f.school_a)
    resp = _send(client, url)
    assert resp.status_code == 302 and resp.location.endswith(f"{url}/sent")
    page = client.get(resp.location).get_data(as_text=True)
    code = re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", page).group(0)
    # shown once: the page again has no code
    assert client.get(f"{url}/sent").status_code == 302
    [report] = _reports()
    assert report.school_id == f.school_a.id and report.status is CaseStatus.NEW
    assert report.code_hash != code and code not in report.code_hash
    # nothing in any column of the report, or of any audit event, names the address or the device
    values = [str(getattr(report, c.key)) for c in Report.__table__.columns]
    events = db.session.scalars(sa.select(AuditEvent)).all()
    values += [f"{e.source} {e.detail} {e.user_id}" for e in events]
    assert not any(ADDRESS in v or "test-agent" in v or "Redmi" in v for v in values)
    [event] = [e for e in events if e.action == "wellbeing.report_received"]
    assert event.user_id is None and event.source == "anonymous"
    # only the day is kept, no time of day
    assert not any(isinstance(getattr(report, c.key), dt.datetime) for c in Report.__table__.columns)


def test_a_signed_in_member_of_staff_reports_anonymously_too(client, f):
    teacher = f.user("teacher", f.school_a)
    login(client, teacher)
    assert _send(client, _link(f.school_a)).status_code == 302
    [event] = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "wellbeing.report_received")).all()
    assert event.user_id is None


def test_a_wrong_answer_or_the_trap_field_stores_nothing(client, f):
    url = _link(f.school_a)
    html = client.get(url).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    a, b = map(int, re.search(r"(\d) \+ (\d)", html).groups())
    resp = client.post(url, data={"csrf_token": token, "kind": "violence", "reporter_kind": "parent",
                                  "body": "Драка", "answer": str(a + b + 1)})
    assert resp.status_code == 200 and "The answer is not right" in resp.get_data(as_text=True)
    assert "Драка" in resp.get_data(as_text=True)  # what was typed is kept
    resp = _send(client, url, website="http://spam.example")
    assert resp.status_code == 302  # looks the same to a robot
    assert _reports() == []


def test_the_form_needs_its_csrf_token(client, f):
    url = _link(f.school_a)
    resp = client.post(url, data={"kind": "violence", "reporter_kind": "parent", "body": "x", "answer": "2"})
    assert resp.status_code == 400
    assert _reports() == []


def test_sending_is_rate_limited_per_sender_without_storing_who(client, f):
    url = _link(f.school_a)
    for _ in range(5):
        assert _send(client, url).status_code == 302
    assert _send(client, url).status_code == 429
    assert len(_reports()) == 5


def test_an_unknown_or_renewed_link_is_404(client, f):
    url = _link(f.school_a)
    assert client.get("/r/no-such-link").status_code == 404
    services.renew_link(None, f.school_a)
    db.session.flush()
    assert client.get(url).status_code == 404
    assert client.get(_link(f.school_a)).status_code == 200


def test_the_reporter_reads_the_answer_with_the_code(client, f):
    report, code = services.submit_report(f.school_a, kind="threat", reporter_kind="parent", body="Угрозы в чате")
    services.set_reply(None, f.school_a, report, "Спасибо. Мы поговорили с классом.", now_utc())
    url = _link(f.school_a)
    page = client.submit(f"{url}/answer", {"code": code.lower().replace("-", " ")}).get_data(as_text=True)
    assert "Мы поговорили с классом" in page
    assert "Угрозы в чате" not in page  # the answer page never repeats the message
    assert code.lower().replace("-", " ") not in page  # nor leaves the code on the screen
    page = client.submit(f"{url}/answer", {"code": "AAAA-BBBB-CCCC"}).get_data(as_text=True)
    assert "No report has this code" in page
    # the code of one school's report reads nothing through another school's link
    page = client.submit(f"{_link(f.school_b)}/answer", {"code": code}).get_data(as_text=True)
    assert "Мы поговорили" not in page and "No report has this code" in page


# --- the cases -------------------------------------------------------------------------------------------


def test_the_director_triages_a_case_every_read_audited(client, f, as_role):
    report, _code = services.submit_report(f.school_a, kind="bullying", reporter_kind="student", body="Шылдыңдашат")
    director = as_role("director")
    assert "Шылдыңдашат" not in client.get("/wellbeing/cases").get_data(as_text=True)  # the list shows no text
    assert "Шылдыңдашат" in client.get(f"/wellbeing/cases/{report.id}").get_data(as_text=True)
    actions = set(db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.user_id == director.id)))
    assert {"wellbeing.read_list", "wellbeing.read"} <= actions
    assert client.submit(f"/wellbeing/cases/{report.id}/note", {"body": "Класс жетекчиси менен сүйлөштүк"},
                         page=f"/wellbeing/cases/{report.id}").status_code == 302
    assert report.status is CaseStatus.IN_PROGRESS
    resp = client.submit(f"/wellbeing/cases/{report.id}/status", {"status": "closed", "outcome": ""},
                         page=f"/wellbeing/cases/{report.id}")
    assert resp.status_code == 422 and report.status is CaseStatus.IN_PROGRESS
    client.submit(f"/wellbeing/cases/{report.id}/status", {"status": "closed", "outcome": "Токтотулду"},
                  page=f"/wellbeing/cases/{report.id}")
    db.session.refresh(report)
    assert report.status is CaseStatus.CLOSED and report.closed_on is not None


def test_only_the_director_the_deputy_and_the_appointed_psychologist_read_cases(client, f):
    report, _code = services.submit_report(f.school_a, kind="substances", reporter_kind="staff", body="Насвай")
    for role in ("deputy", "director"):
        login(client, f.user(role, f.school_a))
        assert client.get(f"/wellbeing/cases/{report.id}").status_code == 200
    for role in ("admin", "teacher", "safety_officer", "nurse", "guard", "canteen"):
        login(client, f.user(role, f.school_a))
        assert client.get(f"/wellbeing/cases/{report.id}").status_code == 403
        assert "Anonymous reports" not in client.get("/").get_data(as_text=True)
    psychologist = f.user("teacher", f.school_a)
    appt = f.appointment(f.school_a, user=psychologist, area=Area.PSYCHOLOGY)
    login(client, psychologist)
    assert client.get(f"/wellbeing/cases/{report.id}").status_code == 200
    assert "Anonymous reports" in client.get("/").get_data(as_text=True)
    appt.ends_on = appt.starts_on - dt.timedelta(days=1) if appt.starts_on else None
    appt.starts_on = appt.ends_on
    db.session.flush()
    assert client.get(f"/wellbeing/cases/{report.id}").status_code == 403
    # a psychologist appointed at another school reads nothing here
    other = f.user("teacher", f.school_a)
    f.appointment(f.school_b, user=other, area=Area.PSYCHOLOGY)
    login(client, other)
    assert client.get("/wellbeing/cases").status_code == 403


def test_another_schools_case_is_404(client, f, as_role):
    report, _code = services.submit_report(f.school_b, kind="violence", reporter_kind="student", body="Мушташ")
    as_role("director")
    assert client.get(f"/wellbeing/cases/{report.id}").status_code == 404
    resp = client.submit(f"/wellbeing/cases/{report.id}/note", {"body": "x"}, page="/wellbeing/cases")
    assert resp.status_code == 404


def test_the_poster_shows_the_link_and_a_qr_code(client, f, as_role):
    as_role("director")
    page = client.get("/wellbeing/poster").get_data(as_text=True)
    assert services.link_for(f.school_a).token in page and "<svg" in page


def test_closed_cases_are_deleted_after_the_retention_period(f):
    old, _ = services.submit_report(f.school_a, kind="other", reporter_kind="unsaid", body="old")
    services.add_note(None, f.school_a, old, "done")
    services.set_status(None, f.school_a, old, "closed", "ok")
    old.closed_on = dt.date(2024, 1, 10)
    fresh, _ = services.submit_report(f.school_a, kind="other", reporter_kind="unsaid", body="new")
    services.set_status(None, f.school_a, fresh, "closed", "ok")
    db.session.flush()
    now = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)
    assert services.purge_closed(now, 365) == 1
    assert services.purge_closed(now, 365) == 0
    assert [r.body for r in _reports()] == ["new"]


def test_a_new_report_is_told_to_the_handlers_by_sms_without_its_content(f):
    from safetyops.notifications.models import OutboundMessage

    director, deputy = f.user("director", f.school_a), f.user("deputy", f.school_a)
    f.user("teacher", f.school_a)
    psychologist = f.user("teacher", f.school_a)
    f.appointment(f.school_a, user=psychologist, area=Area.PSYCHOLOGY)
    report, _code = services.submit_report(f.school_a, kind="threat", reporter_kind="student", body="Коркутушат")
    messages = db.session.scalars(sa.select(OutboundMessage).where(OutboundMessage.kind == services.NEW_REPORT)).all()
    assert {m.user_id for m in messages} == {director.id, deputy.id, psychologist.id}
    assert not any("Коркутушат" in (m.body or "") for m in messages)
