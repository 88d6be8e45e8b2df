"""The plausibility guard: an edited photo must still be a believable photo of the same person.

The popularity CNN rewards over-exposed, over-contrasted, over-sharpened pictures and tight
crops, so a search that only maximises the score finds edits a person calls ugly. Every
candidate edit passes these rules before its score is looked at or it is shown:

- `strength`: each edit within the strengths of `inference.edits.STRENGTHS` (a phone app's);
- `highlight_clipping` / `shadow_clipping`: blown highlights (any channel at 254-255) or crushed
  shadows (every channel at 0-2) grow by at most 1% of the face's pixels and 2% of the image's;
- `face_brightness`: the face's mean luma moves by at most 40 levels (of 255);
- `halos`: sharpening leaves no visible overshoot at edges (`halo_share`);
- `crop_margin`: a crop keeps the whole face with 15% of its size around it where the frame allows;
- `upscale`: a crop is never enlarged more than 2x;
- `face_lost`: the main face is found again in the edit where it should be (IoU >= 0.5).

All rules are pure functions of pixels and boxes, so they can be checked in isolation.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

import numpy as np
from PIL import Image

from inference.edits import MAX_UPSCALE, STRENGTHS, Box


class Rule(StrEnum):
    """Why a candidate edit was refused."""

    STRENGTH = "strength"
    HIGHLIGHT_CLIPPING = "highlight_clipping"
    SHADOW_CLIPPING = "shadow_clipping"
    FACE_BRIGHTNESS = "face_brightness"
    HALOS = "halos"
    CROP_MARGIN = "crop_margin"
    UPSCALE = "upscale"
    FACE_LOST = "face_lost"


FACE_CLIPPING_GROWTH = 0.01
IMAGE_CLIPPING_GROWTH = 0.02
FACE_BRIGHTNESS_SHIFT = 40.0
FACE_IOU = 0.5
CROP_MARGIN = 0.15
HIGHLIGHT_LEVEL = 254
SHADOW_LEVEL = 2
# Halos: a pixel overshoots when it lies more than HALO_LEVELS outside the range its
# neighbourhood would have after the same tone change; visible when more than HALO_SHARE of
# the edge pixels (neighbourhood range >= EDGE_LEVELS) do. On the 30 dev selfies the share is
# 0 for every tone edit; for the unsharp mask of `edits.sharpen` it is at most 0.013 at 30%,
# 0.040 at 60% (the table's strongest), median 0.036 at 100%, 0.068 at 150%, 0.18 at 300%.
HALO_RADIUS = 2
HALO_LEVELS = 12
EDGE_LEVELS = 24
HALO_SHARE = 0.05


def strength_rules(steps: Sequence[tuple[str, float]]) -> list[Rule]:
    """`strength` when an edit is unknown or stronger than the table allows."""
    for name, value in steps:
        allowed = STRENGTHS.get(name)
        if allowed is None or not allowed.allows(value):
            return [Rule.STRENGTH]
    return []


def crop_rules(
    frame: tuple[int, int],
    face: Box | None,
    box: tuple[int, int, int, int],
    output_size: tuple[int, int],
) -> list[Rule]:
    """The geometry of a crop `(left, top, right, bottom)` of a `frame`-sized photo whose
    result is `output_size` pixels: the face keeps its margins, the enlargement stays small."""
    rules = []
    crop_w, crop_h = box[2] - box[0], box[3] - box[1]
    if (
        crop_w <= 0
        or crop_h <= 0
        or max(output_size[0] / crop_w, output_size[1] / crop_h) > MAX_UPSCALE + 1e-6
    ):
        rules.append(Rule.UPSCALE)
    if face is not None and not _keeps_margins(frame, face, box):
        rules.append(Rule.CROP_MARGIN)
    return rules


def _keeps_margins(frame: tuple[int, int], face: Box, box: tuple[int, int, int, int]) -> bool:
    """Whether the crop holds the face plus CROP_MARGIN of its size on each side, or up to the
    frame's edge where the photo has less room than that."""
    width, height = frame
    need_x, need_y = CROP_MARGIN * face.w, CROP_MARGIN * face.h
    left = max(0.0, face.x - need_x)
    top = max(0.0, face.y - need_y)
    right = min(float(width), face.right + need_x)
    bottom = min(float(height), face.bottom + need_y)
    slack = 1.0  # crops are whole pixels
    return (
        box[0] <= left + slack
        and box[1] <= top + slack
        and box[2] >= right - slack
        and box[3] >= bottom - slack
    )


class ToneCheck:
    """Clipping, face brightness and halo rules against one reference photo.

    The reference is the photo through the same geometry (crop, enlargement) as the candidates
    without any colour edit, so only what the colour edits did is judged. Its measures are
    taken once: the search checks many candidates against the same reference.
    """

    def __init__(self, reference: Image.Image, face: Box | None) -> None:
        rgb = reference.convert("RGB")
        self.size = rgb.size
        self._region = _face_slice(face, (rgb.height, rgb.width)) if face is not None else None
        self._luma = np.asarray(rgb.convert("L"))
        self._clipping = _clipping(np.asarray(rgb), self._region)
        self._face_luma = (
            float(self._luma[self._region].mean()) if self._region is not None else None
        )

    def rules(self, candidate: Image.Image, *, spatial: bool = True) -> list[Rule]:
        """The rules `candidate` (same size as the reference) breaks.

        `spatial=False` says the candidate comes from point edits only (each level mapped to
        one level everywhere), which cannot overshoot an edge, so the halo measure (about 7 ms
        for a 768 px photo) is skipped.
        """
        rgb = candidate.convert("RGB")
        if rgb.size != self.size:
            raise ValueError(f"candidate {rgb.size} differs from the reference {self.size}")
        rules: list[Rule] = []
        after = _clipping(np.asarray(rgb), self._region)
        for rule, (image_old, face_old), (image_new, face_new) in zip(
            (Rule.HIGHLIGHT_CLIPPING, Rule.SHADOW_CLIPPING), self._clipping, after, strict=True
        ):
            if (
                image_new - image_old > IMAGE_CLIPPING_GROWTH
                or face_new - face_old > FACE_CLIPPING_GROWTH
            ):
                rules.append(rule)
        luma = np.asarray(rgb.convert("L"))
        if self._region is not None and self._face_luma is not None:
            shift = float(luma[self._region].mean()) - self._face_luma
            if abs(shift) > FACE_BRIGHTNESS_SHIFT:
                rules.append(Rule.FACE_BRIGHTNESS)
        if spatial and halo_share(self._luma, luma) > HALO_SHARE:
            rules.append(Rule.HALOS)
        return rules


def tone_rules(reference: Image.Image, candidate: Image.Image, face: Box | None) -> list[Rule]:
    """`ToneCheck(reference, face).rules(candidate)`, for a single comparison."""
    return ToneCheck(reference, face).rules(candidate)


def face_rules(expected: Box, found: Box | None) -> list[Rule]:
    """`face_lost` unless the edit's main face sits where the original's should have gone."""
    if found is None or expected.iou(found) < FACE_IOU:
        return [Rule.FACE_LOST]
    return []


def halo_share(before: np.ndarray, after: np.ndarray) -> float:
    """The share of edge pixels where `after` (luma, uint8) overshoots its neighbourhood.

    A tone edit maps each level to another, the same everywhere; sharpening instead pushes
    pixels beside an edge beyond both sides of it (the bright and dark rims called halos). So
    the tone change is estimated as the mean `after` level for each `before` level, applied to
    `before`, and a pixel of `after` is a halo pixel when it lies more than HALO_LEVELS outside
    the minimum..maximum of that prediction within HALO_RADIUS pixels.
    """
    flat_before = before.ravel()
    counts = np.bincount(flat_before, minlength=256)
    sums = np.bincount(flat_before, weights=after.ravel(), minlength=256)
    present = np.flatnonzero(counts)
    if present.size == 0:
        return 0.0
    levels = np.interp(np.arange(256), present, sums[present] / counts[present])
    predicted = np.round(levels).astype(np.int16)[before]
    low, high = _neighbourhood_range(predicted, HALO_RADIUS)
    edges = high - low >= EDGE_LEVELS
    total = int(edges.sum())
    if total == 0:
        return 0.0
    value = after.astype(np.int16)
    overshoot = (value > high + HALO_LEVELS) | (value < low - HALO_LEVELS)
    return float((overshoot & edges).sum()) / total


def _neighbourhood_range(values: np.ndarray, radius: int) -> tuple[np.ndarray, np.ndarray]:
    """Minimum and maximum of each pixel's (2 radius + 1)-square neighbourhood (separable)."""
    padded = np.pad(values, radius, mode="edge")
    height, width = values.shape
    low_rows = high_rows = padded[:, radius : radius + width]
    for shift in range(-radius, radius + 1):
        if shift:
            window = padded[:, radius + shift : radius + shift + width]
            low_rows, high_rows = np.minimum(low_rows, window), np.maximum(high_rows, window)
    low = low_rows[radius : radius + height]
    high = high_rows[radius : radius + height]
    for shift in range(-radius, radius + 1):
        if shift:
            low = np.minimum(low, low_rows[radius + shift : radius + shift + height])
            high = np.maximum(high, high_rows[radius + shift : radius + shift + height])
    return low, high


def _clipping(
    pixels: np.ndarray, region: tuple[slice, slice] | None
) -> tuple[tuple[float, float], tuple[float, float]]:
    """(image share, face share) of blown highlights, then of crushed shadows."""
    brightest = np.maximum(np.maximum(pixels[..., 0], pixels[..., 1]), pixels[..., 2])
    shares = []
    for mask in (brightest >= HIGHLIGHT_LEVEL, brightest <= SHADOW_LEVEL):
        shares.append((float(mask.mean()), float(mask[region].mean()) if region else 0.0))
    return shares[0], shares[1]


def _face_slice(face: Box, shape: tuple[int, ...]) -> tuple[slice, slice] | None:
    """The face box clipped to the image, as array slices; None when nothing of it is inside."""
    height, width = shape[:2]
    x0, y0 = max(0, round(face.x)), max(0, round(face.y))
    x1, y1 = min(width, round(face.right)), min(height, round(face.bottom))
    if x1 <= x0 or y1 <= y0:
        return None
    return slice(y0, y1), slice(x0, x1)
