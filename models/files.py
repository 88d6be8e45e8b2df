"""A usable model on disk, and the two ways finding one fails.

Shared by `models.registry` (resolving an installed model) and `models.install` (making one), so
neither imports the other's module for them: the registry may call the installer, never the
reverse.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from models.card import ModelCard


def selfiebot_command() -> str:
    """How to type `selfiebot` here: its name when PATH finds this one, else its path (after
    `make run` it lives in `.venv/bin/`, which is not on PATH)."""
    beside = Path(sys.executable).with_name("selfiebot")
    if not beside.exists() or shutil.which("selfiebot") == str(beside):
        return "selfiebot"
    try:
        return str(beside.relative_to(Path.cwd()))
    except ValueError:
        return str(beside)


FIX = (
    f"run `{selfiebot_command()} models fetch` (needs internet) or "
    f"`{selfiebot_command()} models import PATH/best_model.h5` (in the checkout, `make models` "
    "does whichever applies)"
)
MISSING_MESSAGE = f"No popularity model is installed: {FIX}."


class ModelMissingError(RuntimeError):
    """No usable popularity model; `str()` is one sentence including the command that fixes it."""

    def __init__(self, message: str = MISSING_MESSAGE) -> None:
        super().__init__(message)


class ModelInstallError(RuntimeError):
    """Fetching or importing failed (offline, wrong checksum, not a usable Keras file)."""


@dataclass(frozen=True)
class ModelFile:
    """An ONNX model on disk and the card that says how to feed it and read it."""

    onnx_path: Path
    card: ModelCard


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in blocks so a large model never sits in memory twice."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
