"""What the model layer needs to know from the outside world, as one small frozen object.

`models` sits below the bot: it never reads the bot's settings. The CLI and the service build a
`ModelPaths` from `bot.settings.Settings` (`Settings.model_paths()`); tests build one directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

INSTALLED_ONNX = "popularity.onnx"
INSTALLED_CARD = "popularity.json"


@dataclass(frozen=True)
class ModelPaths:
    """Where the popularity model comes from: a configured file, else the user's cache."""

    cache_dir: Path
    popularity_model: Path | None = None
    """An .h5 (converted on first use) or .onnx file; None: the model installed in the cache."""

    @property
    def installed_dir(self) -> Path:
        """Where `models fetch` / `models import` put the converted model and its card."""
        return self.cache_dir / "models"

    @property
    def installed_onnx(self) -> Path:
        return self.installed_dir / INSTALLED_ONNX

    @property
    def installed_card(self) -> Path:
        return self.installed_dir / INSTALLED_CARD

    @property
    def converted_dir(self) -> Path:
        """Where a configured .h5 is converted to, keyed by its SHA-256."""
        return self.installed_dir / "converted"

    @property
    def configured(self) -> Path | None:
        """The configured model file, None when unset (an empty variable reads as `.`)."""
        if self.popularity_model is None or self.popularity_model == Path("."):
            return None
        return self.popularity_model.expanduser()
