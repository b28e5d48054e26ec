"""Photos from phones: type and size checked, re-encoded as JPEG (EXIF and GPS gone),
resized, stored under the instance folder, served only to the school's staff."""

from __future__ import annotations

import io
import uuid
import warnings
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors_service import ServiceError
from ..extensions import db
from .models import Photo

#: Largest upload accepted, in bytes (the request limit is 8 MB).
MAX_BYTES = 7 * 1024 * 1024
#: Longest side after resizing, in pixels.
MAX_SIDE = 1600
#: More pixels than this is refused before decoding (a decompression bomb).
MAX_PIXELS = 50_000_000
ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "MPO"}


def photo_dir(school_id: int) -> Path:
    return Path(current_app.instance_path) / "photos" / str(school_id)


def photo_path(photo: Photo) -> Path:
    return photo_dir(photo.school_id) / photo.filename


def has_upload(storage) -> bool:
    return storage is not None and bool(getattr(storage, "filename", "")) and storage.filename != ""


def save_photo(actor, school, storage, field: str = "photo") -> Photo:
    """Check, clean and store an uploaded photo; raise ServiceError with a clear message."""
    raw = storage.read(MAX_BYTES + 1)
    if not raw:
        raise ServiceError(_l("The photo is empty. Take it again."), field)
    if len(raw) > MAX_BYTES:
        raise ServiceError(_l("The photo is too large (at most 7 MB)."), field)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as img:
                if img.format not in ALLOWED_FORMATS:
                    raise ServiceError(_l("This file is not a photo (JPEG, PNG or WebP)."), field)
                if img.width * img.height > MAX_PIXELS:
                    raise ServiceError(_l("The photo is too large (at most 7 MB)."), field)
                img = ImageOps.exif_transpose(img)
                img = img.convert("RGB")
                img.thumbnail((MAX_SIDE, MAX_SIDE))
                out = io.BytesIO()
                img.save(out, "JPEG", quality=82, optimize=True)  # no exif= : metadata is dropped
                width, height = img.size
    except ServiceError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as err:
        raise ServiceError(_l("This file is not a photo (JPEG, PNG or WebP)."), field) from err
    data = out.getvalue()
    name = f"{uuid.uuid4().hex}.jpg"
    folder = photo_dir(school.id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    photo = Photo(school_id=school.id, filename=name, size=len(data), width=width, height=height,
                  uploaded_by_id=getattr(actor, "id", None))
    db.session.add(photo)
    db.session.flush()
    return photo
