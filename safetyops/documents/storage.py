"""Files of documents and journal pages: a PDF, or photos of the signed paper.

Photos go through the project's one upload routine (`safetyops.uploads.clean_image`: size,
real format, pixel count, re-encoded as JPEG without metadata).  A PDF is checked here: the
same size limit, the PDF signature at the start (whatever the name or the browser says), an
end-of-file marker (a cut-off upload is refused).  Files are stored under the instance folder
(documents/<school id>/<random name>), never under the uploaded name, and served only through
the views that check who may read them.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from .. import uploads
from ..errors_service import ServiceError
from ..extensions import db
from .models import DocumentFile

PDF = "application/pdf"
JPEG = "image/jpeg"
#: Largest file accepted (PDF or photo), in bytes: the photo routine's limit.
MAX_BYTES = uploads.MAX_BYTES
#: Most files in one upload (the pages of a paper photographed one by one).
MAX_FILES = 12
#: A scanned page stays readable at this size.
MAX_SIDE = 2200
#: The PDF signature, and where the end-of-file marker is looked for.
PDF_MAGIC = b"%PDF-"
PDF_TAIL = 2048

NOT_ACCEPTED = _l("Only a PDF file or photos (JPEG, PNG or WebP) can be attached.")
PDF_BROKEN = _l("This PDF file is incomplete or damaged. Save it again and attach it.")
TOO_LARGE = _l("The file is too large (at most 7 MB).")
TOO_MANY = _l("Attach at most %(n)s files at once.", n=MAX_FILES)
NOTHING = _l("Attach the PDF or a photo of the signed paper.")


def folder(school_id: int) -> Path:
    return Path(current_app.instance_path) / "documents" / str(school_id)


def path_of(f: DocumentFile) -> Path:
    return folder(f.school_id) / f.filename


def chosen(files) -> list:
    """The uploads actually chosen in the form (browsers send an empty part when none was)."""
    return [f for f in (files or []) if uploads.has_upload(f)]


def _looks_like_pdf(head: bytes) -> bool:
    return head.startswith(PDF_MAGIC)


def check_pdf(raw: bytes, field: str) -> bytes:
    if len(raw) > MAX_BYTES:
        raise ServiceError(TOO_LARGE, field)
    if not _looks_like_pdf(raw) or b"%%EOF" not in raw[-PDF_TAIL:]:
        raise ServiceError(PDF_BROKEN, field)
    return raw


def clean(upload, field: str = "files") -> tuple[bytes, str]:
    """(bytes to store, content type) of one upload; ServiceError when it is refused."""
    raw = uploads.read_limited(upload, field)
    if _looks_like_pdf(raw):
        return check_pdf(raw, field), PDF
    try:
        image = uploads.clean_image(raw, field=field, max_side=MAX_SIDE, quality=85)
    except ServiceError as err:
        if err.message is uploads.NOT_A_PHOTO:
            raise ServiceError(NOT_ACCEPTED, field) from None
        raise
    return image.data, JPEG


def store(actor, school, files, *, version=None, instruction=None, field: str = "files",
          required: bool = True) -> list[DocumentFile]:
    """Check every upload first, then write them all: one bad file stores none."""
    files = chosen(files)
    if not files:
        if required:
            raise ServiceError(NOTHING, field)
        return []
    if len(files) > MAX_FILES:
        raise ServiceError(TOO_MANY, field)
    cleaned = [clean(f, field) for f in files]
    if len(cleaned) > 1 and any(kind == PDF for _data, kind in cleaned):
        # A PDF holds every page itself; photos come one per page.
        raise ServiceError(_l("Attach one PDF, or photos of the pages: not both."), field)
    target = folder(school.id)
    target.mkdir(parents=True, exist_ok=True)
    stored = []
    for position, (data, kind) in enumerate(cleaned):
        name = f"{uuid.uuid4().hex}.{'pdf' if kind == PDF else 'jpg'}"
        (target / name).write_bytes(data)
        row = DocumentFile(school_id=school.id, version_id=getattr(version, "id", None),
                           instruction_id=getattr(instruction, "id", None), filename=name, content_type=kind,
                           size=len(data), position=position, uploaded_by_id=getattr(actor, "id", None))
        db.session.add(row)
        stored.append(row)
    db.session.flush()
    return stored
