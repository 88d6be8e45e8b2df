"""The photo side of the page: check an upload, and make the copy the browser shows.

Photos never touch the disk: the page shows a downscaled JPEG of the upload, kept in memory
with the result (`bot.web.results`) and served once at its own URL. It is decoded by the
analyzer's own decoder (same limits, same EXIF orientation), so the face boxes, which are in the
analyzer's full-size upright pixel coordinates, line up when drawn over it in an SVG whose
viewBox is that full size. Browsers cannot show HEIC, one more reason to
re-encode. Decoding here first also tells the page *why* a file is refused (with its HTTP
status) before the game records the attempt.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image

from bot.web.problems import Problem
from inference import PhotoError, decode_photo

DISPLAY_MAX_SIDE = 1280
_PROBLEM_FOR_REASON = {
    "empty": "bad-photo",
    "damaged": "bad-photo",
    "not_an_image": "unsupported-type",
    "too_large": "photo-too-large",
}


def photo_problem(error: PhotoError) -> Problem:
    """The HTTP problem for a refused photo: 415 not an image, 413 too big, else 400."""
    return Problem(_PROBLEM_FOR_REASON.get(error.reason, "bad-photo"), error.user_message)


@dataclass(frozen=True)
class DisplayPhoto:
    """What the page draws: `jpeg` is the display copy; `width`/`height` are the upright
    full-size pixel dimensions (the face boxes' coordinate space)."""

    jpeg: bytes
    width: int
    height: int


def display_copy(data: bytes, max_pixels: int, max_side: int = DISPLAY_MAX_SIDE) -> DisplayPhoto:
    """An upright JPEG of at most `max_side` pixels a side.

    Raises `Problem` (400, 413 or 415) for anything the analyzer would refuse.
    """
    try:
        decoded = decode_photo(data, max_pixels, draft_min_side=max_side // 2)
    except PhotoError as error:
        raise photo_problem(error) from error
    image = decoded.image.copy()
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return DisplayPhoto(jpeg_bytes(image), decoded.width, decoded.height)


def jpeg_bytes(image: Image.Image, quality: int = 82) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=quality, optimize=True)
    return buffer.getvalue()
