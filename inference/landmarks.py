"""Face landmarks: MediaPipe's FaceMesh (`face_landmark`, 468 points) on one detected face, and
the measures the bot uses from them (smile, lip opening, head roll and yaw).

The crop is MediaPipe's own (face_detection_front_detection_to_roi): a square 1.5 times the
longer side of the detector's box, centred on the box and turned so the detector's two eye
keypoints lie on a horizontal line; 192x192, bilinear, values in [0, 1]. FaceMesh's points come
back in crop pixels (x, y, and a relative depth z on the same scale) and are turned back into the
photo's pixels.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image

from inference.faces import FACE_MODEL_DIR, LANDMARK_FILE, DetectedFace
from inference.results import MESH_POINTS, FaceMesh
from inference.runtime import load_session

SIDE = 192
ROI_SCALE = 1.5
# Below this FaceMesh's own face probability, its points are not trusted.
MIN_PRESENCE = 0.5
# Canonical FaceMesh indices of the points `FaceMesh.points` names (MESH_POINTS order);
# photo-left first: index 33 is the subject's right eye's outer corner.
MESH_INDEX = (33, 133, 362, 263, 61, 291, 13, 14, 1, 152)
# The cheek edges at eye height, photo-left then photo-right: their depths give the yaw.
CHEEK_EDGES = (234, 454)


class FaceMeshModel:
    """FaceMesh in one ONNX session, safe to share between threads."""

    def __init__(self, intra_op_threads: int = 1, model_dir: Path = FACE_MODEL_DIR) -> None:
        self._session = load_session(model_dir / LANDMARK_FILE, intra_op_threads)
        self._input = self._session.get_inputs()[0].name

    def measure(
        self, image: Image.Image, face: DetectedFace, scale: float = 1.0
    ) -> FaceMesh | None:
        """FaceMesh's measures of `face` (in `image`'s pixels), or None when FaceMesh does not
        see a face in the crop; points are given in pixels `scale` times `image`'s."""
        crop, to_image = face_crop(image, face)
        raw_points, raw_presence = self._session.run(None, {self._input: crop})
        presence = 1.0 / (1.0 + math.exp(-float(np.clip(raw_presence.reshape(-1)[0], -80, 80))))
        if presence < MIN_PRESENCE:
            return None
        mesh = raw_points.reshape(-1, 3)
        return measures(mesh, to_image * scale, presence)


def eye_roll(face: DetectedFace) -> float:
    """The detector's eye line angle in degrees, positive when the eye on the photo's right is
    lower (`image.rotate(angle)` levels it): FaceMesh's `roll_degrees`, coarser."""
    (lx, ly), (rx, ry) = face.landmarks["left_eye"], face.landmarks["right_eye"]
    return math.degrees(math.atan2(ry - ly, rx - lx))


def face_crop(image: Image.Image, face: DetectedFace) -> tuple[np.ndarray, np.ndarray]:
    """The (1, 192, 192, 3) FaceMesh input for `face`, and the 2x3 affine map from crop pixels
    to `image` pixels."""
    (lx, ly), (rx, ry) = face.landmarks["left_eye"], face.landmarks["right_eye"]
    angle = math.atan2(ry - ly, rx - lx)
    side = ROI_SCALE * max(face.x2 - face.x1, face.y2 - face.y1)
    cx, cy = (face.x1 + face.x2) / 2, (face.y1 + face.y2) / 2
    unit = side / SIDE
    cos, sin = math.cos(angle) * unit, math.sin(angle) * unit
    # Crop (u, v) -> image (x, y), continuous coordinates around the crop's centre.
    to_image = np.array(
        [
            [cos, -sin, cx - cos * SIDE / 2 + sin * SIDE / 2],
            [sin, cos, cy - sin * SIDE / 2 - cos * SIDE / 2],
        ]
    )
    crop = image.transform(
        (SIDE, SIDE),
        Image.Transform.AFFINE,
        tuple(to_image.ravel()),
        resample=Image.Resampling.BILINEAR,
    )
    pixels = np.asarray(crop, dtype=np.float32) * (1.0 / 255.0)
    return pixels[None], to_image


def measures(mesh: np.ndarray, to_image: np.ndarray, presence: float) -> FaceMesh:
    """Named points and measures from FaceMesh's (468, 3) crop-pixel output."""
    photo = mesh[:, :2] @ to_image[:, :2].T + to_image[:, 2]
    points = {
        name: (round(float(photo[index, 0]), 1), round(float(photo[index, 1]), 1))
        for name, index in zip(MESH_POINTS, MESH_INDEX, strict=True)
    }
    outer_left, outer_right = photo[33], photo[263]
    eye_span = float(np.linalg.norm(outer_right - outer_left))
    mouth_width = float(np.linalg.norm(photo[291] - photo[61]))
    lip_gap = float(np.linalg.norm(photo[14] - photo[13]))
    roll = math.degrees(math.atan2(outer_right[1] - outer_left[1], outer_right[0] - outer_left[0]))
    # Yaw in the crop's own (levelled) frame: the cheek edges' depth difference over their
    # horizontal distance.
    left, right = mesh[CHEEK_EDGES[0]], mesh[CHEEK_EDGES[1]]
    yaw = math.degrees(math.atan2(float(right[2] - left[2]), float(right[0] - left[0])))
    return FaceMesh(
        points=points,
        smile=round(mouth_width / eye_span, 4) if eye_span > 0 else 0.0,
        mouth_open=round(lip_gap / mouth_width, 4) if mouth_width > 0 else 0.0,
        roll_degrees=round(roll, 2),
        yaw_degrees=round(yaw, 2),
        presence=round(presence, 4),
    )
