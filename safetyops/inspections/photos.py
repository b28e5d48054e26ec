"""Photos from phones: type and size checked, re-encoded as JPEG (EXIF and GPS gone),
resized, stored under the instance folder, served only to the school's staff."""

from __future__ import annotations

import uuid
from pathlib import Path

from flask import current_app

from .. import uploads
from ..extensions import db
from .models import Photo

#: Largest upload accepted, in bytes (the request limit is 8 MB).
MAX_BYTES = uploads.MAX_BYTES
#: Longest side after resizing, in pixels.
MAX_SIDE = uploads.MAX_SIDE
#: More pixels than this is refused before decoding (a decompression bomb).
MAX_PIXELS = uploads.MAX_PIXELS


def photo_dir(school_id: int) -> Path:
    return Path(current_app.instance_path) / "photos" / str(school_id)


def photo_path(photo: Photo) -> Path:
    return photo_dir(photo.school_id) / photo.filename


has_upload = uploads.has_upload


def save_photo(actor, school, storage, field: str = "photo") -> Photo:
    """Check, clean and store an uploaded photo (safetyops.uploads); raise ServiceError with a clear message."""
    clean = uploads.clean_image(storage, field=field, max_side=MAX_SIDE, max_bytes=MAX_BYTES)
    data, width, height = clean.data, clean.width, clean.height
    name = f"{uuid.uuid4().hex}.jpg"
    folder = photo_dir(school.id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    photo = Photo(school_id=school.id, filename=name, size=len(data), width=width, height=height,
                  uploaded_by_id=getattr(actor, "id", None))
    db.session.add(photo)
    db.session.flush()
    return photo
