"""The screens: my checks, the run (forms and fetch), photos, QR, actions, hazards, the
director's overdue view, PDF, exports, labels, the CLI."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid

import pytest
import sqlalchemy as sa
import time_machine
from openpyxl import load_workbook
from PIL import Image

from safetyops.extensions import db
from safetyops.inspections import alerts, services
from safetyops.inspections.checklist_files import SHIPPED_DIR
from safetyops.inspections.models import Answer, CorrectiveAction, Photo, Result, Run, RunStatus
from safetyops.inspections.photos import photo_path
from safetyops.schools.models import Area
from tests.conftest import login
from tests.inspections.access import png_bytes

MONDAY_0800 = dt.datetime(2026, 11, 16, 2, 0, tzinfo=dt.UTC)
JSON = {"Accept": "application/json", "X-Requested-With": "fetch"}


def _u():
    return str(uuid.uuid4())


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY_0800, tick=False) as traveller:
        yield traveller


@pytest.fixture
def walk(f, clock):
    zone = f.zone(name="Коридор 2-кабат")
    sched = f.schedule("fire_daily_walk", zone=zone, starts_on=dt.date(2026, 11, 1))
    db.session.commit()
    return sched


def _start(client, sched) -> Run:
    r = client.submit(f"/inspections/checks/{sched.id}/start", page="/inspections/checks")
    assert r.status_code == 302 and "/inspections/runs/" in r.location
    return db.session.scalar(sa.select(Run).where(Run.schedule_id == sched.id))


def _tick(client, run, item_id, result, note="", key=None, photo=None, json=True):
    data = {"item_id": item_id, "result": result, "note": note, "client_uuid": key or _u()}
    if photo is not None:
        data["photo"] = (io.BytesIO(photo), "photo.jpg")
    data["csrf_token"] = client.csrf_token(f"/inspections/runs/{run.id}")
    return client.post(f"/inspections/runs/{run.id}/answer", data=data, headers=JSON if json else {},
                       content_type="multipart/form-data")


def test_my_checks_lists_the_walk_and_home_shows_the_card(client, as_role, walk):
    as_role("teacher")
    html = client.get("/inspections/checks").get_data(as_text=True)
    assert "Start the check" in html or "Текшерүүнү баштоо" in html
    assert f"/inspections/checks/{walk.id}/start" in html
    home = client.get("/")
    assert home.status_code == 200
    assert "My checks today" in home.get_data(as_text=True) or "текшерүүлөрүм" in home.get_data(as_text=True)


def test_run_screen_has_big_buttons_that_work_as_plain_forms_and_the_camera_input(client, as_role, walk):
    as_role("teacher")
    run = _start(client, walk)
    html = client.get(f"/inspections/runs/{run.id}").get_data(as_text=True)
    assert html.count('name="result" value="pass"') == len(run.version.items)
    assert 'accept="image/*" capture="environment"' in html
    assert 'enctype="multipart/form-data"' in html
    assert "style=" not in html and "<script>" not in html
    item = run.version.items[0]["id"]
    r = _tick(client, run, item, "pass", json=False)
    assert r.status_code == 302 and r.location.endswith(f"#item-{item}")
    assert db.session.scalar(sa.select(Answer.result).where(Answer.run_id == run.id)) == Result.PASS


def test_json_tick_resent_with_the_same_id_is_stored_once(client, as_role, walk):
    as_role("teacher")
    run = _start(client, walk)
    key = _u()
    item = run.version.items[2]["id"]
    for _ in range(2):
        r = _tick(client, run, item, "fail", note="темно", key=key)
        assert r.status_code == 200 and r.json["ok"] and r.json["done"] == 1
    assert db.session.scalar(sa.select(sa.func.count(Answer.id)).where(Answer.run_id == run.id)) == 1
    assert db.session.scalar(sa.select(sa.func.count(CorrectiveAction.id))
                             .where(CorrectiveAction.run_id == run.id)) == 1


def test_fail_without_a_note_is_refused_and_the_rest_of_the_run_is_kept(client, as_role, walk):
    as_role("teacher")
    run = _start(client, walk)
    items = [i["id"] for i in run.version.items]
    assert _tick(client, run, items[0], "pass").status_code == 200
    r = _tick(client, run, items[1], "fail", json=False)
    assert r.status_code == 422
    assert "Say what is wrong" in r.get_data(as_text=True) or "Эмне" in r.get_data(as_text=True)
    r = _tick(client, run, items[1], "fail")
    assert r.status_code == 422 and r.json["field"] == "note"
    assert [a.item_id for a in db.session.scalars(sa.select(Answer).where(Answer.run_id == run.id))] == [items[0]]


def test_unknown_item_finished_run_and_other_school(client, as_role, walk, f):
    as_role("teacher")
    run = _start(client, walk)
    r = _tick(client, run, "no_such_item", "pass")
    assert r.status_code == 404 and r.json["message"]
    run.status = RunStatus.DONE
    db.session.commit()
    r = _tick(client, run, run.version.items[0]["id"], "pass")
    assert r.status_code == 409
    other = f.schedule("territory_daily_guard", school=f.school_b, starts_on=dt.date(2026, 11, 1))
    other_run = services.start_run(f.user("guard", f.school_b), f.school_b, other)
    db.session.commit()
    assert client.get(f"/inspections/runs/{other_run.id}").status_code == 404
    assert _tick(client, other_run, other_run.version.items[0]["id"], "pass").status_code == 404


def _jpeg_with_gps(size=(3000, 2000)) -> bytes:
    img = Image.new("RGB", size, (10, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (42.0, 52.0, 0.0), 3: "E", 4: (74.0, 36.0, 0.0)}  # GPS
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_fail_with_photo_is_resized_and_stripped_of_exif_and_gps(client, as_role, walk):
    as_role("teacher")
    run = _start(client, walk)
    raw = _jpeg_with_gps()
    assert Image.open(io.BytesIO(raw)).getexif().get_ifd(0x8825)
    item = run.version.items[0]["id"]
    r = _tick(client, run, item, "fail", note="коробкалар", photo=raw)
    assert r.status_code == 200 and r.json["has_photo"] and not r.json["needs_photo"]
    photo = db.session.scalar(sa.select(Photo))
    with Image.open(photo_path(photo)) as stored:
        assert max(stored.size) == 1600 and stored.format == "JPEG"
        assert not stored.getexif() and "exif" not in stored.info
    served = client.get(f"/inspections/photos/{photo.id}")
    served.get_data()
    served.close()
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert "no-store" in served.headers["Cache-Control"]
    action = db.session.scalar(sa.select(CorrectiveAction).where(CorrectiveAction.run_id == run.id))
    assert action.photo_id == photo.id


@pytest.mark.parametrize("payload,expect", [
    (b"%PDF-1.4 not a photo", "not a photo"),
    (b"\xff\xd8\xff" + b"0" * 100, "not a photo"),
])
def test_a_file_that_is_not_an_image_is_refused_clearly(client, as_role, walk, payload, expect):
    as_role("teacher")
    run = _start(client, walk)
    item = run.version.items[0]["id"]
    assert _tick(client, run, run.version.items[1]["id"], "pass").status_code == 200
    r = _tick(client, run, item, "fail", note="x", photo=payload)
    assert r.status_code == 422 and expect in r.json["message"]
    r = _tick(client, run, item, "fail", note="x", photo=payload, json=False)
    assert r.status_code == 422 and 'value="pass"' in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Answer.id)).where(Answer.run_id == run.id)) == 1


def test_a_photo_too_large_is_refused(client, as_role, walk, monkeypatch):
    from safetyops.inspections import photos

    monkeypatch.setattr(photos, "MAX_BYTES", 1000)
    as_role("teacher")
    run = _start(client, walk)
    r = _tick(client, run, run.version.items[0]["id"], "fail", note="x", photo=_jpeg_with_gps((400, 400)))
    assert r.status_code == 422 and "too large" in r.json["message"]


def test_finish_then_pdf_renders_kyrgyz_letters(client, as_role, walk, app):
    as_role("teacher")
    run = _start(client, walk)
    for item in run.version.items:
        assert _tick(client, run, item["id"], "pass" if item["severity"] != "minor" else "na").status_code == 200
    r = client.submit(f"/inspections/runs/{run.id}/finish", page=f"/inspections/runs/{run.id}")
    assert r.status_code == 302
    db.session.refresh(run)
    assert run.is_done
    pdf = client.get(f"/inspections/runs/{run.id}/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and pdf.mimetype == "application/pdf"
    from safetyops.inspections.pdf import run_pdf

    raw = run_pdf(run, run.schedule.zone.school, "ky", compress=False)
    for code in (b"04E9", b"04AF", b"04A3"):  # ө ү ң in the embedded font's ToUnicode map
        assert code in raw.upper()


def test_finish_with_items_left_says_so(client, as_role, walk):
    as_role("teacher")
    run = _start(client, walk)
    r = client.submit(f"/inspections/runs/{run.id}/finish", page=f"/inspections/runs/{run.id}",
                      follow_redirects=True)
    assert r.status_code == 200 and not db.session.get(Run, run.id).is_done


def test_qr_label_starts_the_check_marked_verified(client, as_role, f, clock):
    asset = f.asset(asset_type="fire_extinguisher", code="ОП-7")
    f.schedule("extinguisher_monthly", asset=asset, starts_on=dt.date(2026, 10, 1))
    db.session.commit()
    as_role("safety_officer")
    r = client.get(f"/inspections/q/{asset.token}")
    assert r.status_code == 302 and "/inspections/runs/" in r.location
    run = db.session.scalar(sa.select(Run).where(Run.asset_id == asset.id))
    assert run.is_qr_verified
    assert client.get("/inspections/q/not-a-token").status_code == 404
    page = client.get(f"/inspections/assets/{asset.id}").get_data(as_text=True)
    assert "ОП-7" in page


def test_labels_sheet_has_a_qr_svg_per_asset(client, as_role, f):
    a, b = f.asset(code="ОП-1"), f.asset(code="ОП-2")
    db.session.commit()
    as_role("director")
    html = client.get("/inspections/assets/labels").get_data(as_text=True)
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg"') == 2
    assert "ОП-1" in html and "ОП-2" in html and "style=" not in html
    assert a.token not in client.get("/inspections/assets").get_data(as_text=True)
    del b


def test_asset_and_schedule_forms(client, as_role, f):
    zone = f.zone()
    db.session.commit()
    director = as_role("director")
    r = client.submit("/inspections/assets/new", {"asset_type": "fire_extinguisher", "code": "ОП-12",
                                                   "zone_id": str(zone.id), "capacity": "4 kg",
                                                   "next_service_on": "2027-03-01", "is_active": "y"})
    assert r.status_code == 302
    r = client.submit("/inspections/assets/new", {"asset_type": "fire_extinguisher", "code": "ОП-12"})
    assert r.status_code == 200 and "already exists" in r.get_data(as_text=True)
    # a zone checklist given an asset is refused clearly, the form keeps what was typed
    r = client.submit("/inspections/schedules/new", {
        "template_key": "fire_daily_walk", "frequency": "school_days", "opens_time": "07:30",
        "due_time": "09:00", "assignee_kind": "role", "assignee_role": "teacher"})
    assert r.status_code == 200 and "choose a zone" in r.get_data(as_text=True)
    r = client.submit("/inspections/schedules/new", {
        "template_key": "fire_daily_walk", "zone_id": str(zone.id), "frequency": "school_days",
        "opens_time": "09:00", "due_time": "08:00", "assignee_kind": "role", "assignee_role": "teacher"})
    assert r.status_code == 200 and "later than" in r.get_data(as_text=True)
    r = client.submit("/inspections/schedules/new", {
        "template_key": "fire_daily_walk", "zone_id": str(zone.id), "frequency": "school_days",
        "opens_time": "07:30", "due_time": "09:00", "assignee_kind": "role", "assignee_role": "teacher",
        "is_active": "y"})
    assert r.status_code == 302
    director.locale = "ky"  # the schedule list shows the checklist title in the person's language
    assert "Өрт коопсуздугу: зонаны күнүмдүк кыдыруу" in client.get("/inspections/schedules").get_data(as_text=True)


def test_hazard_report_with_photo_assigns_the_responsible_and_director_sees_it(client, f, clock):
    officer = f.user("safety_officer")
    f.appointment(user=officer, area=Area.FIRE_SAFETY)
    zone = f.zone(name="Ашкана")
    teacher = f.user("teacher")
    director = f.user("director")
    db.session.commit()
    login(client, teacher)
    key = _u()
    data = {"title": "Розетка учкундап жатат", "zone_id": str(zone.id), "area": "fire_safety",
            "severity": "critical", "client_uuid": key, "photo": (io.BytesIO(png_bytes()), "p.png")}
    r = client.submit("/inspections/hazard", data, content_type="multipart/form-data")
    assert r.status_code == 302
    data["photo"] = (io.BytesIO(png_bytes()), "p.png")
    client.submit("/inspections/hazard", data, content_type="multipart/form-data")  # resent: stored once
    actions = list(db.session.scalars(sa.select(CorrectiveAction)))
    assert len(actions) == 1 and actions[0].assignee_id == officer.id and actions[0].photo_id
    login(client, director)
    html = client.get("/inspections/overdue").get_data(as_text=True)
    assert "Розетка учкундап жатат" in html
    assert "/inspections/overdue" in client.get("/").get_data(as_text=True)


def test_hazard_bad_photo_keeps_what_was_typed(client, as_role, f):
    as_role("teacher")
    r = client.submit("/inspections/hazard", {"title": "Сынык терезе", "area": "fire_safety", "severity": "major",
                                              "photo": (io.BytesIO(b"nope"), "x.jpg")},
                      content_type="multipart/form-data")
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "Сынык терезе" in html and "not a photo" in html


def test_action_workflow_through_the_screens(client, f, clock):
    officer, teacher = f.user("safety_officer"), f.user("teacher")
    f.appointment(user=officer, area=Area.FIRE_SAFETY)
    action = services.open_action(teacher, f.school_a, title="Огнетушитель без пломбы", severity="major",
                                  area="fire_safety")
    action.assignee_id = teacher.id
    db.session.commit()
    login(client, teacher)
    url = f"/inspections/actions/{action.id}"
    assert client.submit(f"{url}/status", {"status": "in_progress"}, page=url).status_code == 302
    r = client.submit(f"{url}/status", {"status": "fixed"}, page=url)
    assert r.status_code == 422 and "photo or a note" in r.get_data(as_text=True)
    r = client.submit(f"{url}/status", {"status": "fixed", "photo": (io.BytesIO(png_bytes()), "fix.png")}, page=url,
                      content_type="multipart/form-data")
    assert r.status_code == 302
    r = client.submit(f"{url}/status", {"status": "verified"}, page=url)
    assert r.status_code == 422
    assert client.submit(f"{url}/comment", {"text": "Пломба жаңыланды"}, page=url).status_code == 302
    login(client, officer)
    assert client.submit(f"{url}/status", {"status": "verified"}, page=url).status_code == 302
    db.session.refresh(action)
    assert action.status == "verified" and action.fixed_photo_id
    assert "Пломба жаңыланды" in client.get(url).get_data(as_text=True)


def test_overdue_view_filters_and_orders(client, f, clock):
    z1, z2 = f.zone(name="Z1"), f.zone(name="Z2")
    minor = services.open_action(None, f.school_a, title="Minor thing", severity="minor", area="fire_safety",
                                 zone_id=z1.id)
    crit = services.open_action(None, f.school_a, title="Critical thing", severity="critical",
                                area="electrical_safety", zone_id=z2.id)
    f.schedule("fire_daily_walk", zone=z1, starts_on=dt.date(2026, 11, 1))
    db.session.commit()
    login(client, f.user("director"))
    html = client.get("/inspections/overdue").get_data(as_text=True)
    assert html.index("Critical thing") < html.index("Minor thing")
    html = client.get(f"/inspections/overdue?zone={z1.id}").get_data(as_text=True)
    assert "Minor thing" in html and "Critical thing" not in html
    html = client.get("/inspections/overdue?area=electrical_safety").get_data(as_text=True)
    assert "Critical thing" in html and "Minor thing" not in html
    assert client.get("/inspections/overdue?area=bogus&zone=x").status_code == 200
    view = services.overdue_view(f.school_a, now=MONDAY_0800 + dt.timedelta(hours=3))
    assert [a.id for a in view.actions] == [crit.id, minor.id]
    # one line per schedule: today's overdue walk, with the missed school days of the last week counted
    assert [(d.occurrence.start, d.status, d.missed) for d in view.checks] == [(dt.date(2026, 11, 16), "overdue", 5)]


def test_exports_csv_and_xlsx(client, f, as_role):
    services.open_action(None, f.school_a, title="=HYPERLINK(1)", severity="minor", area="fire_safety")
    db.session.commit()
    as_role("director")
    r = client.get("/inspections/export?what=actions&fmt=csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert rows[0][0] == "No." and rows[1][1] == "'=HYPERLINK(1)"
    r = client.get("/inspections/export?what=runs&fmt=xlsx")
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.data))
    assert wb.active["A1"].value == "No."


def test_critical_failure_queues_urgent_sms_to_officer_and_director(client, as_role, walk, f, monkeypatch):
    sent = []

    class FakeOutbox:
        @staticmethod
        def register_text(kind, text):
            assert len(str(text)) <= 70

        @staticmethod
        def sms_name(label, limit):  # the outbox's reader-language name, plain here
            return label[:limit]

        @staticmethod
        def notify(school, recipients, kind, key, params, *, urgent=False):
            sent.append((sorted(u.id for u in recipients), kind, key, params, urgent))
            return ["queued"]

    monkeypatch.setattr(alerts, "outbox", FakeOutbox)
    officer, director = f.user("safety_officer"), f.user("director")
    db.session.commit()
    as_role("teacher")
    run = _start(client, walk)
    critical = next(i for i in run.version.items if i["severity"] == "critical")
    minor = next(i for i in run.version.items if i["severity"] != "critical")
    _tick(client, run, minor["id"], "fail", note="x")
    assert sent == []
    _tick(client, run, critical["id"], "fail", note="эшик кулпуланган")
    assert len(sent) == 1
    ids, kind, _key, params, urgent = sent[0]
    assert set(ids) >= {officer.id, director.id} and kind == "insp.critical" and urgent
    assert len(params["place"]) <= alerts.PLACE_MAX


def test_cli_validate_names_errors_and_sync_keeps_the_last_good(app, tmp_path, f):
    runner = app.test_cli_runner()
    r = runner.invoke(args=["checklists", "validate"])
    assert r.exit_code == 0 and "8 template(s) valid, 0 error(s)" in r.output
    bad = (SHIPPED_DIR / "fire_alarm_monthly.yaml").read_text(encoding="utf-8").replace("severity: critical",
                                                                                        "severity: awful", 1)
    (tmp_path / "fire_alarm_monthly.yaml").write_text(bad, encoding="utf-8")
    r = runner.invoke(args=["checklists", "validate", str(tmp_path / "fire_alarm_monthly.yaml")])
    assert r.exit_code == 1 and "fire_alarm_monthly.yaml:" in r.output and "severity" in r.output
