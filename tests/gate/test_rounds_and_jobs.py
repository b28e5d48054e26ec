"""Night rounds, closing time, the sweeps, retention, the daily report and the journal PDF."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from safetyops.errors_service import ServiceError
from safetyops.extensions import db
from safetyops.gate import daily, jobs, rounds, services, settings, sweeps
from safetyops.gate.models import CheckpointScan, GateEntry, GateSettings, RoundAlertMode
from safetyops.notifications.models import OutboundMessage
from tests.gate.helpers import english  # noqa: F401  (autouse)

UTC = dt.UTC
NIGHT = dt.date(2026, 11, 20)


def local(day, hh, mm=0):
    """Bishkek local time (UTC+6) as an aware UTC datetime."""
    return dt.datetime(day.year, day.month, day.day, hh, mm, tzinfo=UTC) - dt.timedelta(hours=6)


def sms(kind):
    return list(db.session.scalars(sa.select(OutboundMessage).where(OutboundMessage.kind == kind)))


def test_night_slots_cross_midnight(f):
    slots = rounds.night_slots(f.school_a, NIGHT)
    assert [s.start for s in slots] == [local(NIGHT, 22), local(NIGHT + dt.timedelta(days=1), 1),
                                        local(NIGHT + dt.timedelta(days=1), 4)]
    assert slots[0].deadline == local(NIGHT, 22, 40) and slots[0].window_end == slots[1].start


def test_scans_are_on_time_late_or_missed(f):
    guard = f.user("guard")
    a, b = f.checkpoint(name="Boiler room"), f.checkpoint(name="Back door")
    rounds.record_scan(guard, f.school_a, a, now=local(NIGHT, 22, 10))
    rounds.record_scan(guard, f.school_a, b, method="code", now=local(NIGHT, 23, 30))
    first = rounds.night_rounds(f.school_a, NIGHT, now=local(NIGHT + dt.timedelta(days=1), 0, 30))[0]
    assert [(cp.name, st) for cp, _scan, st in first.results] == [("Boiler room", "done"), ("Back door", "late")]
    later = rounds.night_rounds(f.school_a, NIGHT, now=local(NIGHT + dt.timedelta(days=1), 1, 10))
    assert [s for _cp, _scan, s in later[1].results] == ["due", "due"]
    morning = rounds.night_rounds(f.school_a, NIGHT, now=local(NIGHT + dt.timedelta(days=1), 8))
    assert morning[1].count("missed") == 2 and morning[2].count("missed") == 2


def test_a_retried_scan_is_stored_once(f):
    cp = f.checkpoint()
    s1, c1 = rounds.record_scan(None, f.school_a, cp, client_id="k")
    s2, c2 = rounds.record_scan(None, f.school_a, cp, client_id="k")
    assert c1 and not c2 and s1.id == s2.id


def test_unknown_code_and_other_schools_checkpoint(f):
    theirs = f.checkpoint(f.school_b, code="THEIRS")
    with pytest.raises(ServiceError, match="Unknown checkpoint"):
        rounds.checkpoint_by_code(f.school_a, "NOPE99")
    with pytest.raises(ServiceError, match="another school"):
        rounds.checkpoint_by_code(f.school_a, " theirs ")
    with pytest.raises(ServiceError):
        rounds.record_scan(None, f.school_a, theirs)


def test_missed_round_alerts_once_at_once(f):
    deputy = f.user("deputy", phone="+996555000002")
    cp = f.checkpoint()
    rounds.record_scan(None, f.school_a, cp, now=local(NIGHT, 22, 5))
    f.checkpoint()  # never scanned
    assert jobs.rounds(local(NIGHT, 22, 30)) == 0  # grace not over yet
    assert jobs.rounds(local(NIGHT, 22, 45)) == 1
    assert jobs.rounds(local(NIGHT, 22, 50)) == 0  # idempotent
    (msg,) = sms("gate.round_missed")
    assert msg.user_id == deputy.id and msg.is_urgent and "22:00" in msg.body and "1" in msg.body
    # the scheduler was down all night: the morning run catches up on the two later rounds
    assert jobs.rounds(local(NIGHT + dt.timedelta(days=1), 7)) == 2


def test_morning_mode_sends_one_summary(f):
    f.user("director", phone="+996555000001")
    db.session.add(GateSettings(school_id=f.school_a.id, round_alert_mode=RoundAlertMode.MORNING,
                                morning_time=dt.time(7, 30), round_times="22:00", round_grace_minutes=30,
                                retention_days=90, closing_time=dt.time(19), is_host_sms_on=True, lock_minutes=3))
    cp = f.checkpoint()
    rounds.record_scan(None, f.school_a, cp, now=local(NIGHT, 22, 10))
    f.checkpoint()
    next_day = NIGHT + dt.timedelta(days=1)
    assert jobs.rounds(local(NIGHT, 23)) == 0  # no at-once alert in morning mode
    assert jobs.rounds(local(next_day, 7)) == 0  # before the morning time
    assert jobs.rounds(local(next_day, 7, 35)) == 1
    assert jobs.rounds(local(next_day, 9)) == 0
    (msg,) = sms("gate.rounds_summary")
    assert "1" in msg.body


def test_visitors_inside_after_closing_alert_the_duty_admin_once(f):
    deputy = f.user("deputy", phone="+996555000002")
    f.gate_entry(name="Stays Late", in_dt=local(NIGHT, 15))
    f.gate_entry(name="Left", in_dt=local(NIGHT, 15), out_dt=local(NIGHT, 16))
    f.gate_entry(name="Teacher late", kind="staff_late", in_dt=local(NIGHT, 8), out_dt=local(NIGHT, 8))
    assert jobs.after_closing(local(NIGHT, 18, 55)) == 0
    assert jobs.after_closing(local(NIGHT, 19, 5)) == 1
    assert jobs.after_closing(local(NIGHT, 19, 10)) == 0
    (msg,) = sms("gate.after_closing")
    assert msg.user_id == deputy.id and "1" in msg.body and "19:00" in msg.body


def test_closing_review_confirms_each_person(client, as_role, f):
    as_role("guard")
    stay, leave = f.gate_entry(name="Stays"), f.gate_entry(name="Leaves")
    html = client.get("/gate/closing").get_data(as_text=True)
    assert "Stays" in html and "Leaves" in html
    client.submit(f"/gate/entries/{stay.id}/stay", {"next": "closing"}, page="/gate/closing")
    client.submit(f"/gate/entries/{leave.id}/out", {"next": "closing"}, page="/gate/closing")
    assert stay.stay_confirmed_dt is not None and stay.out_dt is None
    assert leave.out_dt is not None
    assert services.on_site_now(f.school_a) == [stay]


def test_retention_anonymises_old_entries_once(f):
    now = dt.datetime(2026, 11, 20, 3, tzinfo=UTC)
    photo = f.gate_photo()
    old = f.gate_entry(name="Old Person", in_dt=now - dt.timedelta(days=91), out_dt=now - dt.timedelta(days=91),
                       phone="+996555123456", doc_last4="1234", purpose="x", has_photo_consent=True,
                       photo_id=photo.id)
    young = f.gate_entry(name="Young Person", in_dt=now - dt.timedelta(days=89))
    w = f.watch(name="Kept Forever")
    jobs.retention(now)
    assert (old.name, old.doc_last4, old.phone, old.purpose, old.photo_id) == ("—", None, None, "", None)
    assert old.anonymised_dt == now and young.name == "Young Person" and w.name == "Kept Forever"
    assert sweeps.anonymise_expired(f.school_a, now) == 0  # idempotent
    db.session.add(GateSettings(school_id=f.school_a.id, retention_days=30, closing_time=dt.time(19),
                                round_times="22:00", round_grace_minutes=30, round_alert_mode=RoundAlertMode.AT_ONCE,
                                morning_time=dt.time(7), is_host_sms_on=True, lock_minutes=3))
    db.session.flush()
    assert sweeps.anonymise_expired(f.school_a, now) == 1 and young.name == "—"


def test_daily_report_and_counts(f):
    f.user("director")
    guard = f.user("guard")
    f.gate_entry(name="A", in_dt=local(NIGHT, 9), out_dt=local(NIGHT, 10), guard=guard)
    f.gate_entry(name="B", in_dt=local(NIGHT, 11), kind="parent")
    f.gate_entry(name="Late Teacher", kind="staff_late", in_dt=local(NIGHT, 8, 20), out_dt=local(NIGHT, 8, 20))
    w = f.watch(name="Bad Guy")
    f.gate_entry(name="Bad Guy", in_dt=local(NIGHT, 12), out_dt=local(NIGHT, 12), watchlist_id=w.id,
                 is_refused=True)
    f.gate_entry(name="Other day", in_dt=local(NIGHT, 0) - dt.timedelta(hours=1))
    cp = f.checkpoint()
    rounds.record_scan(guard, f.school_a, cp, now=local(NIGHT, 22, 15))
    rep = daily.daily_report(f.school_a, NIGHT, now=local(NIGHT + dt.timedelta(days=1), 9))
    assert rep.total == 4 and rep.by_kind["visitor"] == 2 and rep.by_kind["parent"] == 1
    assert [e.name for e in rep.late_staff] == ["Late Teacher"]
    assert [e.name for e in rep.not_signed_out] == ["B"]
    assert [e.name for e in rep.watch_hits] == ["Bad Guy"] and rep.refused == 1
    assert (rep.rounds_done, rep.rounds_late, rep.rounds_missed) == (1, 0, 2)
    c = daily.day_counts(f.school_a, NIGHT, now=local(NIGHT + dt.timedelta(days=1), 9))
    assert (c["total"], c["watch_hits"], c["not_signed_out"], c["rounds_missed"]) == (4, 1, 1, 2)


def test_report_page_and_journal_pdf(client, as_role, f):
    as_role("director")
    guard = f.user("guard", full_name="Токтосунов Бакыт")
    f.gate_entry(name="Асанова Гүлнара", in_dt=local(NIGHT, 9), guard=guard, doc_last4="1234", purpose="Meeting")
    html = client.get(f"/gate/report?day={NIGHT.isoformat()}").get_data(as_text=True)
    assert "Асанова Гүлнара" in html
    resp = client.get(f"/gate/report/journal.pdf?day={NIGHT.isoformat()}")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert resp.data.startswith(b"%PDF") and len(resp.data) > 2000
    bad = client.get("/gate/report?day=not-a-date", follow_redirects=True)
    assert bad.status_code == 200 and "Unknown date" in bad.get_data(as_text=True)


def test_journal_without_the_font_says_so(client, as_role, f, app, monkeypatch):
    as_role("director")
    monkeypatch.setitem(app.config, "PDF_FONT", "/nonexistent/DejaVuSans.ttf")
    resp = client.get("/gate/report/journal.pdf", follow_redirects=True)
    assert resp.status_code == 200 and "font is not installed" in resp.get_data(as_text=True)


def test_scan_pages(client, as_role, f):
    as_role("guard")
    cp = f.checkpoint(name="Boiler", code="BOIL42")
    theirs = f.checkpoint(f.school_b, code="THEIRS")
    assert "Boiler" in client.get("/gate/c/BOIL42").get_data(as_text=True)
    resp = client.submit("/gate/c/BOIL42", {"client_id": "s1"})
    assert resp.status_code == 302
    resp = client.get("/gate/c/NOPE")
    assert resp.status_code == 404 and "Unknown checkpoint" in resp.get_data(as_text=True)
    resp = client.get(f"/gate/c/{theirs.code}")
    assert resp.status_code == 404 and "another school" in resp.get_data(as_text=True)
    resp = client.submit("/gate/rounds/scan", {"code": "zzz", "client_id": "s2"}, page="/gate/rounds")
    assert resp.status_code == 422 and "Unknown checkpoint" in resp.get_data(as_text=True)
    resp = client.submit("/gate/rounds/scan", {"code": "boil 42", "client_id": "s3"}, page="/gate/rounds")
    assert resp.status_code == 302
    scans = db.session.scalars(sa.select(CheckpointScan).order_by(CheckpointScan.id)).all()
    assert [(s.checkpoint_id, s.method) for s in scans] == [(cp.id, "qr"), (cp.id, "code")]


def test_checkpoint_qr_label_is_svg_with_the_scan_link(client, as_role, f):
    as_role("director")
    cp = f.checkpoint(code="QRTEST")
    resp = client.get(f"/gate/checkpoints/{cp.id}/qr.svg")
    assert resp.status_code == 200 and resp.mimetype == "image/svg+xml" and b"<svg" in resp.data
    client.submit("/gate/checkpoints", {"name": "Gym door", "zone_id": "0"})
    assert "Gym door" in client.get("/gate/checkpoints/labels").get_data(as_text=True)


def test_settings_refuse_bad_round_times(client, as_role, f):
    as_role("director")
    resp = client.submit("/gate/settings", {"closing_time": "19:00", "retention_days": "90", "round_times": "25:99",
                                            "round_grace_minutes": "30", "round_alert_mode": "at_once",
                                            "morning_time": "07:30", "lock_minutes": "3"})
    assert resp.status_code == 200 and "HH:MM" in resp.get_data(as_text=True)
    resp = client.submit("/gate/settings", {"closing_time": "18:00", "retention_days": "60",
                                            "round_times": "04:00, 22:00", "round_grace_minutes": "30",
                                            "round_alert_mode": "morning", "morning_time": "07:30",
                                            "lock_minutes": "3"}, page="/gate/settings")
    assert resp.status_code == 302
    row = settings.settings_for(f.school_a)
    assert row.round_times == "22:00, 04:00" and row.retention_days == 60 and row.closing_time == dt.time(18)


def test_sweeps_are_registered():
    from safetyops.scheduler.catalogue import load_sweeps, nightly_hooks

    assert {"gate.rounds", "gate.after_closing"} <= set(load_sweeps())
    assert "gate.retention" in nightly_hooks()


def test_entry_rows_are_untouched_by_a_failed_form(f):
    assert db.session.scalar(sa.select(sa.func.count()).select_from(GateEntry)) == 0
