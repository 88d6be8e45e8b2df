"""What the analyzer returns: small frozen dataclasses with a JSON-ready `to_dict()`.

Coordinates are in the pixels of the photo as the user sees it (EXIF orientation applied),
whatever size the analyzer worked at internally.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

EMOTIONS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")


@dataclass(frozen=True)
class Face:
    """One detected face.

    `box` is (x, y, width, height); `landmarks` names five points (`left_eye`, `right_eye`,
    `nose`, `mouth_left`, `mouth_right`, left/right as seen in the photo) or is None;
    `emotions` holds the seven probabilities in fer's order.
    """

    box: tuple[int, int, int, int]
    confidence: float
    landmarks: dict[str, tuple[float, float]] | None
    emotions: dict[str, float]

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
        }


@dataclass(frozen=True)
class Quality:
    """Photo measures the tips engine builds on; all but sharpness are on a 0..1 scale.

    brightness: mean luma. contrast: standard deviation of luma. saturation: mean HSV saturation.
    sharpness: variance of the Laplacian of luma (0..1 scale) on a copy at most 320 px long, so
    it compares photos of different sizes (dev selfies: 0.003-0.02; blurred by 2 px: ~0.0001).
    Face measures describe the largest face and are None without one: face_area_ratio is its box
    area over the frame's, face_center_x/y its centre relative to the frame (0.5, 0.5 = centred).
    face_tilt_degrees is the angle of the line from the left to the right eye, positive when the
    right eye is lower: `image.rotate(face_tilt_degrees)` levels the eyes.
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


@dataclass(frozen=True)
class Analysis:
    """Everything the analyzer says about one photo.

    `score` is `round(popular_probability * 100)`; `model_versions` maps each model
    (`popularity`, `emotions`, `faces`) to the SHA-256 of the ONNX file that produced it.
    """

    popular_probability: float
    score: int
    faces: tuple[Face, ...]
    quality: Quality
    width: int
    height: int
    model_versions: dict[str, str]

    @property
    def largest_face(self) -> Face | None:
        return max(self.faces, key=lambda face: face.area, default=None)

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
