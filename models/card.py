"""The model card: the JSON that travels beside every ONNX model and states its contract.

The analyzer reads the contract (input size, colour, normalisation, which output is the label)
from here rather than from constants, so another popularity model with its own card can be
swapped in; the SHA-256s let results name the exact model that produced them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

CARD_FORMAT = 1

NORMALISATIONS = ("x / 255", "(x / 255 - 0.5) * 2", "x")
"""The `normalisation` values a card may state: the analyzer implements exactly these
(`inference.popularity.NORMALISATIONS`; a test keeps the two lists equal), so the registry can
refuse any other card up front without importing the analyzer."""


CONVERTER_VERSION = 3
"""Raised whenever installing writes a different graph for the same .h5 (2: Elu with alpha 1
spelled as Max(x, Exp(Min(x, 0)) - 1); 3: the penultimate layer as a second output). Cards
record it in `converted_by`, and the registry re-converts a cached model whose card names
another version; it lives here, not in the converter package, so that check never imports onnx
or h5py."""

CONVERTED_BY = f"selfiebot models.keras_onnx {CONVERTER_VERSION} (h5py + onnx + numpy)"


@dataclass(frozen=True)
class ModelCard:
    """What a model expects and what it outputs; `sha256` is of the ONNX file itself."""

    name: str
    source: str
    input_size: tuple[int, int]
    colour: str
    channels: int
    resize: str
    normalisation: str
    label: str
    output_index: int | None
    reported_accuracy: float | None
    sha256: str
    source_sha256: str
    converted_by: str
    licence: str
    input_name: str = "input"
    output_name: str = "output"
    labels: tuple[str, ...] = ()
    preprocessing: str = ""
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        """Stable, human-readable JSON (sorted keys) so regenerated cards diff cleanly."""
        data = asdict(self)
        data["input_size"] = list(self.input_size)
        data["labels"] = list(self.labels)
        data["card_format"] = CARD_FORMAT
        return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> ModelCard:
        """Parse a card; unknown keys are kept in `extra` so newer cards still load."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"the model card is not valid JSON ({exc})") from exc
        if not isinstance(data, dict):
            raise ValueError("the model card is not a JSON object")
        data.pop("card_format", None)
        known = {f.name for f in fields(cls)}
        extra = dict(data.pop("extra", {}) or {})
        extra.update({key: data.pop(key) for key in list(data) if key not in known})
        try:
            size = data.pop("input_size")
            card = cls(
                input_size=(int(size[0]), int(size[1])),
                labels=tuple(data.pop("labels", ())),
                extra=extra,
                **data,
            )
        except (KeyError, TypeError, IndexError, ValueError) as exc:
            raise ValueError(f"the model card is missing or has a malformed field ({exc})") from exc
        return card

    def save(self, path: Path) -> None:
        path.write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> ModelCard:
        return cls.from_json(path.read_text(encoding="utf-8"))
