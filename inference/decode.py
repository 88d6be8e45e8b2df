"""Photo bytes -> one upright RGB image, or a `PhotoError` a user can read.

Accepted: JPEG (incl. phones' multi-picture MPO), PNG, WebP, GIF (first frame), HEIC/HEIF
(pillow-heif, loaded only when a file looks like one, to keep start-up light). EXIF orientation
is applied; CMYK, palette, grey, 16-bit and transparent photos become plain RGB (transparency
composited on white, which is how chat apps show such images).

Size is checked from the header before any pixel is decoded, so a decompression bomb costs
nothing. Pillow's process-wide `Image.MAX_IMAGE_PIXELS` is left alone (it guards every other
`Image.open` in the process too); the configured limit is enforced here even if that global
is raised or switched off, and a photo Pillow's guard refuses first (it warns above the global
and refuses above twice it, before our check runs) gets the same `too_large` answer.

Large JPEGs are decoded in draft mode (the decoder's own 1/2, 1/4, 1/8 DCT scaling), keeping
the shorter side at least `DRAFT_MIN_SIDE` pixels: measured on the 30 dev selfies upscaled to
1280x960 and 4032x3024, the popularity probability then moves by at most 0.0022 (0.2 score
points) against a full decode, while decoding is ~5x faster. Photos whose shorter side is
under 2 x `DRAFT_MIN_SIDE` (such as the 306x306 dev selfies) are always decoded fully, so their
results match the seed's reference outputs exactly.

Other formats have no draft mode, so a large PNG, WebP, GIF or HEIC is reduced as soon as it is
decoded, band by band (`Image.reduce`, a box average by the same kind of whole factor), and only
the reduced RGB copy goes on: a 40-megapixel PNG used to cost 420 MB at its peak (the RGB
conversion, the EXIF transpose and the analyzer's array were each full-size copies), an RGBA one
900 MB. The decoded pixels of every photo in flight share one budget (`DECODE_BUDGET_BYTES`),
and these formats have pixel limits that keep one decode inside it (`FULL_SIZE_FORMATS`; HEIC
alone may go over it, and then waits to be decoded alone), which bounds the process's memory
whatever the load (`benchmarks/bench_web_load.py`).
"""

from __future__ import annotations

import io
import logging
import math
import threading
from dataclasses import dataclass

import numpy as np
from PIL import (
    ExifTags,
    GifImagePlugin,
    Image,
    JpegImagePlugin,
    MpoImagePlugin,
    PngImagePlugin,
    UnidentifiedImageError,
    WebPImagePlugin,
)

from inference.errors import PhotoError
from inference.units import megabytes

log = logging.getLogger(__name__)

# Openers Pillow may use. Phones' multi-picture JPEGs come back from the JPEG opener as "MPO".
ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "HEIF")
# Imported explicitly: Pillow's lazy start-up does not always register them all (MPO, WebP).
_PLUGINS = (GifImagePlugin, JpegImagePlugin, MpoImagePlugin, PngImagePlugin, WebPImagePlugin)
DRAFT_MIN_SIDE = 384
REDUCE_BAND_ROWS = 64
"""Rows of reduced output made per band: a band's full-size RGB copy stays a few MB."""
DECODE_BUDGET_BYTES = 48 * 1024 * 1024
"""What decoding the photos in flight may take at once, across threads (`_decoded_bytes`, at
the size actually decoded, after draft): an 8-megapixel RGB PNG (a 4K screenshot), or two
4-megapixel ones. A drafted 12-megapixel JPEG needs ~3 MB, a 4-megapixel PNG 24 MB; a photo over
the budget (only a HEIC, such as a phone's 12-megapixel photo) waits until it can be decoded
alone. It was 72 MB: 48 lowered the web process' peak RSS under `benchmarks/bench_web_load.py`'s
fuzzed uploads by ~18 MB (302 -> 283-285 MB), the worst decode landing on the settled heap;
keeping the formats' limits at 72 MB, their largest photos decoded alone, gave 287-291 MB."""
ONE_DECODE_MAX_BYTES = DECODE_BUDGET_BYTES
"""What decoding one photo may take, for the formats decoded at full size whatever the photo's
size (no draft mode): their pixel limits follow from it and from their cost a pixel, so every
photo fits the budget and the process's memory stays bounded (`benchmarks/bench_web_load.py`:
a 16-megapixel WebP used to take 245 MB alone)."""


@dataclass(frozen=True)
class FormatCost:
    """What a format decoded at full size takes: `per_pixel` bytes a pixel, plus `per_band`
    bytes a pixel for each band of its mode (measured peaks, Pillow 11, decode to reduced RGB);
    `max_bytes` is its allowance for one decode."""

    name: str
    per_pixel: float = 0.0
    per_band: float = 0.0
    max_bytes: int = ONE_DECODE_MAX_BYTES

    def bytes_per_pixel(self, bands: int) -> float:
        return self.per_pixel + self.per_band * bands

    def max_pixels(self, bands: int) -> int:
        return int(self.max_bytes / self.bytes_per_pixel(bands))


HEIC_MAX_BYTES = 100 * 1024 * 1024
"""HEIC's own allowance, over the budget: a phone's 12-megapixel HEIC (4032x3024, 7.5 bytes a
pixel measured: 92 MB) must be scored; it is decoded alone."""
FULL_SIZE_FORMATS: dict[str, FormatCost] = {
    "WEBP": FormatCost("WebP", per_pixel=16),
    "PNG": FormatCost("PNG", per_band=2),
    "GIF": FormatCost("GIF", per_pixel=3),
    "HEIF": FormatCost("HEIC", per_pixel=8, max_bytes=HEIC_MAX_BYTES),
}
"""Formats without draft mode, by Pillow format. Measured peaks of one decode: WebP ~15.3 bytes
a pixel (libwebp's animation decoder, which Pillow uses: its RGBA canvas, a copy of the frame
and the image), so at most 3.1 megapixels; PNG ~5 (RGB) and ~7.5 (RGBA: the decoder's buffers
and the image), 8.3 and 6.2 megapixels; GIF ~2.4 (a palette), 16.7 megapixels; HEIC ~7.5, 13
megapixels. A bigger photo of these formats is refused as too large with a message naming its
limit and suggesting a JPEG, which is decoded in draft mode and stays cheap up to the
configured limit."""
MAX_ASPECT_RATIO = 4.0
"""Longest side over shortest: every camera photo (4:3, 3:2, 16:9) and every phone screenshot
(up to about 21:9 = 2.3) passes with room to spare. Past 4:1 the popularity CNN, which squeezes
the whole photo into its square input without cropping, would see a face squashed to a quarter
of its width, and a 65500x1 strip is not a photo of anyone: such files are refused from their
header with a reason instead of being scored as if the number meant something."""
# ISO-BMFF brands of HEIC/HEIF stills (iPhone photos are `heic`; `mif1` is the generic one).
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
WHITE = (255, 255, 255)
KNOWN_KINDS = "JPEG, PNG, WebP, GIF or HEIC"
_TRANSPOSITIONS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
"""EXIF orientation -> the transposition that turns the photo upright (as exif_transpose)."""
_TRANSPOSING = 5
"""Orientations from 5 on swap width and height."""

_heif_lock = threading.Lock()
_heif_registered = False


class DecodeBudget:
    """A weighted semaphore over decoded bytes, shared by every thread that decodes photos.

    `hold(cost)` waits until `cost` fits beside what is already held, or nothing is held (so a
    photo larger than the whole budget still gets decoded, alone)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._held = 0
        self._changed = threading.Condition()

    @property
    def held(self) -> int:
        return self._held

    def acquire(self, cost: int) -> None:
        with self._changed:
            self._changed.wait_for(lambda: self._held == 0 or self._held + cost <= self.capacity)
            self._held += cost

    def release(self, cost: int) -> None:
        with self._changed:
            self._held -= cost
            self._changed.notify_all()


DECODE_BUDGET = DecodeBudget(DECODE_BUDGET_BYTES)


@dataclass(frozen=True)
class DecodedPhoto:
    """An upright RGB image plus the size of the photo it came from.

    `image` may be smaller than the photo (draft decoding); `scale` maps its pixels back.
    """

    image: Image.Image
    width: int
    height: int

    @property
    def scale(self) -> float:
        return self.width / self.image.width


def decode_photo(
    data: bytes,
    max_pixels: int,
    *,
    max_bytes: int | None = None,
    draft_min_side: int | None = DRAFT_MIN_SIDE,
) -> DecodedPhoto:
    """Decode `data`; every way it can fail becomes one `PhotoError`."""
    if not data:
        raise PhotoError("empty", "the file is empty.")
    if max_bytes is not None and len(data) > max_bytes:
        raise PhotoError(
            "too_large",
            f"it is {megabytes(len(data))} MB, over the {megabytes(max_bytes, limit=True)} MB "
            "limit.",
        )
    if _looks_like_heif(data):
        _register_heif()
    try:
        return _decode(data, max_pixels, draft_min_side)
    except PhotoError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow's own global guard (`Image.MAX_IMAGE_PIXELS`) runs inside `Image.open`,
        # before our limit: the error above 2x it, a warning above 1x, which becomes an
        # exception wherever warnings are errors (`-W error`). Either way it is a photo too big.
        raise PhotoError("too_large", "it has far too many pixels.") from exc
    except UnidentifiedImageError as exc:
        raise PhotoError("not_an_image", f"it is not an image ({KNOWN_KINDS}).") from exc
    except Exception as exc:
        # Image decoders raise OSError, SyntaxError, ValueError, EOFError, struct.error and more
        # on hostile input; whatever the library throws, the user gets one clear answer and the
        # bot keeps running.
        log.debug("photo failed to decode", exc_info=True)
        raise PhotoError("damaged", "it looks damaged or cut off.") from exc


def to_rgb(image: Image.Image) -> Image.Image:
    """Plain 8-bit RGB from any mode Pillow opens; transparency is composited on white."""
    if image.mode == "RGB":
        return image
    if image.mode.startswith("I") or image.mode == "F":
        image = _eight_bit(image)
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (*WHITE, 255))
        return Image.alpha_composite(canvas, rgba).convert("RGB")
    return image.convert("RGB")


def _decode(data: bytes, max_pixels: int, draft_min_side: int | None) -> DecodedPhoto:
    # HEIF's opener exists only once pillow-heif is registered (for files that look like HEIF).
    formats = [name for name in ALLOWED_FORMATS if name in Image.OPEN]
    image = Image.open(io.BytesIO(data), formats=formats)
    width, height = image.size
    if width < 1 or height < 1:
        raise PhotoError("damaged", "it has no pixels.")
    if width * height > max_pixels:
        raise PhotoError(
            "too_large",
            f"it is {width}x{height} pixels, over the limit of {max_pixels / 1e6:g} megapixels.",
        )
    full_size = FULL_SIZE_FORMATS.get(image.format or "")
    bands = len(image.getbands())
    if full_size is not None and width * height > full_size.max_pixels(bands):
        megapixels = math.floor(full_size.max_pixels(bands) / 1e5) / 10
        raise PhotoError(
            "too_large",
            f"it is a {width}x{height} pixel {full_size.name}, over the limit of "
            f"{megapixels:g} megapixels for {full_size.name} photos (send it as a JPEG, "
            "which may be larger).",
        )
    if max(width, height) > MAX_ASPECT_RATIO * min(width, height):
        raise PhotoError(
            "bad_shape",
            f"it is {width}x{height} pixels, too long and thin for a photo of a face "
            f"(at most {MAX_ASPECT_RATIO:g} times longer than wide).",
        )
    drafted = image.format in ("JPEG", "MPO")
    if draft_min_side and drafted and min(width, height) >= 2 * draft_min_side:
        # draft() picks the largest DCT scaling that keeps both sides >= the requested size.
        image.draft("RGB", (draft_min_side, draft_min_side))
    cost = _decoded_bytes(image)
    DECODE_BUDGET.acquire(cost)
    try:
        image.load()
        orientation = _orientation(image)
        factor = min(image.size) // draft_min_side if draft_min_side and not drafted else 1
        pixels = _reduced_rgb(image, factor) if factor >= 2 else to_rgb(image)
        if pixels is not image:
            image.close()  # frees the full-size pixels now, inside the budget
    finally:
        DECODE_BUDGET.release(cost)
    if orientation in _TRANSPOSITIONS:
        pixels = pixels.transpose(_TRANSPOSITIONS[orientation])
        if orientation >= _TRANSPOSING:
            width, height = height, width
    return DecodedPhoto(pixels, width, height)


def _decoded_bytes(image: Image.Image) -> int:
    """What decoding `image` at its (possibly drafted) size takes, RGB conversion included:
    its format's measured cost (`FULL_SIZE_FORMATS`), else an RGB image's."""
    bands = len(image.getbands())
    full_size = FULL_SIZE_FORMATS.get(image.format or "")
    per_pixel = full_size.bytes_per_pixel(bands) if full_size else max(bands, 3)
    return math.ceil(image.width * image.height * per_pixel)


def _orientation(image: Image.Image) -> int:
    """The EXIF orientation (1: as stored); a photo with unreadable EXIF is still a photo."""
    try:
        return int(image.getexif().get(ExifTags.Base.Orientation, 1))
    except Exception:
        log.debug("EXIF orientation unreadable; using the stored orientation", exc_info=True)
        return 1


def _reduced_rgb(image: Image.Image, factor: int) -> Image.Image:
    """RGB box-averaged by `factor`, made band by band so no full-size RGB copy exists: the
    bands are whole multiples of `factor` rows, so the result equals one `reduce` of it all."""
    width, height = image.size
    out = Image.new("RGB", (-(-width // factor), -(-height // factor)))
    step = REDUCE_BAND_ROWS * factor
    for top in range(0, height, step):
        band = to_rgb(image.crop((0, top, width, min(height, top + step))))
        out.paste(band.reduce(factor), (0, top // factor))
    return out


def _eight_bit(image: Image.Image) -> Image.Image:
    """16-bit (and 32-bit integer) grey images span 0..65535: scale, don't clip."""
    pixels = np.asarray(image, dtype=np.float64)
    if image.mode != "F":
        pixels = pixels / 257.0
    return Image.fromarray(np.clip(np.rint(pixels), 0, 255).astype(np.uint8), mode="L")


def _looks_like_heif(data: bytes) -> bool:
    return data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS


def _register_heif() -> None:
    global _heif_registered
    with _heif_lock:
        if not _heif_registered:
            from pillow_heif import register_heif_opener

            register_heif_opener()
            _heif_registered = True
