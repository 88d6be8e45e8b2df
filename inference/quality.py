"""Photo quality measures: cheap statistics the tips engine turns into advice.

Colour statistics come from the model's 128x128 input (already computed, and the scale at
which the score "sees" the photo); sharpness from the face-detection copy (at most 320 px on
its longer side) so fine blur still shows while the cost stays flat for large photos.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageStat

from inference.results import Face, Quality

# (brightness, contrast, saturation), each on a 0..1 scale.
Colours = tuple[float, float, float]


def colour_measures(small: Image.Image) -> Colours:
    """(brightness, contrast, saturation) of an RGB image: mean and standard deviation of its
    BT.601 luma, mean HSV saturation, all on a 0..1 scale (Pillow's histograms: fast)."""
    luma = ImageStat.Stat(small.convert("L"))
    saturation = ImageStat.Stat(small.convert("HSV").getchannel("S"))
    return luma.mean[0] / 255.0, luma.stddev[0] / 255.0, saturation.mean[0] / 255.0


def sharpness(image: Image.Image) -> float:
    """Variance of the 4-neighbour Laplacian of luma (0..1 scale); 0 for tiny images."""
    if min(image.size) < 3:
        return 0.0
    luma = np.asarray(image.convert("L"), dtype=np.int16)
    laplacian = (
        luma[:-2, 1:-1] + luma[2:, 1:-1] + luma[1:-1, :-2] + luma[1:-1, 2:] - 4 * luma[1:-1, 1:-1]
    ).ravel()
    values = laplacian.astype(np.float32)
    mean = float(values.sum(dtype=np.float64)) / values.size
    return max(0.0, float(np.dot(values, values)) / values.size - mean * mean) / 255.0**2


def face_measures(face: Face | None, width: int, height: int) -> dict[str, float | None]:
    """Size, position and tilt of the main face relative to the frame (None without one)."""
    if face is None:
        return {}
    x, y, w, h = face.box
    tilt = face.mesh.roll_degrees if face.mesh is not None else None
    if (
        tilt is None
        and face.landmarks
        and "left_eye" in face.landmarks
        and "right_eye" in face.landmarks
    ):
        (lx, ly), (rx, ry) = face.landmarks["left_eye"], face.landmarks["right_eye"]
        tilt = math.degrees(math.atan2(ry - ly, rx - lx))
    return {
        "face_area_ratio": (w * h) / float(width * height),
        "face_center_x": (x + w / 2) / width,
        "face_center_y": (y + h / 2) / height,
        "face_tilt_degrees": tilt,
    }


def measure(
    colours: Colours,
    sharpness_value: float,
    face: Face | None,
    width: int,
    height: int,
) -> Quality:
    """All quality measures of one photo; `face` is the main face, if any.

    `colours` (from `colour_measures` of the model's input) and `sharpness_value` (from
    `sharpness()`) are computed by the caller, each on whichever of its two threads has the
    image at hand, so this final step only assembles them.
    """
    brightness, contrast, saturation = colours
    return Quality(
        brightness=brightness,
        contrast=contrast,
        sharpness=sharpness_value,
        saturation=saturation,
        **face_measures(face, width, height),
    )
