"""The register: documents with files and versions, who reads which kind, uploads refused, statuses."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import sqlalchemy as sa
from PIL import Image

from safetyops.audit.models import AuditEvent
from safetyops.documents import services, storage
from safetyops.documents.kinds import KINDS, readable_kinds
from safetyops.documents.models import DocKind, DocStatus, Document, DocumentFile
from safetyops.errors_service import ServiceError
from safetyops.extensions import db
from tests.conftest import login
from tests.documents.helpers import PDF_BYTES, make_document, pdf_upload, photo_bytes, photo_upload


def _get(client, url):
    """GET, read, close (a file response holds its file open until closed)."""
    resp = client.get(url)
    resp.get_data()
    resp.close()
    return resp


def _form(**extra):
    data = {"title_local": "Антитеррордук коргоо паспорту", "title_ru": "Паспорт антитеррористической защищённости",
            "number": "АТ-1", "approved_on": "2026-09-01", "approved_by_id": "0", "approval_note": "",
            "responsible_id": "0", "review_on": "", "remind_days": "30", "status": "in_force", "version_note": ""}
    data.update(extra)
    return data


# --------------------------------------------------------------------------- through the pages


def test_director_adds_a_passport_with_a_photo_sees_it_in_force_and_uploads_a_new_version(client, as_role, app):
    director = as_role("director")
    page = client.get("/documents/new?kind=antiterror_passport").get_data(as_text=True)
    assert f'<option selected value="{director.id}">' in page  # no anti-terror appointee: the director
    resp = client.submit("/documents/new?kind=antiterror_passport",
                         {**_form(responsible_id=str(director.id)), "files": (io.BytesIO(photo_bytes()), "page1.jpg")},
                         content_type="multipart/form-data")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    doc = db.session.scalar(sa.select(Document))
    assert doc.kind is DocKind.ANTITERROR_PASSPORT and doc.responsible_id == director.id
    assert doc.review_on == dt.date(2027, 9, 1)  # the kind's 12 months from approval
    assert doc.status_on(dt.date(2026, 10, 1)) is DocStatus.IN_FORCE
    first = doc.current.files[0]
    assert first.content_type == "image/jpeg" and storage.path_of(first).is_file()
    page = client.get(resp.location).get_data(as_text=True)
    assert "Version 1" in page and "In force" in page

    resp = client.submit(f"/documents/{doc.id}/versions/new",
                         {"files": (io.BytesIO(PDF_BYTES), "passport-2027.pdf"), "approved_on": "2027-08-20",
                          "review_on": "", "note": "Новый охранник"}, content_type="multipart/form-data")
    assert resp.status_code == 302
    db.session.expire_all()
    doc = db.session.get(Document, doc.id)
    assert [v.number for v in doc.versions] == [2, 1]
    assert doc.current.files[0].content_type == "application/pdf"
    assert doc.approved_on == dt.date(2027, 8, 20) and doc.review_on == dt.date(2028, 8, 20)
    # the old version stays readable
    old = _get(client, f"/documents/files/{first.id}")
    assert old.status_code == 200 and old.mimetype == "image/jpeg"
    assert "no-store" in old.headers["Cache-Control"] and "sandbox" in old.headers["Content-Security-Policy"]
    new = _get(client, f"/documents/files/{doc.current.files[0].id}")
    assert new.get_data().startswith(b"%PDF-")
    actions = set(db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.user_id == director.id)))
    assert {"document.create", "document.version", "documents.read", "documents.file_read"} <= actions


def test_a_refused_file_keeps_what_was_typed_and_stores_nothing(client, as_role):
    as_role("director")
    resp = client.submit("/documents/new?kind=evacuation_plan",
                         {**_form(title_local="Эвакуация планы, 2-кабат"),
                          "files": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "plan.pdf")},
                         content_type="multipart/form-data")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Only a PDF file or photos" in html and "Эвакуация планы, 2-кабат" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Document)) == 0


# --------------------------------------------------------------------------- who reads which kind


@pytest.mark.parametrize("role,reads", [("director", True), ("deputy", True), ("safety_officer", True),
                                        ("admin", True), ("teacher", False), ("guard", False), ("nurse", False),
                                        ("inspector", False)])
def test_only_leaders_read_the_anti_terror_passport(client, f, role, reads):
    passport = make_document(f.school_a, kind="antiterror_passport", title="Антитеррордук коргоо паспорту",
                             files=[pdf_upload()])
    plan = make_document(f.school_a, kind="evacuation_plan", title="Эвакуация планы", files=[pdf_upload()])
    login(client, f.user(role, f.school_a))
    listing = client.get("/documents").get_data(as_text=True)
    assert ("Антитеррордук коргоо паспорту" in listing) is reads
    assert "Эвакуация планы" in listing
    assert client.get(f"/documents/{passport.id}").status_code == (200 if reads else 403)
    assert _get(client, f"/documents/files/{passport.current.files[0].id}").status_code == (200 if reads else 403)
    assert client.get(f"/documents/{plan.id}").status_code == 200


def test_kinds_readers():
    from safetyops.auth.roles import Role

    assert DocKind.ANTITERROR_PASSPORT not in readable_kinds(Role.TEACHER)
    assert DocKind.SAFETY_MEASURES_PLAN not in readable_kinds(Role.INSPECTOR)
    assert DocKind.CONTRACT_SECURITY in readable_kinds(Role.INSPECTOR)
    assert DocKind.CONTRACT_SECURITY not in readable_kinds(Role.TEACHER)
    assert set(KINDS) == set(DocKind)


def test_another_schools_document_and_file_are_404(client, f):
    doc = make_document(f.school_b, files=[pdf_upload()])
    login(client, f.user("director", f.school_a))
    assert client.get(f"/documents/{doc.id}").status_code == 404
    assert _get(client, f"/documents/files/{doc.current.files[0].id}").status_code == 404


# --------------------------------------------------------------------------- uploads


def _store(f, upload):
    return storage.store(f.user("director"), f.school_a, [upload], version=None, instruction=None)


@pytest.mark.parametrize("data,message", [
    (b"%PDF-1.4\n1 0 obj<<>>endobj\n", "incomplete or damaged"),  # cut off: no end-of-file marker
    (b"GIF89a" + b"\x00" * 20, "Only a PDF file or photos"),  # a broken image
    (b"hello, world", "Only a PDF file or photos"),
    (b"", "empty"),
])
def test_uploads_that_are_refused(f, data, message):
    with pytest.raises(ServiceError) as err:
        storage.clean(pdf_upload(data, "x.pdf"))
    assert message in str(err.value.message)


def test_a_pdf_larger_than_the_limit_is_refused(f):
    big = b"%PDF-1.4\n" + b"0" * storage.MAX_BYTES + b"\n%%EOF\n"
    with pytest.raises(ServiceError) as err:
        storage.clean(pdf_upload(big))
    assert "too large" in str(err.value.message)


def test_a_photo_is_re_encoded_without_metadata_and_resized(f):
    raw = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    Image.new("RGB", (4000, 3000), (200, 200, 190)).save(raw, "JPEG", exif=exif)
    data, kind = storage.clean(photo_upload().__class__(io.BytesIO(raw.getvalue()), filename="p.jpg"))
    assert kind == "image/jpeg"
    img = Image.open(io.BytesIO(data))
    assert max(img.size) == storage.MAX_SIDE and not img.getexif()


def test_one_pdf_or_photos_not_both_and_one_bad_file_stores_none(f, app):
    doc = make_document(f.school_a)
    version = services.add_version(f.user("director"), f.school_a, doc, files=[photo_upload()])
    with pytest.raises(ServiceError):
        storage.store(None, f.school_a, [pdf_upload(), photo_upload()], version=version)
    with pytest.raises(ServiceError):
        storage.store(None, f.school_a, [photo_upload(), pdf_upload(b"junk")], version=version)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DocumentFile)) == 1


# --------------------------------------------------------------------------- status, orders


def test_status_follows_the_dates_and_the_licence():
    doc = Document(kind=DocKind.CONTRACT_SECURITY, status=DocStatus.IN_FORCE, remind_days=30,
                   review_on=dt.date(2027, 6, 30), licence_expires_on=dt.date(2027, 1, 31))
    assert doc.due_on == dt.date(2027, 1, 31)
    assert doc.status_on(dt.date(2026, 12, 1)) is DocStatus.IN_FORCE
    assert doc.status_on(dt.date(2027, 1, 1)) is DocStatus.REVIEW_DUE
    assert doc.status_on(dt.date(2027, 2, 1)) is DocStatus.EXPIRED
    doc.status = DocStatus.ARCHIVED
    assert doc.status_on(dt.date(2027, 2, 1)) is DocStatus.ARCHIVED


def test_contract_needs_a_contractor(f):
    with pytest.raises(ServiceError) as err:
        services.save_document(f.user("director"), f.school_a, None, kind="contract_security", title_local="Келишим",
                               contractor="")
    assert err.value.field == "contractor"


def test_orders_use_the_core_sequence_and_show_the_appointments_they_made(f):
    officer = f.user("safety_officer")
    appt = f.appointment(user=officer)  # order "1-к" of 2026-09-01: a personnel number, not linked
    order = make_document(f.school_a, kind="order", number="12", title="Өрт коопсуздугуна жооптуу адамды дайындоо",
                          approved_on=dt.date(2026, 9, 1))
    assert services.next_order_number(f.school_a, 2026) == "13"
    assert services.order_links(f.school_a, order)["appointments"] == []
    appt.order_number = "12"
    assert services.order_links(f.school_a, order)["appointments"] == [appt]
    assert services.order_for_appointment(f.school_a, appt) == order
    plan = make_document(f.school_a, approved_by_id=order.id)
    assert services.order_links(f.school_a, order)["approved"] == [plan]


def test_approving_order_must_be_an_order_of_this_school(f):
    other = make_document(f.school_b, kind="order", number="3")
    with pytest.raises(ServiceError) as err:
        make_document(f.school_a, approved_by_id=other.id)
    assert err.value.field == "approved_by_id"


def test_archived_document_takes_no_new_version(f):
    doc = make_document(f.school_a)
    services.set_status(None, f.school_a, doc, "archived")
    with pytest.raises(ServiceError):
        services.add_version(None, f.school_a, doc, files=[pdf_upload()])
