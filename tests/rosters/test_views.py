"""Roster pages, as a phone and a laptop use them."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import sqlalchemy as sa
import time_machine

from safetyops.auth.models import User
from safetyops.extensions import db
from safetyops.rosters import staff_import
from safetyops.rosters.models import FeedToken, Post, RosterRun, Shift, Swap, SwapStatus
from tests.conftest import login

MONDAY = dt.date(2026, 11, 23)
MONDAY_8AM = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)  # 08:00 in Bishkek


def _en(f, role, school=None, **kw):
    return f.user(role, school or f.school_a, locale="en", **kw)


def test_home_card_shows_todays_duty_and_checks_in(client, f):
    teacher = _en(f, "teacher")
    zone = f.zone(name="East stairs")
    shift = f.shift(f.post(name="Stairwell duty", zone=zone, start="08:00", end="13:00"), teacher, MONDAY)
    with time_machine.travel(MONDAY_8AM + dt.timedelta(minutes=2), tick=False):
        login(client, teacher)
        html = client.get("/").get_data(as_text=True)
        assert "My duty today" in html and "Stairwell duty" in html and "East stairs" in html
        assert "I&#39;m at my post" in html or "I'm at my post" in html
        resp = client.submit(f"/rosters/shifts/{shift.id}/checkin", {"next": "/"}, page="/")
        assert resp.status_code == 302 and resp.location.endswith("/")
        assert shift.checked_in_dt is not None
        html = client.get("/").get_data(as_text=True)
        assert "You checked in at 08:02" in html


def test_someone_elses_shift_cannot_be_checked_in_or_offered(client, f):
    teacher, other = _en(f, "teacher"), _en(f, "teacher")
    shift = f.shift(f.post(), other, MONDAY + dt.timedelta(days=2))
    db.session.commit()  # the view rolls back its failed change: the test's rows must survive that
    with time_machine.travel(MONDAY_8AM, tick=False):
        login(client, teacher)
        resp = client.submit(f"/rosters/shifts/{shift.id}/offer", page="/rosters/")
        assert resp.status_code == 302
        assert "only your own" in client.get(resp.location).get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Swap)) == 0
    login(client, teacher)
    other_school_shift = f.shift(f.post(f.school_b), f.user("teacher", f.school_b), MONDAY, school=f.school_b)
    assert client.submit(f"/rosters/shifts/{other_school_shift.id}/checkin", page="/rosters/").status_code == 404


def test_swap_offer_accept_approve_over_http(client, f):
    teacher, colleague, director = _en(f, "teacher"), _en(f, "teacher"), _en(f, "director")
    shift = f.shift(f.post(name="Canteen duty"), teacher, MONDAY + dt.timedelta(days=1))
    with time_machine.travel(MONDAY_8AM, tick=False):
        login(client, teacher)
        assert "Offer for a swap" in client.get("/rosters/").get_data(as_text=True)
        assert client.submit(f"/rosters/shifts/{shift.id}/offer", page="/rosters/").status_code == 302
        swap = db.session.scalar(sa.select(Swap))
        login(client, colleague)
        html = client.get("/rosters/swaps").get_data(as_text=True)
        assert "Canteen duty" in html and "take it" in html
        assert client.submit(f"/rosters/swaps/{swap.id}/accept", page="/rosters/swaps").status_code == 302
        assert swap.status == SwapStatus.ACCEPTED
        # The colleague cannot approve their own swap.
        client.submit(f"/rosters/swaps/{swap.id}/approve", page="/rosters/swaps")
        assert swap.status == SwapStatus.ACCEPTED
        login(client, director)
        assert "Swaps to approve" in client.get("/").get_data(as_text=True)
        assert client.submit(f"/rosters/swaps/{swap.id}/approve", page="/rosters/swaps").status_code == 302
    assert swap.status == SwapStatus.APPROVED and shift.user_id == colleague.id


def test_guard_sees_gate_and_night_posts_only(client, f):
    f.shift(f.post(name="Gate by day", kind="gate_day", roles="guard", start="07:00", end="19:00"),
            f.user("guard"), MONDAY)
    f.shift(f.post(name="Second floor"), f.user("teacher"), MONDAY)
    login(client, _en(f, "guard"))
    html = client.get("/rosters/week?d=2026-11-23").get_data(as_text=True)
    assert "Gate by day" in html and "Second floor" not in html
    login(client, _en(f, "teacher"))
    html = client.get("/rosters/day?d=2026-11-23").get_data(as_text=True)
    assert "Gate by day" in html and "Second floor" in html
    assert client.get("/rosters/day?d=nonsense").status_code == 200


def test_director_adds_a_post_and_bad_input_is_kept(client, f):
    login(client, _en(f, "director"))
    db.session.commit()  # a failed form rolls back: the test's rows must survive that
    data = {"name": "Night watch", "kind": "night_guard", "zone_id": "0", "days": "every_day",
            "start_time": "20:00", "end_time": "20:00", "eligible_roles": ["guard"], "position": "1", "is_active": "y"}
    resp = client.submit("/rosters/posts/new", data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "must differ" in html and 'value="Night watch"' in html
    data["end_time"] = "08:00"
    assert client.submit("/rosters/posts/new", data).status_code == 302
    post = db.session.scalar(sa.select(Post).where(Post.name == "Night watch"))
    assert post.crosses_midnight and post.roles == {"guard"}
    data["eligible_roles"] = []
    html = client.submit(f"/rosters/posts/{post.id}", data).get_data(as_text=True)
    assert "at least one role" in html


def test_generate_preview_adjust_publish(client, f):
    director = _en(f, "director")
    teachers = [f.user("teacher") for _ in range(3)]
    post = f.post(name="Corridor", days="school_days")
    with time_machine.travel(MONDAY_8AM - dt.timedelta(days=2), tick=False):
        login(client, director)
        resp = client.submit("/rosters/generate", {"starts_on": "2026-11-23", "ends_on": "2026-11-29"})
        assert resp.status_code == 302
        run = db.session.scalar(sa.select(RosterRun))
        html = client.get(resp.location).get_data(as_text=True)
        assert "5 of 5 duties filled" in html and "Publish 5 draft duties" in html
        first = db.session.scalar(sa.select(Shift).where(Shift.day == MONDAY))
        other = next(t for t in teachers if t.id != first.user_id)
        resp = client.submit(f"/rosters/shifts/{first.id}", {"user_id": str(other.id)})
        assert resp.status_code == 302 and first.user_id == other.id and first.is_manual
        assert client.submit(f"/rosters/runs/{run.id}/publish", page=f"/rosters/runs/{run.id}").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Shift).where(Shift.is_published)) == 5
    assert post.id


def test_generate_bad_range_is_a_message(client, f):
    login(client, _en(f, "director"))
    db.session.commit()  # a failed form rolls back: the test's rows must survive that
    html = client.submit("/rosters/generate", {"starts_on": "2026-11-23", "ends_on": "2026-11-01"}).get_data(
        as_text=True)
    assert "before the start" in html
    html = client.submit("/rosters/generate", {"starts_on": "2026-11-23", "ends_on": "2026-11-24"}).get_data(
        as_text=True)
    assert "Add the duty posts first" in html


def test_hand_fill_refuses_an_overlap(client, f):
    director, teacher = _en(f, "director"), f.user("teacher")
    f.shift(f.post(start="08:00", end="13:00"), teacher, MONDAY)
    other = f.post(start="12:00", end="14:00")
    stranger = f.user("teacher", f.school_b)
    db.session.commit()  # a failed form rolls back: the test's rows must survive that
    with time_machine.travel(MONDAY_8AM - dt.timedelta(days=2), tick=False):
        login(client, director)
        resp = client.submit(f"/rosters/posts/{other.id}/fill?d=2026-11-23", {"user_id": str(teacher.id)})
    login(client, director)
    assert resp.status_code == 200 and "already on duty at that time" in resp.get_data(as_text=True)
    resp = client.submit(f"/rosters/posts/{other.id}/fill?d=2026-11-23", {"user_id": str(stranger.id)})
    assert resp.status_code == 200 and "Not a valid choice" in resp.get_data(as_text=True)


def test_print_and_pdf(client, f):
    f.shift(f.post(name="Gate"), f.user("teacher", full_name="Сыдыкова Айгүл Бакытовна"), MONDAY)
    login(client, _en(f, "teacher"))
    html = client.get("/rosters/print?d=2026-11-25").get_data(as_text=True)
    assert "Сыдыкова А. Б." in html and "<table" in html
    resp = client.get("/rosters/week.pdf?d=2026-11-25")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf" and resp.data.startswith(b"%PDF")


def test_calendar_feed_link_made_used_and_revoked(client, f):
    teacher = _en(f, "teacher")
    f.shift(f.post(name="Canteen"), teacher, MONDAY)
    login(client, teacher)
    assert client.submit("/rosters/calendar", {"action": "renew"}).status_code == 302
    token = db.session.scalar(sa.select(FeedToken)).token
    assert token in client.get("/rosters/calendar").get_data(as_text=True)
    anon = client.application.test_client()
    with time_machine.travel(MONDAY_8AM, tick=False):
        resp = anon.get(f"/rosters/calendar/{token}.ics")
    assert resp.status_code == 200 and resp.mimetype == "text/calendar" and b"Canteen" in resp.data
    client.submit("/rosters/calendar", {"action": "revoke"})
    assert anon.get(f"/rosters/calendar/{token}.ics").status_code == 404


def test_checkins_page_for_director_and_duty_admin_only(client, f):
    late = f.user("teacher", full_name="Late Person")
    f.shift(f.post(start="08:00", end="13:00"), late, MONDAY)
    with time_machine.travel(MONDAY_8AM + dt.timedelta(minutes=15), tick=False):
        login(client, _en(f, "teacher"))
        assert "Late Person" not in client.get("/rosters/checkins").get_data(as_text=True)
        login(client, _en(f, "director"))
        assert "Late Person" in client.get("/rosters/checkins").get_data(as_text=True)
        assert "Not at their post" in client.get("/").get_data(as_text=True)


# --- import -------------------------------------------------------------------------------------


GOOD_CSV = "name;phone;role;language\nАсанов Бакыт;0555 300 001;teacher;ky\nИванова Ольга;0555 300 002;охранник;ru\n"


def test_import_in_the_browser_all_or_nothing_and_idempotent(client, f):
    login(client, _en(f, "director"))
    db.session.commit()  # a failed form rolls back: the test's rows must survive that
    bad = GOOD_CSV + "Bad Row;12;pilot;xx\nДубль;0555 300 001;teacher;ky\n"
    resp = client.submit("/rosters/import", {"file": (io.BytesIO(bad.encode()), "staff.csv")},
                         content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "nothing was imported" in html
    assert "row 4, phone" in html and "row 4, role" in html and "row 4, language" in html and "row 5, phone" in html
    assert db.session.scalar(sa.select(User).where(User.phone == "+996555300001")) is None
    resp = client.submit("/rosters/import", {"file": (io.BytesIO("ФИО,телефон\n".encode("cp1251")), "s.csv")},
                         content_type="multipart/form-data")
    assert "not UTF-8" in resp.get_data(as_text=True)
    for expected in ("2 new, 0 already", "0 new, 2 already"):
        resp = client.submit("/rosters/import", {"file": (io.BytesIO(GOOD_CSV.encode()), "staff.csv")},
                             content_type="multipart/form-data")
        assert expected in resp.get_data(as_text=True)
    guard = db.session.scalar(sa.select(User).where(User.phone == "+996555300002"))
    assert guard.memberships[0].role.value == "guard" and guard.locale == "ru" and guard.must_change_password


@pytest.mark.parametrize("url", ["/rosters/import", "/drills/students/import"])
def test_an_import_page_refuses_a_missing_or_too_large_file_in_words(client, f, url, monkeypatch):
    """Both import pages share one upload step (rosters.staff_import.from_upload)."""
    login(client, _en(f, "director"))
    db.session.commit()
    resp = client.submit(url, {}, content_type="multipart/form-data")
    assert resp.status_code == 200 and "Choose a file." in resp.get_data(as_text=True)
    monkeypatch.setattr(staff_import, "MAX_UPLOAD", 1000)  # the 5 MB limit, scaled down
    big = io.BytesIO(b"a,b\n" + b"x" * 2000)
    resp = client.submit(url, {"file": (big, "big.csv")}, content_type="multipart/form-data")
    assert resp.status_code == 200 and "larger than 5 MB" in resp.get_data(as_text=True)


def test_import_cli_reports_rows_and_imports_xlsx(app, f, tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Name", "Phone", "Role", "Language"])
    ws.append(["Кадырова Динара", "+996 555 400 001", "teacher", "ky"])
    ws.append(["Усенов Азамат", "0555 400 002", "guard", ""])
    good = tmp_path / "staff.xlsx"
    wb.save(good)
    missing = tmp_path / "missing.csv"
    missing.write_text("name,role\nA,teacher\n", encoding="utf-8")
    runner = app.test_cli_runner()
    school_id = f.school_a.id
    db.session.commit()  # a failed form rolls back: the test's rows must survive that
    result = runner.invoke(args=["rosters", "import-staff", str(missing), "--school-id", str(school_id)])
    assert result.exit_code != 0 and "row 1, phone: This column is missing." in result.output
    result = runner.invoke(args=["rosters", "import-staff", str(good), "--school-id", str(school_id)])
    assert result.exit_code == 0, result.output
    assert "2 new, 0 already" in result.output
    result = runner.invoke(args=["rosters", "import-staff", str(good), "--school-id", str(school_id)])
    assert "0 new, 2 already" in result.output
