"""Formats decoded at full size whatever the photo's size get lower pixel limits
(`inference.decode.FORMAT_LIMITS`), so one decode stays under `ONE_DECODE_MAX_BYTES`."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from inference import PhotoError, decode_photo
from inference.decode import FORMAT_LIMITS, ONE_DECODE_MAX_BYTES, WEBP_COST_FACTOR
from inference.errors import PREFIX

LIMIT = 40_000_000
OVER_WEBP = (4100, 4000)
"""16.4 megapixels: over WebP's limit, well under the configured one."""


def flat(size: tuple[int, int], fmt: str) -> bytes:
    """A one-colour photo: quick to encode at any size."""
    buffer = io.BytesIO()
    params = {"quality": 1, "method": 0} if fmt == "WEBP" else {}
    Image.new("RGB", size, (200, 150, 120)).save(buffer, fmt, **params)
    return buffer.getvalue()


def test_a_webp_over_its_limit_is_refused_naming_the_limit() -> None:
    with pytest.raises(PhotoError) as caught:
        decode_photo(flat(OVER_WEBP, "WEBP"), LIMIT)
    error = caught.value
    assert error.reason == "too_large"
    assert error.user_message.startswith(PREFIX + ": ")
    assert "4100x4000" in error.user_message
    assert "16 megapixels for WebP photos" in error.user_message


def test_a_webp_at_its_limit_and_other_formats_over_it_are_decoded() -> None:
    at_limit = decode_photo(flat((4000, 4000), "WEBP"), LIMIT)
    assert (at_limit.width, at_limit.height) == (4000, 4000)
    png = decode_photo(flat(OVER_WEBP, "PNG"), LIMIT)
    assert (png.width, png.height) == OVER_WEBP


def test_the_configured_limit_still_wins_when_lower() -> None:
    with pytest.raises(PhotoError) as caught:
        decode_photo(flat((4000, 4000), "WEBP"), 10_000_000)
    assert "limit of 10 megapixels." in caught.value.user_message


def test_a_webp_at_its_limit_fits_one_decode() -> None:
    webp = FORMAT_LIMITS["WEBP"]
    assert webp.max_pixels * 3 * WEBP_COST_FACTOR <= ONE_DECODE_MAX_BYTES
