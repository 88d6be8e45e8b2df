"""Photo edits the tips engine may try, and the one table that bounds how strong each may be.

Each edit takes an RGB image and returns a new one; none of them scores anything. They are the
sliders of an ordinary phone photo editor (exposure, brightness, contrast, saturation, warmth,
sharpness, crop) and `STRENGTHS` keeps every one of them within what such an app offers, because
the popularity CNN rewards over-done pictures that look worse to a person: the search reads the
strengths it tries from the table and the plausibility guard (`inference.plausibility`) refuses
anything outside it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from PIL import Image, ImageEnhance, ImageFilter


@dataclass(frozen=True)
class Strength:
    """The range an edit's strength may take (`neutral` changes nothing) and the strengths
    the search tries, mildest first."""

    neutral: float
    lowest: float
    highest: float
    tried: tuple[float, ...]

    def allows(self, value: float) -> bool:
        return self.lowest - 1e-9 <= value <= self.highest + 1e-9


STRENGTHS: Mapping[str, Strength] = MappingProxyType(
    {
        # Linear gain on every channel: x0.87..x1.15 is about -0.2..+0.2 EV.
        "exposure": Strength(1.0, 0.87, 1.15, (0.92, 1.08, 1.15)),
        # Mid-tones raised to the power 1/value (above 1 brightens); black and white stay put.
        "brightness": Strength(1.0, 0.83, 1.2, (0.89, 1.12)),
        # Pillow's contrast factor around the mean grey.
        "contrast": Strength(1.0, 0.88, 1.12, (0.92, 1.08, 1.12)),
        # Pillow's colour factor (1 = unchanged, 0 = grey).
        "saturation": Strength(1.0, 0.85, 1.15, (0.9, 1.1)),
        # White balance shift: +0.04 is 4% more red and 4% less blue.
        "warmth": Strength(0.0, -0.04, 0.04, (-0.03, 0.03)),
        # Unsharp-mask amount in percent at a radius scaled to the photo (`sharpen`).
        "sharpen": Strength(0.0, 0.0, 60.0, (30.0, 60.0)),
        # The share of the square crop the face box covers.
        "crop": Strength(0.0, 0.08, 0.3, (0.12, 0.18, 0.25)),
    }
)

COLOUR_EDITS = ("exposure", "brightness", "contrast", "saturation", "warmth", "sharpen")
"""The edits that change pixels but not geometry, in the order a recipe applies them."""
SPATIAL_EDITS = frozenset({"sharpen"})
"""The colour edits that look at a pixel's neighbours (the others map each level to one level
everywhere, so they cannot leave halos)."""

MAX_UPSCALE = 2.0
"""A crop is never enlarged more than this: beyond it the photo visibly turns soft."""
MIN_OUTPUT_SIDE = 256
"""Crops shorter than this are enlarged towards it (within `MAX_UPSCALE`) so the returned photo
is still pleasant to look at."""
MIN_CROP_SIDE = 192
"""A framing keeps at least this many pixels on its side: tighter crops of a small photo look
soft even when enlarged within `MAX_UPSCALE` (seen on the dev selfies' contact sheet)."""
FACE_MARGINS = (0.35, 0.6, 0.35, 0.45)
"""Room a framing leaves around the face box, as a share of its size: left, top (forehead and
hair: the detector's box starts at the brows), right, bottom (chin and neck). The guard only
insists on 15%; tighter framings cut the top of the head off on the contact sheet."""


@dataclass(frozen=True)
class Box:
    """A rectangle in pixels: left, top, width, height."""

    x: float
    y: float
    w: float
    h: float

    @property
    def center(self) -> tuple[float, float]:
        return self.x + self.w / 2, self.y + self.h / 2

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    def iou(self, other: Box) -> float:
        """Intersection over union: 1 for the same box, 0 for disjoint ones."""
        inside_w = max(0.0, min(self.right, other.right) - max(self.x, other.x))
        inside_h = max(0.0, min(self.bottom, other.bottom) - max(self.y, other.y))
        inside = inside_w * inside_h
        union = self.w * self.h + other.w * other.h - inside
        return inside / union if union > 0 else 0.0

    def through_crop(self, crop: tuple[int, int, int, int], scale: float) -> Box:
        """Where this box lands in the crop `(left, top, right, bottom)` enlarged by `scale`."""
        return Box(
            (self.x - crop[0]) * scale, (self.y - crop[1]) * scale, self.w * scale, self.h * scale
        )


def exposure(image: Image.Image, gain: float) -> Image.Image:
    """Every channel times `gain` (what a camera's exposure compensation does)."""
    return image.point([min(255, round(i * gain)) for i in range(256)] * 3)


def brightness(image: Image.Image, value: float) -> Image.Image:
    """Gamma 1/value on the mid-tones (value > 1 brightens): black and white stay put."""
    table = [round(255 * (i / 255) ** (1 / value)) for i in range(256)]
    return image.point(table * 3)


def contrast(image: Image.Image, factor: float) -> Image.Image:
    return ImageEnhance.Contrast(image).enhance(factor)


def saturation(image: Image.Image, factor: float) -> Image.Image:
    return ImageEnhance.Color(image).enhance(factor)


def warmth(image: Image.Image, amount: float) -> Image.Image:
    """Shift the white balance: positive is warmer (more red, less blue), negative cooler."""
    red = [min(255, round(i * (1 + amount))) for i in range(256)]
    green = list(range(256))
    blue = [min(255, round(i * (1 - amount))) for i in range(256)]
    return image.point(red + green + blue)


def sharpen(image: Image.Image, percent: float) -> Image.Image:
    """Unsharp mask with a radius scaled to the photo, so it looks the same at any resolution."""
    radius = max(1.0, min(image.size) / 400)
    return image.filter(ImageFilter.UnsharpMask(radius=radius, percent=round(percent), threshold=2))


_COLOUR_FUNCTIONS = {
    "exposure": exposure,
    "brightness": brightness,
    "contrast": contrast,
    "saturation": saturation,
    "warmth": warmth,
    "sharpen": sharpen,
}


def apply(image: Image.Image, name: str, strength: float) -> Image.Image:
    """The colour edit `name` (one of `COLOUR_EDITS`) at `strength`."""
    return _COLOUR_FUNCTIONS[name](image, strength)


def frame_box(
    size: tuple[int, int], face: Box, face_share: float
) -> tuple[int, int, int, int] | None:
    """The square crop `(left, top, right, bottom)` where the face box covers about
    `face_share` of the frame, centred on the face, keeping at least `FACE_MARGINS` around it,
    pushed back inside the photo (and shrunk where the photo is too small).

    Square because the popularity model squeezes every photo to a square: a square crop is what
    it sees without distortion. None when the photo leaves no room to change the framing (the
    crop would keep nearly the whole photo) or the face would not fit with its margins.
    """
    width, height = size
    left_m, top_m, right_m, bottom_m = FACE_MARGINS
    side = max(
        math.sqrt(face.w * face.h / face_share),
        face.w * (1 + left_m + right_m),
        face.h * (1 + top_m + bottom_m),
    )
    side = min(side, width, height)
    if side < face.w or side < face.h:
        return None
    cx, cy = face.center
    left = cx - side / 2
    # The face's middle a little above the crop's middle, with room for the hair.
    top = min(cy - side * 0.42, face.y - face.h * top_m)
    left = round(min(max(left, 0.0), width - side))
    top = round(min(max(top, 0.0), height - side))
    crop_side = round(side)
    box = (left, top, left + crop_side, top + crop_side)
    if crop_side * crop_side > 0.9 * width * height or crop_side < MIN_CROP_SIDE:
        return None
    return box


def upscale_for(crop_size: tuple[int, int]) -> float:
    """How much a crop is enlarged for the returned photo (1 when it is large enough)."""
    shortest = min(crop_size)
    return max(1.0, min(MAX_UPSCALE, MIN_OUTPUT_SIDE / shortest)) if shortest else 1.0


def crop(image: Image.Image, box: tuple[int, int, int, int]) -> Image.Image:
    """The crop, enlarged by `upscale_for` its size."""
    cropped = image.crop(box)
    scale = upscale_for(cropped.size)
    if scale == 1.0:
        return cropped
    size = (round(cropped.width * scale), round(cropped.height * scale))
    return cropped.resize(size, Image.Resampling.LANCZOS)
