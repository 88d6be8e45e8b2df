"""Photos looked at outside a game turn: the JSON API's score, the page's display copy and its
result card drawn when asked for.

None of these records anything, so they claim no update and open no transaction; they go
through the core all the same (`Game.score_unrecorded`, `Game.preview`, `Game.result_card`)
so a front end never calls the analyzer or the decoder itself: the same limits and the same
refusals (`PhotoRefused`, with the analyzer's reason and sentence) as a photo sent in a chat.
The core's rate limit counts recorded photos of one sender in one chat; an unrecorded score has
neither, so front ends bound it themselves (the page's upload admission).
"""

from __future__ import annotations

import io
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from PIL import Image

from bot import metrics
from bot.core import render
from bot.core.context import Services
from bot.core.events import CardFormat, Handover
from bot.core.i18n import Translator
from inference import Analysis, PhotoError
from inference.decode import DecodedPhoto, decode_photo

DISPLAY_QUALITY = 82


class PhotoRefused(Exception):
    """A photo the analyzer refuses, in the core's words: `reason` is the analyzer's stable
    code (`empty`, `not_an_image`, `damaged`, `too_large`, `bad_shape`), `message` the sentence
    a chat would answer with."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message

    @classmethod
    def of(cls, error: PhotoError) -> PhotoRefused:
        return cls(error.reason, error.user_message)


@dataclass(frozen=True)
class Preview:
    """A photo as a page shows it: `jpeg` is an upright copy of at most the asked side;
    `width`/`height` are the upright full-size pixel dimensions, the coordinate space of the
    analysis' face boxes. `pixels` is the photo as the analyzer decodes it: handed on with the
    photo (`PhotoEvent.decoded`), it is not decoded a second time for the score."""

    jpeg: bytes
    width: int
    height: int
    pixels: Handover[DecodedPhoto]


async def score_unrecorded(svc: Services, photo: bytes) -> dict[str, Any]:
    """The photo's analysis as `Analysis.to_dict` gives it; raises `PhotoRefused`."""
    started = time.perf_counter()
    try:
        analysis = await svc.analyzer.analyze_async(photo)
    except PhotoError as error:
        raise PhotoRefused.of(error) from error
    metrics.analysis_took(time.perf_counter() - started)
    return analysis.to_dict()


def preview(photo: bytes, max_side: int, max_pixels: int, max_bytes: int | None) -> Preview:
    """An upright JPEG of at most `max_side` pixels a side, and the photo decoded as an analyzer
    with these limits decodes it (`Analyzer.decode`: JPEGs drafted to its own scale), which
    the display copy is made from where it is detailed enough (at least half `max_side` on the
    shorter side), else from a decode for display; raises `PhotoRefused`. Blocking: run it on
    a worker thread."""
    try:
        decoded = decode_photo(photo, max_pixels, max_bytes=max_bytes)
        image = decoded.image
        if min(image.size) < min(max_side // 2, decoded.width, decoded.height):
            draft = max_side // 2
            image = decode_photo(photo, max_pixels, max_bytes=max_bytes, draft_min_side=draft).image
    except PhotoError as error:
        raise PhotoRefused.of(error) from error
    if max(image.size) > max_side:
        image = image.copy()
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return Preview(_jpeg(image), decoded.width, decoded.height, Handover(decoded))


def result_card(
    picture: bytes,
    scored: Mapping[str, Any],
    display_name: str,
    t: Translator,
    fmt: CardFormat = CardFormat.JPEG,
) -> bytes:
    """The result card of a scored photo, drawn from `picture` (its display copy, upright) and
    the `data` of the core's scored reply: what a chat gets with its reply, for a front end
    that draws it only when someone asks for it. Blocking: run it on a worker thread."""
    with Image.open(io.BytesIO(picture)) as opened:
        image = opened.convert("RGB")
    return render.result_card(
        image,
        Analysis.from_record(scored["analysis"]),
        scored.get("rank"),
        scored.get("previous_rank"),
        scored.get("badges", ()),
        display_name,
        t,
        fmt,
    )


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=DISPLAY_QUALITY)
    return buffer.getvalue()
