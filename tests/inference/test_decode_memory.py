"""Large photos without a draft mode are reduced band by band as they are decoded, and the
decoded pixels of all photos in flight share one budget (`inference.decode`)."""

from __future__ import annotations

import io
import threading

import pytest
from PIL import Image

from inference import decode_photo
from inference.decode import DRAFT_MIN_SIDE, REDUCE_BAND_ROWS, DecodeBudget, _reduced_rgb

LIMIT = 40_000_000
SIZE = (2400, 1000)


def encoded(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def gradient(size: tuple[int, int] = SIZE) -> Image.Image:
    """A picture whose every region differs, so a misplaced band would show."""
    red = Image.linear_gradient("L").resize(size)
    green = red.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    blue = Image.linear_gradient("L").rotate(90).resize(size)
    return Image.merge("RGB", (red, green, blue))


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "GIF"])
def test_large_photo_without_draft_mode_is_reduced(fmt: str) -> None:
    decoded = decode_photo(encoded(gradient(), fmt), LIMIT)
    factor = min(SIZE) // DRAFT_MIN_SIDE
    assert (decoded.width, decoded.height) == SIZE, "the photo's own size is reported"
    assert decoded.image.mode == "RGB"
    assert decoded.image.size == (-(-SIZE[0] // factor), -(-SIZE[1] // factor))
    assert DRAFT_MIN_SIDE <= min(decoded.image.size) < 2 * DRAFT_MIN_SIDE
    assert decoded.scale == pytest.approx(factor, rel=0.01)


def test_full_resolution_when_asked_and_for_small_photos() -> None:
    full = decode_photo(encoded(gradient(), "PNG"), LIMIT, draft_min_side=None)
    assert full.image.size == SIZE
    small = decode_photo(encoded(gradient((700, 500)), "PNG"), LIMIT)
    assert small.image.size == (700, 500), "under twice the minimum side: decoded fully"


def test_banded_reduction_equals_one_reduce() -> None:
    image = gradient((1234, 3 * REDUCE_BAND_ROWS * 3 + 7))
    assert _reduced_rgb(image, 3).tobytes() == image.reduce(3).tobytes()


def test_transparent_and_palette_photos_reduce_to_rgb_on_white() -> None:
    clear = Image.new("RGBA", SIZE, (10, 20, 30, 0))
    decoded = decode_photo(encoded(clear, "PNG"), LIMIT)
    assert decoded.image.mode == "RGB" and decoded.image.getpixel((5, 5)) == (255, 255, 255)
    palette = gradient().convert("P")
    assert decode_photo(encoded(palette, "PNG"), LIMIT).image.mode == "RGB"


def test_exif_orientation_applies_to_the_reduced_copy() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to show
    buffer = io.BytesIO()
    gradient().save(buffer, "PNG", exif=exif)
    decoded = decode_photo(buffer.getvalue(), LIMIT)
    assert (decoded.width, decoded.height) == (SIZE[1], SIZE[0])
    assert decoded.image.width < decoded.image.height


def test_budget_makes_a_big_decode_wait_and_lets_an_oversized_one_run_alone() -> None:
    budget = DecodeBudget(100)
    budget.acquire(60)
    entered = threading.Event()

    def big() -> None:
        budget.acquire(50)
        entered.set()
        budget.release(50)

    waiting = threading.Thread(target=big)
    waiting.start()
    assert not entered.wait(0.2), "60 + 50 does not fit in 100"
    budget.release(60)
    waiting.join()
    assert entered.is_set() and budget.held == 0
    budget.acquire(500)  # over the whole budget: granted once nothing else is held
    assert budget.held == 500
    budget.release(500)
