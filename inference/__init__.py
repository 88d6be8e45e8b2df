"""On-device photo analysis: faces, expressions, the popularity score and quality measures.

`Analyzer` is the entry point (`Analyzer.from_config(AnalyzerConfig(...))`, the bot builds the
config from its settings); bad photos raise `PhotoError`.
Names are imported on first use (PEP 562) so importing a light submodule, such as the CLI verb,
does not load ONNX Runtime and numpy.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from inference.analyzer import Analyzer
    from inference.decode import DecodedPhoto, decode_photo, to_rgb
    from inference.errors import PhotoError
    from inference.results import EMOTIONS, Analysis, Face, Quality

_EXPORTS = {
    "Analyzer": "inference.analyzer",
    "DecodedPhoto": "inference.decode",
    "decode_photo": "inference.decode",
    "to_rgb": "inference.decode",
    "PhotoError": "inference.errors",
    "EMOTIONS": "inference.results",
    "Analysis": "inference.results",
    "Face": "inference.results",
    "Quality": "inference.results",
}

__all__ = [
    "EMOTIONS",
    "Analysis",
    "Analyzer",
    "DecodedPhoto",
    "Face",
    "PhotoError",
    "Quality",
    "decode_photo",
    "to_rgb",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'inference' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
