"""The photo side of the page: check an upload, and make the copy the browser shows.

Photos never touch the disk, so the page shows them as `data:` URLs: a downscaled JPEG of the
upload, decoded by the analyzer's own decoder (same limits, same EXIF orientation), so the face
boxes, which are in the analyzer's full-size upright pixel coordinates, line up when drawn over
it in an SVG whose viewBox is that full size. Browsers cannot show HEIC, one more reason to
re-encode. Decoding here first also tells the page *why* a file is refused (with its HTTP
status) before the game records the attempt.
"""

from __future__ import annotations

import base64
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
    """What the page draws: `width`/`height` are the upright full-size pixel dimensions."""

    data_url: str
    width: int
    height: int


def display_copy(data: bytes, max_pixels: int, max_side: int = DISPLAY_MAX_SIDE) -> DisplayPhoto:
    """An upright JPEG of at most `max_side` pixels a side, as a data URL.

    Raises `Problem` (400, 413 or 415) for anything the analyzer would refuse.
    """
    try:
        decoded = decode_photo(data, max_pixels, draft_min_side=max_side // 2)
    except PhotoError as error:
        raise photo_problem(error) from error
    image = decoded.image.copy()
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return DisplayPhoto(image_data_url(image), decoded.width, decoded.height)


def image_data_url(image: Image.Image, quality: int = 85) -> str:
    """A JPEG data URL of `image`."""
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return bytes_data_url(buffer.getvalue(), "image/jpeg")


def bytes_data_url(data: bytes, mime_type: str) -> str:
    """A data URL of already-encoded bytes (the core's PNG cards and edited photos)."""
    return f"data:{mime_type};base64,{base64.b64encode(data).decode('ascii')}"
