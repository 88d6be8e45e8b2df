"""The compact description of one scored photo that the group taste model learns from.

Kept per scored photo instead of the photo: a few components of the popularity CNN's
penultimate activations (reduced with the PCA shipped in `models/taste_embedding.json`), the
main face's expressions, smile, head roll and yaw, face size and position, and the photo's
quality measures. Features that a photo lacks (no FaceMesh yet, no face) are left out; the
model fills them in per fit. Every value is a plain float so the vector stores as JSON.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from models.registry import MODELS_DIR

if TYPE_CHECKING:
    from inference.results import Analysis

REDUCTION_PATH = MODELS_DIR / "taste_embedding.json"
FEATURES_VERSION = 1
"""Stored with every vector; raised when a feature changes meaning, so old rows are skipped."""

EMOTION_FEATURES = ("happy", "surprise", "sad", "neutral", "angry")
"""fer's expressions worth a trait; disgust and fear are too rare in selfies to learn from."""

_PROBABILITY_FLOOR = 1e-4


@dataclass(frozen=True)
class EmbeddingReduction:
    """A linear map from the CNN's penultimate activations to a few standardised components."""

    mean: np.ndarray
    components: np.ndarray
    scale: np.ndarray

    @classmethod
    def load(cls, path: Path) -> EmbeddingReduction:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            mean=np.asarray(data["mean"], dtype=np.float64),
            components=np.asarray(data["components"], dtype=np.float64),
            scale=np.asarray(data["scale"], dtype=np.float64),
        )

    def apply(self, embedding: tuple[float, ...]) -> tuple[float, ...]:
        """The components of one photo's activations; () when the sizes disagree (another
        popularity model): the taste model then does without them."""
        values = np.asarray(embedding, dtype=np.float64)
        if values.shape != self.mean.shape:
            return ()
        return tuple(((self.components @ (values - self.mean)) / self.scale).tolist())


@lru_cache(maxsize=1)
def shipped_reduction() -> EmbeddingReduction | None:
    """The reduction fitted on the dev selfies (models/build_taste_embedding.py), if shipped."""
    if not REDUCTION_PATH.is_file():
        return None
    return EmbeddingReduction.load(REDUCTION_PATH)


def popularity_logit(probability: float) -> float:
    """The global score on the scale the taste model is linear in."""
    p = min(max(probability, _PROBABILITY_FLOOR), 1 - _PROBABILITY_FLOOR)
    return math.log(p / (1 - p))


def photo_features(
    analysis: Analysis, reduction: EmbeddingReduction | None = None
) -> dict[str, float]:
    """The feature vector of one analysed photo (name -> value; absent = not measurable)."""
    reduction = reduction if reduction is not None else shipped_reduction()
    values: dict[str, float] = {}
    if reduction is not None and analysis.embedding:
        for index, value in enumerate(reduction.apply(analysis.embedding), start=1):
            values[f"cnn{index}"] = value
    quality = analysis.quality
    values["brightness"] = quality.brightness
    values["contrast"] = quality.contrast
    values["saturation"] = quality.saturation
    values["sharpness"] = math.log10(max(quality.sharpness, 1e-6))
    values["faces"] = float(min(len(analysis.faces), 4))
    if quality.face_area_ratio is not None:
        values["face_size"] = math.sqrt(quality.face_area_ratio)
    if quality.face_center_x is not None and quality.face_center_y is not None:
        values["off_centre"] = math.hypot(quality.face_center_x - 0.5, quality.face_center_y - 0.5)
    if quality.face_tilt_degrees is not None:
        values["roll"] = abs(quality.face_tilt_degrees)
    face = analysis.main_face
    if face is not None:
        for name in EMOTION_FEATURES:
            if name in face.emotions:
                values[name] = float(face.emotions[name])
        mesh = getattr(face, "mesh", None)
        if mesh is not None:
            values["smile"] = float(mesh.smile)
            values["mouth_open"] = float(mesh.mouth_open)
            values["roll"] = abs(float(mesh.roll_degrees))
            values["yaw"] = abs(float(mesh.yaw_degrees))
    return {name: round(value, 5) for name, value in values.items()}
