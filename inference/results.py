"""What the analyzer returns: small frozen dataclasses with a JSON-ready `to_dict()`.

Coordinates are in the pixels of the photo as the user sees it (EXIF orientation applied),
whatever size the analyzer worked at internally.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

EMOTIONS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")


MESH_POINTS = (
    "left_eye_outer",
    "left_eye_inner",
    "right_eye_inner",
    "right_eye_outer",
    "mouth_left",
    "mouth_right",
    "upper_lip",
    "lower_lip",
    "nose_tip",
    "chin",
)
"""The FaceMesh points `FaceMesh.points` names, left/right as seen in the photo (so
`left_eye_outer` is the outer corner of the eye nearer the photo's left edge). `upper_lip` and
`lower_lip` are the inner edges of the lips at the middle of the mouth."""

SMILE_THRESHOLD = 0.586
"""`FaceMesh.smile` at or above which a face counts as smiling: the cut that best separates
fer-happy from other dev selfies (benchmarks/calibrate_smile.py)."""


@dataclass(frozen=True)
class FaceMesh:
    """What MediaPipe's FaceMesh (`face_landmark`, 468 points) says about one face.

    Computed for the main face only. Points are in the photo's pixels. The measures are ratios
    and angles, so they compare faces of any size:

    - `smile`: mouth width (corner to corner) over the distance between the outer eye corners;
      wider when smiling. On the 30 dev selfies it spans 0.46-0.71; against fer's "happy"
      (p >= 0.5, 7 faces) its ROC AUC is 0.80 and its Spearman correlation with p(happy) 0.59,
      and `SMILE_THRESHOLD` separates the two groups best (accuracy 0.8); measured by
      `benchmarks/calibrate_smile.py`. A guide, not a verdict: 30 faces calibrate it.
    - `mouth_open`: gap between the inner lip edges over the mouth width (0 closed); it says
      nothing about happiness on its own (AUC 0.52 against fer's "happy").
    - `roll_degrees`: angle of the eye line (outer corner to outer corner), positive when the
      eye on the photo's right is lower: `image.rotate(roll_degrees)` levels the eyes.
    - `yaw_degrees`: head turn about the vertical axis from FaceMesh's relative depths of the
      two cheek edges; 0 facing the camera, positive when the face turns towards the photo's
      right (its left cheek edge comes nearer the camera).
    - `presence`: FaceMesh's own probability that the crop holds a face.

    No eye openness: it was not measured reliably enough to report.
    """

    points: dict[str, tuple[float, float]]
    smile: float
    mouth_open: float
    roll_degrees: float
    yaw_degrees: float
    presence: float

    @property
    def smiling(self) -> bool:
        """Whether `smile` reaches `SMILE_THRESHOLD` (calibrated against fer's "happy")."""
        return self.smile >= SMILE_THRESHOLD

    @property
    def eye_line(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """The outer eye corners, photo-left first: the line `roll_degrees` measures."""
        return self.points["left_eye_outer"], self.points["right_eye_outer"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "points": {name: [x, y] for name, (x, y) in self.points.items()},
            "smile": self.smile,
            "mouth_open": self.mouth_open,
            "roll_degrees": self.roll_degrees,
            "yaw_degrees": self.yaw_degrees,
            "presence": self.presence,
            "smiling": self.smiling,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FaceMesh:
        """The mesh `to_dict` described (derived fields such as `smiling` are recomputed)."""
        return cls(
            points=_points(data["points"]),
            smile=float(data["smile"]),
            mouth_open=float(data["mouth_open"]),
            roll_degrees=float(data["roll_degrees"]),
            yaw_degrees=float(data["yaw_degrees"]),
            presence=float(data["presence"]),
        )


@dataclass(frozen=True)
class Face:
    """One detected face.

    `box` is (x, y, width, height); `confidence` the detector's score; `landmarks` names the
    detector's keypoints (`left_eye`, `right_eye`, `nose`, `mouth`, `left_ear`, `right_ear`,
    left/right as seen in the photo) or is None; `emotions` holds the seven probabilities in
    fer's order; `mesh` holds FaceMesh's points and measures: the main face's only, when FaceMesh
    ran on it (a tilted face, `mesh=True`, `Analyzer.with_mesh`), else None.
    """

    box: tuple[int, int, int, int]
    confidence: float
    landmarks: dict[str, tuple[float, float]] | None
    emotions: dict[str, float]
    mesh: FaceMesh | None = None

    @property
    def dominant_emotion(self) -> str:
        """The most probable expression (fer's order breaks ties)."""
        return max(self.emotions, key=lambda name: self.emotions[name])

    @property
    def area(self) -> int:
        return self.box[2] * self.box[3]

    def to_dict(self) -> dict[str, Any]:
        return {
            "box": list(self.box),
            "confidence": self.confidence,
            "landmarks": (
                {name: [x, y] for name, (x, y) in self.landmarks.items()}
                if self.landmarks is not None
                else None
            ),
            "emotions": dict(self.emotions),
            "dominant_emotion": self.dominant_emotion,
            "mesh": self.mesh.to_dict() if self.mesh is not None else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Face:
        x, y, width, height = (int(v) for v in data["box"])
        landmarks = data.get("landmarks")
        mesh = data.get("mesh")
        return cls(
            box=(x, y, width, height),
            confidence=float(data["confidence"]),
            landmarks=_points(landmarks) if landmarks is not None else None,
            emotions={name: float(p) for name, p in data["emotions"].items()},
            mesh=FaceMesh.from_dict(mesh) if mesh is not None else None,
        )


@dataclass(frozen=True)
class Quality:
    """Photo measures the tips engine builds on; all but sharpness are on a 0..1 scale.

    brightness: mean luma. contrast: standard deviation of luma. saturation: mean HSV saturation.
    sharpness: variance of the Laplacian of luma (0..1 scale) on a copy at most 320 px long, so
    it compares photos of different sizes (dev selfies: 0.003-0.02; blurred by 2 px: ~0.0001).
    Face measures describe the main face (`Analysis.main_face`) and are None without one:
    face_area_ratio is its box area over the frame's, face_center_x/y its centre relative to the
    frame (0.5, 0.5 = centred).
    face_tilt_degrees is the angle of the line from the left to the right eye, positive when the
    right eye is lower: `image.rotate(face_tilt_degrees)` levels the eyes (FaceMesh's
    `roll_degrees` when the main face has a mesh, else the detector's eye keypoints).
    """

    brightness: float
    contrast: float
    sharpness: float
    saturation: float
    face_area_ratio: float | None = None
    face_center_x: float | None = None
    face_center_y: float | None = None
    face_tilt_degrees: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Quality:
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


@dataclass(frozen=True)
class Analysis:
    """Everything the analyzer says about one photo.

    `score` is `round(popular_probability * 100)`; `model_versions` maps each model
    (`popularity`, `emotions`, `faces`) to the SHA-256 of the ONNX file that produced it.
    `faces` are ordered main face first, then by falling detector confidence.
    `embedding` holds the popularity CNN's penultimate activations (empty when the model has
    no readable penultimate layer): the group taste model's description of the photo.
    """

    popular_probability: float
    score: int
    faces: tuple[Face, ...]
    quality: Quality
    width: int
    height: int
    model_versions: dict[str, str]
    embedding: tuple[float, ...] = ()

    @property
    def main_face(self) -> Face | None:
        """The face the photo is about: the detector's most confident one (not the largest:
        a lamp or a poster can be larger than the face). None without a face."""
        return self.faces[0] if self.faces else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "popular_probability": self.popular_probability,
            "width": self.width,
            "height": self.height,
            "faces": [face.to_dict() for face in self.faces],
            "quality": self.quality.to_dict(),
            "model_versions": dict(self.model_versions),
        }

    def to_record(self) -> dict[str, Any]:
        """`to_dict` plus the embedding: what storage keeps with the submission, so the photo
        is never analysed twice (`from_record` gives this analysis back)."""
        return {**self.to_dict(), "embedding": list(self.embedding)}

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> Analysis:
        return cls(
            popular_probability=float(data["popular_probability"]),
            score=int(data["score"]),
            faces=tuple(Face.from_dict(face) for face in data["faces"]),
            quality=Quality.from_dict(data["quality"]),
            width=int(data["width"]),
            height=int(data["height"]),
            model_versions=dict(data["model_versions"]),
            embedding=tuple(float(v) for v in data.get("embedding", ())),
        )


def _points(data: Mapping[str, Any]) -> dict[str, tuple[float, float]]:
    return {name: (float(x), float(y)) for name, (x, y) in data.items()}
