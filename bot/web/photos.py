"""The photo side of the page: why an upload is refused, and how big the copy it shows is.

Photos never touch the disk: the page shows a downscaled JPEG of the upload (`Game.preview`),
kept in memory with the result (`bot.web.results`) and served once at its own URL. The core
decodes it with the analyzer's own decoder (same limits, same EXIF orientation), so the face
boxes, which are in the analyzer's full-size upright pixel coordinates, line up when drawn over
it in an SVG whose viewBox is that full size. Browsers cannot show HEIC, one more reason to
re-encode. Decoding it first also tells the page *why* a file is refused (with its HTTP
status) before the game records the attempt. The JSON API's refusals are the same.
"""

from __future__ import annotations

from bot.core.flows.unrecorded import PhotoRefused
from bot.web.problems import Problem

DISPLAY_MAX_SIDE = 1280
_PROBLEM_FOR_REASON = {
    "empty": "bad-photo",
    "damaged": "bad-photo",
    "not_an_image": "unsupported-type",
    "too_large": "photo-too-large",
}


def refusal_problem(refused: PhotoRefused) -> Problem:
    """The HTTP problem for a refused photo: 415 not an image, 413 too big, else 400."""
    return Problem(_PROBLEM_FOR_REASON.get(refused.reason, "bad-photo"), refused.message)
