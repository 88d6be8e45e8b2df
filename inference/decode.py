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
"""

from __future__ import annotations

import io
import logging
import threading
from dataclasses import dataclass

import numpy as np
from PIL import (
    GifImagePlugin,
    Image,
    ImageOps,
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

_heif_lock = threading.Lock()
_heif_registered = False


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
    if max(width, height) > MAX_ASPECT_RATIO * min(width, height):
        raise PhotoError(
            "bad_shape",
            f"it is {width}x{height} pixels, too long and thin for a photo of a face "
            f"(at most {MAX_ASPECT_RATIO:g} times longer than wide).",
        )
    if (
        draft_min_side
        and image.format in ("JPEG", "MPO")
        and min(width, height) >= 2 * draft_min_side
    ):
        # draft() picks the largest DCT scaling that keeps both sides >= the requested size.
        image.draft("RGB", (draft_min_side, draft_min_side))
    image.load()
    try:
        upright = ImageOps.exif_transpose(image)
    except Exception:
        # A photo with unreadable EXIF is still a photo: keep it as stored.
        log.debug("EXIF orientation unreadable; using the stored orientation", exc_info=True)
        upright = image
    if upright.size != image.size:
        width, height = height, width
    return DecodedPhoto(to_rgb(upright), width, height)


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
