"""Photo decoding: every accepted format, every conversion, and every way a file can be bad."""

from __future__ import annotations

import io
import random
import struct
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inference import Analysis, Analyzer, PhotoError, decode_photo
from inference.decode import DRAFT_MIN_SIDE, to_rgb
from inference.errors import PREFIX
from models.registry import emotion_model
from tests.models.models_kit import tiny_popularity_model
from tests.paths import TEST_DATA

LIMIT = 40_000_000


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def halves(size: tuple[int, int] = (40, 20)) -> Image.Image:
    """Left half red, right half blue: shows both colour and orientation."""
    image = Image.new("RGB", size, (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, size[0] // 2, size[1]))
    return image


def pixel(data: bytes, xy: tuple[int, int]) -> tuple[int, ...]:
    return decode_photo(data, LIMIT).image.getpixel(xy)


def close(actual: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 12) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF"])
def test_common_formats_decode_to_rgb(fmt: str) -> None:
    decoded = decode_photo(encode(halves(), fmt), LIMIT)
    assert decoded.image.mode == "RGB"
    assert (decoded.width, decoded.height) == (40, 20)
    assert decoded.scale == 1.0
    assert close(decoded.image.getpixel((5, 10)), (255, 0, 0), 40)
    assert close(decoded.image.getpixel((35, 10)), (0, 0, 255), 40)


def test_heic_written_with_pillow_heif() -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    if not pillow_heif.libheif_info().get("HEIF"):
        pytest.skip("this pillow-heif build has no HEVC encoder to write a test HEIC")
    buffer = io.BytesIO()
    pillow_heif.from_pillow(halves((64, 32))).save(buffer, quality=95)
    assert buffer.getvalue()[4:12] == b"ftypheic"
    decoded = decode_photo(buffer.getvalue(), LIMIT)
    assert (decoded.width, decoded.height) == (64, 32)
    assert close(decoded.image.getpixel((8, 16)), (255, 0, 0), 40)
    assert close(decoded.image.getpixel((56, 16)), (0, 0, 255), 40)


def test_gif_uses_the_first_frame() -> None:
    red, green = Image.new("RGB", (16, 16), (255, 0, 0)), Image.new("RGB", (16, 16), (0, 255, 0))
    buffer = io.BytesIO()
    red.save(buffer, format="GIF", save_all=True, append_images=[green], duration=100)
    assert pixel(buffer.getvalue(), (8, 8)) == (255, 0, 0)


def test_palette_gif_and_transparent_palette_png() -> None:
    palette = halves().convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    assert close(pixel(encode(palette, "GIF"), (5, 10)), (255, 0, 0), 2)
    transparent = Image.new("P", (8, 8), 0)
    transparent.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    transparent.paste(1, (0, 0, 4, 8))
    data = encode(transparent, "PNG", transparency=0)
    assert pixel(data, (1, 1)) == (255, 0, 0)
    assert pixel(data, (6, 1)) == (255, 255, 255)


def test_alpha_is_composited_on_white() -> None:
    image = Image.new("RGBA", (8, 8), (0, 0, 0, 0))
    image.paste((0, 0, 0, 128), (4, 0, 8, 8))
    data = encode(image, "PNG")
    assert pixel(data, (1, 1)) == (255, 255, 255)
    assert close(pixel(data, (6, 1)), (127, 127, 127), 2)
    grey_alpha = Image.new("LA", (4, 4), (0, 0))
    assert pixel(encode(grey_alpha, "PNG"), (0, 0)) == (255, 255, 255)


def test_cmyk_jpeg_becomes_rgb() -> None:
    cmyk = Image.new("CMYK", (16, 16), (0, 255, 255, 0))
    decoded = decode_photo(encode(cmyk, "JPEG", quality=95), LIMIT)
    assert decoded.image.mode == "RGB"
    assert close(decoded.image.getpixel((8, 8)), (255, 0, 0), 20)


def test_sixteen_bit_grey_png_is_scaled_not_clipped() -> None:
    levels = np.array([[0, 32768, 65535]], dtype=np.uint16).repeat(3, axis=0)
    data = encode(Image.fromarray(levels), "PNG")
    assert Image.open(io.BytesIO(data)).mode.startswith("I")
    decoded = decode_photo(data, LIMIT).image
    assert [decoded.getpixel((x, 1))[0] for x in range(3)] == [0, 128, 255]


def test_sixteen_bit_rgb_png() -> None:
    header = struct.pack(">IIBBBBB", 2, 1, 16, 2, 0, 0, 0)
    row = b"\x00" + struct.pack(">6H", 65535, 0, 0, 0, 0, 65535)
    data = _png([(b"IHDR", header), (b"IDAT", zlib.compress(row)), (b"IEND", b"")])
    decoded = decode_photo(data, LIMIT).image
    assert decoded.getpixel((0, 0)) == (255, 0, 0)
    assert decoded.getpixel((1, 0)) == (0, 0, 255)


def test_greyscale_and_bilevel_become_rgb() -> None:
    assert pixel(encode(Image.new("L", (4, 4), 200), "PNG"), (0, 0)) == (200, 200, 200)
    assert pixel(encode(Image.new("1", (4, 4), 1), "PNG"), (0, 0)) == (255, 255, 255)
    assert close(pixel(encode(Image.new("L", (8, 8), 90), "JPEG"), (0, 0)), (90, 90, 90), 2)


def test_exif_orientation_is_applied() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: rotate 90 degrees clockwise to display
    decoded = decode_photo(encode(halves(), "JPEG", exif=exif, quality=95), LIMIT)
    assert (decoded.width, decoded.height) == (20, 40)
    assert decoded.image.size == (20, 40)
    assert close(decoded.image.getpixel((10, 5)), (255, 0, 0), 40)
    assert close(decoded.image.getpixel((10, 35)), (0, 0, 255), 40)


def test_large_jpeg_is_draft_decoded_but_reports_its_real_size() -> None:
    side = 4 * DRAFT_MIN_SIDE
    decoded = decode_photo(encode(halves((side * 2, side)), "JPEG"), LIMIT)
    assert (decoded.width, decoded.height) == (side * 2, side)
    assert min(decoded.image.size) >= DRAFT_MIN_SIDE
    assert decoded.image.width < decoded.width
    assert decoded.scale == decoded.width / decoded.image.width


def test_small_jpeg_is_decoded_in_full() -> None:
    decoded = decode_photo(encode(halves((306, 306)), "JPEG"), LIMIT)
    assert decoded.image.size == (306, 306)
    full = decode_photo(encode(halves((306, 306)), "JPEG"), LIMIT, draft_min_side=None)
    assert np.array_equal(np.asarray(decoded.image), np.asarray(full.image))


def _png(chunks: list[tuple[bytes, bytes]]) -> bytes:
    body = b"".join(
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        for kind, data in chunks
    )
    return b"\x89PNG\r\n\x1a\n" + body


def _png_header_only(width: int, height: int) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return _png([(b"IHDR", header), (b"IEND", b"")])


def _bad(data: bytes, **kwargs: object) -> PhotoError:
    with pytest.raises(PhotoError) as caught:
        decode_photo(data, kwargs.pop("max_pixels", LIMIT), **kwargs)  # type: ignore[arg-type]
    assert caught.value.user_message.startswith(PREFIX + ": ")
    assert str(caught.value) == caught.value.user_message
    return caught.value


def test_decompression_bomb_headers_are_refused_before_decoding() -> None:
    assert _bad(_png_header_only(100_000, 100_000)).reason == "too_large"
    over_setting = _bad(_png_header_only(8_000, 6_000), max_pixels=40_000_000)
    assert over_setting.reason == "too_large"
    assert "8000x6000" in over_setting.user_message


def test_configurable_pixel_and_byte_limits() -> None:
    data = encode(halves((100, 100)), "PNG")
    assert _bad(data, max_pixels=9_999).reason == "too_large"
    assert decode_photo(data, 10_000).width == 100
    assert _bad(data, max_bytes=len(data) - 1).reason == "too_large"


def test_empty_random_text_truncated_and_corrupt_bytes() -> None:
    assert _bad(b"").reason == "empty"
    rng = np.random.default_rng(7)
    assert _bad(rng.integers(0, 256, 4096, dtype=np.uint8).tobytes()).reason == "not_an_image"
    assert _bad(b"%PDF-1.4 not a photo at all").reason == "not_an_image"
    jpeg = encode(Image.effect_noise((256, 256), 60).convert("RGB"), "JPEG")
    assert _bad(jpeg[: len(jpeg) // 2]).reason == "damaged"
    corrupt = bytearray(encode(halves(), "PNG"))
    corrupt[45:60] = b"\xff" * 15  # inside the compressed pixel data
    assert _bad(bytes(corrupt)).reason == "damaged"
    assert _bad(b"\xff\xd8\xff\xe0" + b"\x00" * 30).reason in {"damaged", "not_an_image"}


def test_fake_heif_header_is_a_clean_error() -> None:
    fake = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64
    assert _bad(fake).reason in {"damaged", "not_an_image"}


def test_to_rgb_keeps_rgb_images_as_they_are() -> None:
    image = halves()
    assert to_rgb(image) is image


def test_unreadable_exif_keeps_the_photo(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(image: Image.Image) -> Image.Exif:
        raise SyntaxError("not a TIFF IFD")

    monkeypatch.setattr(Image.Image, "getexif", broken)
    decoded = decode_photo(encode(halves(), "JPEG"), LIMIT)
    assert (decoded.width, decoded.height) == (40, 20)


def test_pillow_bomb_warning_is_too_large_even_when_warnings_are_errors() -> None:
    """Above Pillow's own `MAX_IMAGE_PIXELS` (about 89 MP) `Image.open` warns before our check
    runs; where warnings are errors that warning is the exception, and it still means too big,
    not damaged."""
    header = _png_header_only(10_000, 9_000)
    assert Image.MAX_IMAGE_PIXELS < 10_000 * 9_000
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _bad(header).reason == "too_large"


def test_pixel_limit_does_not_depend_on_pillows_global(monkeypatch: pytest.MonkeyPatch) -> None:
    """Another module switching Pillow's guard off must not switch ours off, and decoding must
    not change that global for the rest of the process."""
    before = Image.MAX_IMAGE_PIXELS
    decode_photo(encode(halves(), "PNG"), LIMIT)
    _bad(_png_header_only(100_000, 100_000))
    assert before == Image.MAX_IMAGE_PIXELS
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    bomb = _bad(_png_header_only(100_000, 100_000))
    assert bomb.reason == "too_large" and "100000x100000" in bomb.user_message


def _fuzz_seeds() -> dict[str, bytes]:
    """One small photo per accepted format (HEIC where this pillow-heif can write it)."""
    rng = np.random.default_rng(11)
    photo = Image.fromarray(rng.integers(0, 256, (24, 32, 3), dtype=np.uint8))
    seeds = {
        "jpeg": encode(photo, "JPEG"),
        "progressive-jpeg": encode(photo, "JPEG", progressive=True),
        "png": encode(photo, "PNG"),
        "palette-png": encode(photo.convert("P"), "PNG"),
        "gif": encode(photo.convert("P"), "GIF"),
        "webp": encode(photo, "WEBP"),
        "lossless-webp": encode(photo, "WEBP", lossless=True),
    }
    try:
        import pillow_heif

        buffer = io.BytesIO()
        pillow_heif.from_pillow(photo).save(buffer, quality=80)
        seeds["heic"] = buffer.getvalue()
    except Exception:  # no HEVC encoder in this build: the other formats still run
        pass
    return seeds


def _mutants(data: bytes, rng: random.Random, count: int) -> list[bytes]:
    """Truncations, flipped bytes (anywhere and in the header, where sizes and lengths live),
    inserted junk and cut-out runs: the ways uploads arrive broken or hostile."""
    out = []
    for n in range(count):
        mutant = bytearray(data)
        kind = n % 5
        if kind == 0:
            mutant = mutant[: rng.randrange(1, len(mutant))]
        elif kind == 1:
            for _ in range(rng.randint(1, 8)):
                mutant[rng.randrange(len(mutant))] = rng.randrange(256)
        elif kind == 2:
            for _ in range(rng.randint(1, 4)):
                mutant[rng.randrange(min(48, len(mutant)))] = rng.choice([0, 0x7F, 0xFF])
        elif kind == 3:
            at = rng.randrange(len(mutant))
            mutant[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
        else:
            at = rng.randrange(len(mutant))
            del mutant[at : at + rng.randint(1, 200)]
        out.append(bytes(mutant))
    return out


@pytest.mark.timeout(120)
def test_mutated_photos_decode_or_raise_photo_error_only() -> None:
    """Whatever the decoders throw on broken bytes (OSError, SyntaxError, struct.error,
    ValueError, EOFError, MemoryError...), the caller sees a PhotoError or a usable photo."""
    rng = random.Random(2026)
    outcomes: dict[str, set[str]] = {}
    for name, data in _fuzz_seeds().items():
        for mutant in _mutants(data, rng, 15):
            try:
                decoded = decode_photo(mutant, LIMIT, max_bytes=1 << 20)
            except PhotoError as error:
                assert error.user_message.startswith(PREFIX + ": ")
                outcomes.setdefault(name, set()).add(error.reason)
            else:
                assert decoded.image.mode == "RGB" and decoded.width >= 1
                outcomes.setdefault(name, set()).add("decoded")
    assert all(reasons & {"damaged", "not_an_image"} for reasons in outcomes.values()), outcomes


@pytest.fixture(scope="module")
def tiny_analyzer(tmp_path_factory: pytest.TempPathFactory) -> Analyzer:
    model = tiny_popularity_model(Path(tmp_path_factory.mktemp("tiny-model")))
    with Analyzer(model, emotion_model(), workers=1) as analyzer:
        yield analyzer


@pytest.mark.timeout(120)
def test_analyzer_survives_odd_shapes_and_mutated_photos(tiny_analyzer: Analyzer) -> None:
    """Bytes that decode are not yet safe: slivers and broken-but-readable photos go on to the
    face detector, the crops and the resizes. Each gives an Analysis or a PhotoError."""
    slivers = [(1, 1), (1, 2), (2, 1), (1, 3000), (3000, 1), (5, 4000), (4000, 5), (3, 3)]
    photos = [encode(Image.new("RGB", size, (128, 90, 60)), "PNG") for size in slivers]
    astronaut = (TEST_DATA / "astronaut.jpg").read_bytes()
    photos += _mutants(astronaut, random.Random(5), 20)
    for photo in photos:
        try:
            assert isinstance(tiny_analyzer.analyze(photo), Analysis)
        except PhotoError as error:
            assert error.user_message.startswith(PREFIX + ": ")
