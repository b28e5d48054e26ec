"""The one routine every uploaded photo goes through (gate, watchlist, inspections, fixes).

In this order, each step refusing with a ServiceError the view shows beside the field:

1. size: at most MAX_BYTES read (the request itself is capped by MAX_CONTENT_LENGTH: 413);
2. real format: only the JPEG, PNG, WebP and GIF decoders are allowed to read the bytes,
   whatever the file's name or the browser's content type says;
3. pixel count: from the header, before anything is decoded: at most MAX_PIXELS (Pillow's own
   decompression-bomb limit is set to the same number, so even a bypassing caller is refused);
4. decoded at a reduced scale where the format allows it (JPEG), turned upright, converted to RGB,
   resized to `max_side`, re-encoded as JPEG without metadata (EXIF, GPS, XMP, comments gone).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageFile, ImageOps

from .errors_service import ServiceError

#: Largest photo accepted, in bytes (the whole request is capped at 8 MB).
MAX_BYTES = 7 * 1024 * 1024
#: Most pixels accepted (a 50-megapixel phone photo), read from the header before decoding.
MAX_PIXELS = 50_000_000
#: Longest side kept, in pixels.
MAX_SIDE = 1600
#: Decoders allowed to read an upload (Pillow format names).
FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
#: What they may turn out to be: the JPEG decoder opens a phone's multi-picture JPEG as MPO.
OPENED_AS = (*FORMATS, "MPO")

# Pillow's decompression-bomb limits, set explicitly: a warning above MAX_PIXELS, an error above
# twice that, raised by Image.open itself; never decode a truncated file.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
ImageFile.LOAD_TRUNCATED_IMAGES = False

EMPTY = _l("The photo is empty. Take it again.")
TOO_LARGE = _l("The photo is too large (at most 7 MB).")
NOT_A_PHOTO = _l("This file is not a photo (JPEG, PNG or WebP).")


def too_many_pixels():
    return _l("The photo is too large (at most %(mp)s megapixels).", mp=MAX_PIXELS // 1_000_000)


@dataclass(frozen=True)
class CleanImage:
    """A photo as stored: JPEG bytes without metadata, and its size."""

    data: bytes
    width: int
    height: int
    content_type: str = "image/jpeg"


def has_upload(storage) -> bool:
    """A file was chosen in the form (browsers send an empty part when none was)."""
    return storage is not None and bool(getattr(storage, "filename", ""))


def read_limited(upload, field: str = "photo", max_bytes: int = MAX_BYTES) -> bytes:
    """The upload's bytes (a FileStorage, a file object or bytes), refused when empty or too large."""
    if isinstance(upload, bytes | bytearray):
        raw = bytes(upload[: max_bytes + 1])
    else:
        stream = getattr(upload, "stream", upload)
        raw = stream.read(max_bytes + 1)
    if not raw:
        raise ServiceError(EMPTY, field)
    if len(raw) > max_bytes:
        raise ServiceError(TOO_LARGE, field)
    return raw


def clean_image(upload, *, field: str = "photo", max_side: int = MAX_SIDE, quality: int = 82,
                max_bytes: int = MAX_BYTES) -> CleanImage:
    """Check and re-encode an uploaded photo; raise ServiceError(message, field) when it is refused."""
    raw = read_limited(upload, field, max_bytes)
    try:
        img = Image.open(io.BytesIO(raw), formats=FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Image.open refuses above 2 × MAX_PIXELS; between the two it warns (an error under the tests).
        raise ServiceError(too_many_pixels(), field) from None
    except Exception:  # noqa: BLE001 - whatever a hostile file makes a decoder raise, it is not a photo
        raise ServiceError(NOT_A_PHOTO, field) from None
    try:
        with img:
            if img.format not in OPENED_AS:
                raise ServiceError(NOT_A_PHOTO, field)
            if img.width * img.height > MAX_PIXELS or img.width < 1 or img.height < 1:
                raise ServiceError(too_many_pixels(), field)
            if img.format in ("JPEG", "MPO"):
                img.draft("RGB", (max_side, max_side))  # decode at 1/2, 1/4 or 1/8 scale: less memory
            out_img = ImageOps.exif_transpose(img)
            out_img = _to_rgb(out_img)
            out_img.thumbnail((max_side, max_side))
            out = io.BytesIO()
            out_img.save(out, "JPEG", quality=quality, optimize=True)  # no exif= : no metadata is written
    except ServiceError:
        raise
    except Exception:  # noqa: BLE001 - as above: a file that fails to decode is not a photo
        raise ServiceError(NOT_A_PHOTO, field) from None
    return CleanImage(data=out.getvalue(), width=out_img.width, height=out_img.height)


def _to_rgb(img: Image.Image) -> Image.Image:
    """RGB, transparent parts on white (a screenshot's transparency would turn black)."""
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return img.convert("RGB")
