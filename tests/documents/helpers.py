"""Test helpers of the documents area: documents, instructions, uploads made in memory."""

from __future__ import annotations

import datetime as dt
import io

from PIL import Image
from werkzeug.datastructures import FileStorage

from safetyops.documents import services
from safetyops.extensions import db
from safetyops.schools.models import Membership

#: A minimal PDF: the signature, one empty page, the end-of-file marker.
PDF_BYTES = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
             b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
             b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
             b"trailer<</Root 1 0 R>>\n%%EOF\n")


def pdf_upload(data: bytes = PDF_BYTES, name: str = "passport.pdf") -> FileStorage:
    return FileStorage(io.BytesIO(data), filename=name, content_type="application/pdf")


def photo_bytes(size=(800, 600), fmt="JPEG", color=(240, 240, 230)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt)
    return out.getvalue()


def photo_upload(name: str = "page.jpg", **kw) -> FileStorage:
    return FileStorage(io.BytesIO(photo_bytes(**kw)), filename=name, content_type="image/jpeg")


def _someone(school, role="director"):
    from tests.factories import Factories

    member = db.session.scalar(db.select(Membership).where(Membership.school_id == school.id,
                                                           Membership.role == role).limit(1))
    return member.user if member else Factories().user(role, school)


def make_document(school, *, kind="evacuation_plan", title="Эвакуация планы, 1-кабат", files=(), actor=None,
                  **data):
    actor = actor or _someone(school)
    fields = {"kind": kind, "title_local": title, "title_ru": data.pop("title_ru", "План эвакуации, 1 этаж"),
              "approved_on": data.pop("approved_on", dt.date(2026, 9, 1)), "status": "in_force"}
    if kind.startswith("contract_"):
        fields["contractor"] = data.pop("contractor", "ОсОО «Кalkan Security»")
    if kind == "order":
        fields["number"] = data.pop("number", "45")
    fields.update(data)
    return services.save_document(actor, school, None, files=list(files), **fields)


def make_instruction(school, *, people=None, kind="repeat", held_on=dt.date(2026, 10, 1), actor=None, **kw):
    actor = actor or _someone(school)
    people = people or [_someone(school, "teacher")]
    return services.record_instruction(actor, school, kind=kind, held_on=held_on, instructor_id=actor.id,
                                       topic=kw.pop("topic", "Өрт коопсуздугу боюнча нускама №1"),
                                       user_ids=[p.id for p in people], **kw)
