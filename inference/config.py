"""What the analyzer needs to know from the outside world, as one small frozen object.

`inference` sits below the bot: it never reads the bot's settings. The CLI and the service build
an `AnalyzerConfig` from `bot.settings.Settings` (`Settings.analyzer_config()`); tests and
benchmarks may build one directly.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.config import ModelPaths

DEFAULT_MAX_PIXELS = 40_000_000


@dataclass(frozen=True)
class AnalyzerConfig:
    """Which models to load and how much of the machine to use."""

    models: ModelPaths
    intra_op_threads: int = 1
    """Intra-op threads of each ONNX Runtime session."""
    workers: int = 2
    """Threads of the worker pool behind the batch and async calls."""
    max_pixels: int = DEFAULT_MAX_PIXELS
    """Photos with more pixels are refused."""
    max_bytes: int | None = None
    """Photo files larger than this are refused; None: no limit beyond `max_pixels`."""
