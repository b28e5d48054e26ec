"""Hostile input that once reached a 500 (issue 18): each gets a clear 4xx in the person's language,
JSON on JSON requests, and nothing is stored half-way.  The standing fuzz test is tests/test_fuzz.py."""

from __future__ import annotations

import datetime as dt
import io
import struct
import zlib

import pytest
import sqlalchemy as sa
from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from safetyops import uploads
from safetyops.audit.models import AuditEvent
from safetyops.errors_service import ServiceError
from safetyops.extensions import db
from safetyops.gate import services as gate_services
from safetyops.gate.models import GateEntry, GatePhoto, WatchlistEntry
from tests.gate.helpers import english  # noqa: F401  (autouse: people read English here)

HUGE = "99999999999999999999"


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- NUL characters: refused in one place, on both databases ------------------------------------------------


def test_nul_in_the_sign_in_form_before_sign_in(client, f):
    f.user("director", username="head")
    before = count(AuditEvent)
    for data in ({"login": "he\x00ad", "password": "x"}, {"login": "head", "password": "pass\x00word"}):
        resp = client.submit("/login", data, page="/login")
        assert resp.status_code == 400
        assert "cannot be stored" in resp.get_data(as_text=True)
    assert count(AuditEvent) == before


@pytest.mark.parametrize("url", ["/audit?who=a%00b", "/audit?action=%00", "/gate/entries?q=Iv%00", "/audit?%00=1",
                                 "/gate/c/CP%0001", "/rosters/week?d=2026-01-01%00"])
def test_nul_in_the_query_string_or_url(client, as_role, url):
    as_role("director")
    resp = client.get(url)
    assert resp.status_code == 400, url
    assert "cannot be stored" in resp.get_data(as_text=True)


def test_nul_in_a_form_value_or_name_stores_nothing(client, as_role, f):
    as_role("director")
    for data in ({"name": "Sidorov\x00", "reason": "barred"}, {"name": "Sidorov", "reason": "barred", "no\x00te": "x"},
                 {"name": "Sidorov", "reason": "barred\x00"}):
        resp = client.submit("/gate/watchlist/new", data, page="/gate/watchlist/new")
        assert resp.status_code == 400
    assert count(WatchlistEntry) == 0


def test_nul_in_an_uploaded_file_name(client, as_role):
    as_role("director")
    data = {"name": "Sidorov", "reason": "barred", "photo": (io.BytesIO(_jpeg()), "a\x00.jpg")}
    resp = client.submit("/gate/watchlist/new", data, page="/gate/watchlist/new", content_type="multipart/form-data")
    assert resp.status_code == 400
    assert count(WatchlistEntry) == 0


def test_nul_in_a_json_body_answers_json(client, as_role):
    as_role("director")
    token = client.csrf_token("/gate/watchlist/new")
    resp = client.post("/gate/watchlist/new", json={"name": ["a\x00"]}, headers={"X-CSRFToken": token})
    assert resp.status_code == 400 and resp.is_json
    assert "cannot be stored" in resp.get_json()["message"]


def test_nul_page_is_in_the_persons_language(client, f):
    from tests.conftest import login

    login(client, f.user("director", locale="ru"))
    resp = client.get("/audit?who=%00")
    assert resp.status_code == 400 and "Неверный запрос" in resp.get_data(as_text=True)


# --- /gate/* errors before the school is known --------------------------------------------------------------


def test_gate_form_with_an_expired_token_says_reload(client, as_role):
    as_role("guard")
    resp = client.post("/gate/new", data={"client_id": "x", "kind": "visitor", "name": "A B", "csrf_token": "stale"})
    assert resp.status_code == 400
    assert "Reload the page" in resp.get_data(as_text=True)
    assert count(GateEntry) == 0


def test_gate_upload_over_the_limit_is_413(client, as_role):
    as_role("guard")
    token = client.csrf_token("/gate/new")
    big = FileStorage(io.BytesIO(b"\xff\xd8\xff" + b"\0" * (20 * 1024 * 1024)), "big.jpg", content_type="image/jpeg")
    # the body built in memory (the test client's own temporary file would be left open by the refusal)
    boundary, body = encode_multipart({"csrf_token": token, "client_id": "x", "kind": "visitor", "name": "A B",
                                       "has_photo_consent": "y", "photo": big})
    resp = client.post("/gate/new", data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert resp.status_code == 413
    assert "too large" in resp.get_data(as_text=True)
    assert count(GateEntry) == 0 and count(GatePhoto) == 0


def test_the_request_after_the_fifth_wrong_pin_says_reload(client, as_role, f):
    guard = as_role("guard")
    gate_services.set_pin(guard, f.school_a, "2580")
    client.submit("/gate/lock", {}, page="/gate/")
    token = client.csrf_token("/gate/locked")
    for _ in range(5):
        resp = client.post("/gate/unlock", data={"secret": "9999", "csrf_token": token})
    assert resp.status_code == 302 and "/login" in resp.location
    # the phone still shows the lock screen: the guard types once more
    resp = client.post("/gate/unlock", data={"secret": "9999", "csrf_token": token})
    assert resp.status_code == 400
    assert "Reload the page" in resp.get_data(as_text=True)


def test_gate_csrf_page_in_russian(client, f):
    from tests.conftest import login

    login(client, f.user("guard", locale="ru"))
    resp = client.post("/gate/new", data={"name": "A B"})
    assert resp.status_code == 400 and "Обновите страницу" in resp.get_data(as_text=True)


# --- uploads: one routine for every photo --------------------------------------------------------------------


def _png(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of any size, all black: a few KB on the wire, `width*height` pixels decoded."""
    def chunk(kind, payload):
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    row = b"\0" + b"\0" * ((width + 7) // 8)
    comp = zlib.compressobj(9)
    body = b"".join(comp.compress(row) for _ in range(height)) + comp.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", body) + chunk(b"IEND", b""))


def _jpeg(size=(64, 48), exif: bytes | None = None) -> bytes:
    buf = io.BytesIO()
    img = Image.new("RGB", size, (200, 30, 30))
    if exif is not None:
        img.save(buf, "JPEG", exif=exif)
    else:
        img.save(buf, "JPEG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def bomb_400mp():
    return _png(20_000, 20_000)


@pytest.fixture(scope="module")
def bomb_144mp():
    return _png(12_000, 12_000)


def test_bombs_are_small_on_the_wire(bomb_400mp, bomb_144mp):
    assert len(bomb_400mp) < 100_000 and len(bomb_144mp) < 100_000


@pytest.fixture
def no_big_decode(monkeypatch):
    """Fails the test if any image over the pixel limit is decoded."""
    from PIL import ImageFile

    decoded = []
    original = ImageFile.ImageFile.load

    def load(self):
        decoded.append(self.size)
        assert self.size[0] * self.size[1] <= uploads.MAX_PIXELS, f"decoded a {self.size} image"
        return original(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return decoded


@pytest.mark.parametrize("which", ["bomb_400mp", "bomb_144mp"])
def test_gate_photo_bomb_is_refused_before_decoding(which, client, as_role, request, no_big_decode):
    as_role("guard")
    data = {"client_id": "b1", "kind": "visitor", "name": "Typed Name", "has_photo_consent": "y",
            "photo": (io.BytesIO(request.getfixturevalue(which)), "photo.png")}
    resp = client.submit("/gate/new", data, page="/gate/new", content_type="multipart/form-data")
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "too large" in html and 'value="Typed Name"' in html  # what was typed is kept
    assert count(GateEntry) == 0 and count(GatePhoto) == 0


def test_watchlist_photo_bomb_is_refused(client, as_role, bomb_400mp, no_big_decode):
    as_role("director")
    data = {"name": "Sidorov", "reason": "barred", "photo": (io.BytesIO(bomb_400mp), "p.png")}
    resp = client.submit("/gate/watchlist/new", data, page="/gate/watchlist/new", content_type="multipart/form-data")
    assert resp.status_code == 422 and count(WatchlistEntry) == 0 and count(GatePhoto) == 0


def test_inspection_photo_bomb_still_refused(f, bomb_144mp, no_big_decode):
    from safetyops.inspections import photos

    with pytest.raises(ServiceError):
        photos.save_photo(None, f.school_a, FileStorage(io.BytesIO(bomb_144mp), "x.png"))


def test_upload_routine_limits_are_explicit():
    assert Image.MAX_IMAGE_PIXELS == uploads.MAX_PIXELS
    assert uploads.MAX_PIXELS < 144_000_000


@pytest.mark.parametrize("payload,why", [
    (b"", "empty"), (b"<html><script>alert(1)</script></html>", "not a photo"),
    (b"\xff\xd8\xff\xe0broken", "not a photo"),
    ("tiff", "not a photo"), ("bmp", "not a photo"), ("pdf", "not a photo"), ("big", "too large"),
])
def test_upload_routine_refuses(payload, why):
    if payload in ("tiff", "bmp", "pdf"):
        buf = io.BytesIO()
        Image.new("RGB", (10, 10)).save(buf, payload.upper())
        payload = buf.getvalue()
    elif payload == "big":
        payload = _jpeg() + b"\0" * uploads.MAX_BYTES
    with pytest.raises(ServiceError) as err:
        uploads.clean_image(io.BytesIO(payload), field="photo")
    assert err.value.field == "photo"
    assert why in str(err.value.message).lower() or (why == "empty" and "empty" in str(err.value.message).lower())


def test_upload_routine_strips_exif_and_bounds_the_size():
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (42.0, 52.0, 0.0)}  # GPS
    raw = _jpeg(size=(3000, 2000), exif=exif.tobytes())
    assert b"PhoneMaker" in raw
    out = uploads.clean_image(io.BytesIO(raw), max_side=800)
    assert b"PhoneMaker" not in out.data and out.content_type == "image/jpeg"
    with Image.open(io.BytesIO(out.data)) as img:
        assert img.format == "JPEG" and max(img.size) == 800 and not img.getexif()
    assert (out.width, out.height) == (800, 533)


def test_gate_photo_is_stored_clean(f):
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    e, _ = gate_services.log_entry(None, f.school_a, client_id="c1", kind="visitor", name="A B",
                                   photo=_jpeg(exif=exif.tobytes()), has_photo_consent=True)
    photo = db.session.get(GatePhoto, e.photo_id)
    assert b"PhoneMaker" not in photo.data and photo.data[:3] == b"\xff\xd8\xff"


# --- numbers and dates beyond the database's range ----------------------------------------------------------


@pytest.mark.parametrize("url,status", [
    (f"/drills/{HUGE}", 404), ("/drills/2147483648", 404), (f"/gate/entries/{HUGE}", 404),
    (f"/inspections/runs/{HUGE}", 404),
    (f"/audit?page={HUGE}", 400), ("/audit?page=2147483647", 400), (f"/audit?page=-{HUGE}", 400),
    ("/audit?from=0001-01-01", 400), ("/audit?to=9999-12-31", 400),
    ("/briefings?year=0", 400), (f"/briefings?year={HUGE}", 400), (f"/briefings?class={HUGE}", 400),
    (f"/incidents/analysis?year={HUGE}", 400), ("/rosters/week?d=9999-12-31", 400), ("/rosters/day?d=0001-01-01", 400),
    ("/gate/report?day=9999-12-31", 400), ("/canteen?day=9999-12-31", 400),
    (f"/messages/?before={HUGE}", 400), (f"/inspections/runs?zone={HUGE}", 400),
])
def test_out_of_range_numbers_and_dates(client, as_role, url, status):
    as_role("director")
    assert client.get(url).status_code == status, url


def test_a_huge_person_id_in_a_form_is_a_field_error(client, as_role, f):
    from safetyops.canteen.models import CanteenDuty

    as_role("director")
    resp = client.submit("/canteen/duty", {"day": "2026-11-24", "user_id": HUGE}, page="/canteen/duty")
    assert resp.status_code in (200, 422)
    assert count(CanteenDuty) == 0


def test_dates_no_school_means_are_field_errors(client, as_role):
    as_role("director")
    resp = client.submit("/canteen/duty", {"day": "9999-12-31", "user_id": ""}, page="/canteen/duty")
    assert resp.status_code in (200, 422) and "Check the date." in resp.get_data(as_text=True)


def test_converter_bounds():
    from safetyops.converters import DB_INT_MAX, db_int, optional_db_int

    assert db_int("2147483647") == DB_INT_MAX
    with pytest.raises(ValueError):
        db_int(HUGE)
    assert optional_db_int("") is None and optional_db_int("x") is None and optional_db_int("7") == 7
    with pytest.raises(ValueError):
        optional_db_int(HUGE)


def test_school_day_stays_readable():
    from safetyops.converters import MAX_DATE

    assert MAX_DATE + dt.timedelta(days=400) > MAX_DATE  # room for week and month arithmetic


# --- Twilio status callbacks: a replayed valid request changes nothing -----------------------------------------


def _snapshot(message_id):
    from safetyops.notifications.models import OutboundMessage, PhoneFlag, StatusEvent

    db.session.expire_all()
    row = db.session.get(OutboundMessage, message_id)
    columns = {c.key: getattr(row, c.key) for c in sa.inspect(OutboundMessage).column_attrs}
    flags = [(p.phone, p.error_code, p.flagged_dt, p.is_resolved) for p in db.session.scalars(sa.select(PhoneFlag))]
    return columns, flags, count(StatusEvent), count(AuditEvent)


@pytest.mark.parametrize("statuses", [["undelivered"], ["sent", "delivered"], ["delivered", "sent"]])
def test_replayed_status_callback_changes_nothing(app, client, f, monkeypatch, statuses):
    from tests.notifications.test_webhooks import PUBLIC, STATUS_URL, TOKEN, _post, _sent_message, sign

    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setitem(app.config, "PUBLIC_URL", PUBLIC)
    message = _sent_message(f)
    requests = [{"MessageSid": message.provider_id, "MessageStatus": s, "AccountSid": "AC1",
                 **({"ErrorCode": "30003", "ErrorMessage": "Unreachable"} if s == "undelivered" else {})}
                for s in statuses]
    for params in requests:
        assert _post(client, STATUS_URL, params, sign(STATUS_URL, params)).status_code == 200
    before = _snapshot(message.id)
    for params in requests + requests[::-1]:  # Twilio retries; an attacker replays what they captured
        resp = _post(client, STATUS_URL, params, sign(STATUS_URL, params))
        assert resp.status_code == 200
    assert _snapshot(message.id) == before


# --- the gate phone's device cookie: chosen by whoever holds the phone -------------------------------------------


@pytest.mark.parametrize("device", ['"a\\000b"', "D" * 300, "ok-but-<b>"])
def test_a_hostile_device_cookie_does_not_break_sign_in(client, f, device):
    from safetyops.gate.models import GateShift
    from tests.factories import PASSWORD

    f.user("guard", username="guard_dev")
    client.set_cookie("gate_device", device, domain="localhost")
    resp = client.submit("/login", {"login": "guard_dev", "password": PASSWORD}, page="/login")
    assert resp.status_code in (302, 400)
    assert all(len(s.device_id) <= 40 and "\x00" not in s.device_id for s in db.session.scalars(sa.select(GateShift)))
