"""Formats decoded at full size whatever the photo's size get pixel limits from their measured
cost (`inference.decode.FULL_SIZE_FORMATS`), so one decode fits the shared decode budget."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from inference import PhotoError, decode_photo
from inference.decode import (
    DECODE_BUDGET_BYTES,
    FULL_SIZE_FORMATS,
    HEIC_MAX_BYTES,
    ONE_DECODE_MAX_BYTES,
)
from inference.errors import PREFIX

LIMIT = 40_000_000
OVER_WEBP = (2000, 1700)
"""3.4 megapixels: over WebP's limit, well under the configured one."""


def flat(size: tuple[int, int], fmt: str, mode: str = "RGB") -> bytes:
    """A one-colour photo: quick to encode at any size."""
    buffer = io.BytesIO()
    params = {"quality": 1, "method": 0} if fmt == "WEBP" else {}
    Image.new(mode, size, (200, 150, 120, 255)[: len(mode)]).save(buffer, fmt, **params)
    return buffer.getvalue()


def test_a_webp_over_its_limit_is_refused_naming_the_limit() -> None:
    with pytest.raises(PhotoError) as caught:
        decode_photo(flat(OVER_WEBP, "WEBP"), LIMIT)
    error = caught.value
    assert error.reason == "too_large"
    assert error.user_message.startswith(PREFIX + ": ")
    assert "2000x1700" in error.user_message
    assert "3.1 megapixels for WebP photos" in error.user_message
    assert "send it as a JPEG" in error.user_message


def test_a_webp_under_its_limit_and_a_jpeg_over_it_are_decoded() -> None:
    under = decode_photo(flat((1700, 1700), "WEBP"), LIMIT)
    assert (under.width, under.height) == (1700, 1700)
    jpeg = decode_photo(flat((8000, 5000), "JPEG"), LIMIT)
    assert (jpeg.width, jpeg.height) == (8000, 5000), "drafted: no format limit"


def test_a_png_limit_depends_on_its_bands() -> None:
    """An RGBA PNG costs more a pixel than an RGB one, so its limit is lower."""
    rgb = decode_photo(flat((3840, 2160), "PNG"), LIMIT)
    assert (rgb.width, rgb.height) == (3840, 2160), "a 4K screenshot"
    with pytest.raises(PhotoError) as caught:
        decode_photo(flat((3840, 2160), "PNG", "RGBA"), LIMIT)
    assert "6.2 megapixels for PNG photos" in caught.value.user_message


def test_the_configured_limit_still_wins_when_lower() -> None:
    with pytest.raises(PhotoError) as caught:
        decode_photo(flat((2000, 2000), "PNG"), 1_000_000)
    assert "limit of 1 megapixels." in caught.value.user_message


@pytest.mark.parametrize("fmt", sorted(FULL_SIZE_FORMATS))
def test_every_photo_at_its_limit_fits_one_decode(fmt: str) -> None:
    """Only HEIC may go over the shared budget (a phone's 12-megapixel photo must be scored)."""
    cost = FULL_SIZE_FORMATS[fmt]
    for bands in (1, 3, 4):
        assert cost.max_pixels(bands) * cost.bytes_per_pixel(bands) <= cost.max_bytes
    assert ONE_DECODE_MAX_BYTES <= DECODE_BUDGET_BYTES
    allowed = HEIC_MAX_BYTES if fmt == "HEIF" else ONE_DECODE_MAX_BYTES
    assert cost.max_bytes == allowed
    if fmt == "HEIF":
        assert cost.max_pixels(3) >= 4032 * 3024
