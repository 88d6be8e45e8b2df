"""Photo edits the tips engine tries: colour and tone adjustments, framing and straightening.

Each function takes an RGB image and returns a new RGB image; none of them scores anything.
They are deliberately ordinary edits that anyone can reproduce in a phone's photo editor, so a
tip like "a bit brighter" is advice the user can follow next time, not a hidden trick.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PIL import Image, ImageEnhance, ImageFilter, ImageOps

# Crops smaller than this are enlarged to it, so the returned photo is still pleasant to look at.
MIN_OUTPUT_SIDE = 256


@dataclass(frozen=True)
class Box:
    """A face rectangle in pixels: left, top, width, height."""

    x: float
    y: float
    w: float
    h: float

    @property
    def center(self) -> tuple[float, float]:
        return self.x + self.w / 2, self.y + self.h / 2


def gamma(image: Image.Image, value: float) -> Image.Image:
    """Exposure change on the mid-tones (value < 1 brightens) that never clips highlights."""
    table = [round(255 * (i / 255) ** value) for i in range(256)]
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


def sharpen(image: Image.Image, percent: int) -> Image.Image:
    """Unsharp mask scaled to the photo, so the effect looks the same at any resolution."""
    radius = max(1.0, min(image.size) / 300)
    return image.filter(ImageFilter.UnsharpMask(radius=radius, percent=percent, threshold=2))


def auto_levels(image: Image.Image) -> Image.Image:
    """Stretch the tones to the full range, ignoring the 1% extremes (a phone's 'auto')."""
    return ImageOps.autocontrast(image, cutoff=1, preserve_tone=True)


def frame_box(
    size: tuple[int, int],
    face: Box,
    face_fraction: float,
    eye_line: float = 1 / 3,
    square: bool = True,
) -> tuple[int, int, int, int] | None:
    """The crop where the face covers `face_fraction` of the frame, centred, its middle at
    `eye_line` from the top; pushed back inside the photo (and shrunk) where the photo is too
    small for that.

    The crop is square by default because the popularity model squeezes every photo to a
    square; a square crop is what it sees without distortion. None when the photo leaves no
    room to change the framing (the crop would be the whole photo, or a sliver).
    """
    width, height = size
    aspect = 1.0 if square else width / height
    area = face.w * face.h / face_fraction
    crop_w = math.sqrt(area * aspect)
    crop_h = crop_w / aspect
    scale = min(1.0, width / crop_w, height / crop_h)
    crop_w = min(width, round(crop_w * scale))
    crop_h = min(height, round(crop_h * scale))
    cx, cy = face.center
    left = round(min(max(cx - crop_w / 2, 0.0), width - crop_w))
    top = round(min(max(cy - crop_h * eye_line, 0.0), height - crop_h))
    box = (left, top, left + crop_w, top + crop_h)
    if box == (0, 0, width, height) or crop_w < 16 or crop_h < 16:
        return None
    return box


def face_share(face: Box, box: tuple[int, int, int, int]) -> float:
    """How much of the crop `box` the face covers (the part of the face inside it)."""
    inside_w = max(0.0, min(face.x + face.w, box[2]) - max(face.x, box[0]))
    inside_h = max(0.0, min(face.y + face.h, box[3]) - max(face.y, box[1]))
    return inside_w * inside_h / ((box[2] - box[0]) * (box[3] - box[1]))


def crop(image: Image.Image, box: tuple[int, int, int, int]) -> Image.Image:
    """The crop, enlarged when small so the returned photo is still pleasant to look at."""
    return _at_least(image.crop(box), MIN_OUTPUT_SIDE)


def frame_face(
    image: Image.Image,
    face: Box,
    face_fraction: float,
    eye_line: float = 1 / 3,
    square: bool = True,
) -> Image.Image | None:
    """`crop` at `frame_box`: the face framed as asked, or None when nothing would change."""
    box = frame_box(image.size, face, face_fraction, eye_line, square)
    return None if box is None else crop(image, box)


def straighten(
    image: Image.Image, angle: float, face: Box | None = None
) -> tuple[Image.Image, Box | None]:
    """Rotate by `angle` degrees counter-clockwise, then crop away the empty corners.

    With the eye line's slope as `angle` (degrees, positive when it falls to the right) this
    levels the eyes: Pillow rotates counter-clockwise for positive angles, which lifts a line
    that slopes down to the right. Also returns where
    `face` ends up, so the straightened photo can be framed too.
    """
    rotated = image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=False)
    inner_w, inner_h = largest_rotated_rect(image.width, image.height, math.radians(angle))
    left = (image.width - inner_w) / 2
    top = (image.height - inner_h) / 2
    box = (math.ceil(left), math.ceil(top), math.floor(left + inner_w), math.floor(top + inner_h))
    cropped = rotated.crop(box)
    result = _at_least(cropped, MIN_OUTPUT_SIDE)
    if face is None:
        return result, None
    scale = result.width / cropped.width
    cx, cy = rotate_point(face.center, angle, image.size)
    w, h = face.w * scale, face.h * scale
    moved = Box((cx - box[0]) * scale - w / 2, (cy - box[1]) * scale - h / 2, w, h)
    return result, moved


def largest_rotated_rect(width: float, height: float, angle: float) -> tuple[float, float]:
    """Size of the largest axis-aligned rectangle inside a `width`x`height` rectangle rotated by
    `angle` radians (so no empty corner shows after straightening)."""
    if width <= 0 or height <= 0:
        return 0.0, 0.0
    long_side, short_side = (width, height) if width >= height else (height, width)
    sin_a, cos_a = abs(math.sin(angle)), abs(math.cos(angle))
    if short_side <= 2 * sin_a * cos_a * long_side or abs(sin_a - cos_a) < 1e-10:
        x = 0.5 * short_side
        wr, hr = (x / sin_a, x / cos_a) if width >= height else (x / cos_a, x / sin_a)
    else:
        cos_2a = cos_a * cos_a - sin_a * sin_a
        wr = (width * cos_a - height * sin_a) / cos_2a
        hr = (height * cos_a - width * sin_a) / cos_2a
    return wr, hr


def rotate_point(
    point: tuple[float, float], angle: float, size: tuple[int, int]
) -> tuple[float, float]:
    """Where `point` lands after `Image.rotate(angle)` about the image centre (no expand)."""
    cx, cy = size[0] / 2, size[1] / 2
    rad = math.radians(angle)
    dx, dy = point[0] - cx, point[1] - cy
    # Counter-clockwise on screen is clockwise in y-down maths.
    return (
        cx + dx * math.cos(rad) + dy * math.sin(rad),
        cy - dx * math.sin(rad) + dy * math.cos(rad),
    )


def _at_least(image: Image.Image, side: int) -> Image.Image:
    shortest = min(image.size)
    if shortest >= side:
        return image
    ratio = side / shortest
    size = (round(image.width * ratio), round(image.height * ratio))
    return image.resize(size, Image.Resampling.LANCZOS)
