"""`selfiebot score PATH... [--json]`: score photos from the terminal.

Heavy imports (ONNX Runtime, the model registry) happen inside the verb so `selfiebot --help`
stays instant.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from inference.results import Analysis

EXIT_MODEL_MISSING = 1
EXIT_SOME_FAILED = 2


def score(
    paths: Annotated[
        list[Path],
        typer.Argument(metavar="PATH...", help="Photos to score (JPEG, PNG, WebP, GIF, HEIC)."),
    ],
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print one JSON array: per path its score, probability, faces (box, "
            "emotions), quality, model versions, and error (null or the message).",
        ),
    ] = False,
) -> None:
    """Score photos: popularity (0-100), faces and their expressions, quality measures.

    Exit code: 1 without a popularity model; 2 if some photos could not be read (the rest
    are still scored); 0 otherwise.
    """
    from bot.settings import get_settings
    from inference.analyzer import Analyzer
    from inference.errors import PhotoError
    from models.registry import ModelMissingError

    try:
        analyzer = Analyzer.from_settings(get_settings())
    except ModelMissingError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(EXIT_MODEL_MISSING) from error

    entries: list[dict[str, Any]] = []
    for path in paths:
        try:
            entries.append(_entry(path, analyzer.analyze(path.read_bytes())))
        except PhotoError as error:
            entries.append(_failed(path, error.user_message))
        except OSError as error:
            entries.append(_failed(path, f"Cannot read {path}: {error.strerror or error}."))

    if as_json:
        typer.echo(json.dumps(entries, indent=2, ensure_ascii=False))
    else:
        for entry in entries:
            typer.echo(_line(entry))
    if any(entry["error"] for entry in entries):
        raise typer.Exit(EXIT_SOME_FAILED)


def _entry(path: Path, analysis: Analysis) -> dict[str, Any]:
    return {"path": str(path), **analysis.to_dict(), "error": None}


def _failed(path: Path, message: str) -> dict[str, Any]:
    return {
        "path": str(path),
        "score": None,
        "popular_probability": None,
        "width": None,
        "height": None,
        "faces": [],
        "quality": None,
        "model_versions": None,
        "error": message,
    }


def _line(entry: dict[str, Any]) -> str:
    """One readable line: score, probability, faces with their main expression, size."""
    if entry["error"]:
        return f"{entry['path']}: {entry['error']}"
    faces = entry["faces"]
    if faces:
        moods = ", ".join(
            f"{face['dominant_emotion']} {face['emotions'][face['dominant_emotion']]:.0%}"
            for face in faces
        )
        face_text = f"{len(faces)} face{'s' if len(faces) > 1 else ''} ({moods})"
    else:
        face_text = "no face found"
    return (
        f"{entry['path']}: score {entry['score']}/100 "
        f"(P(popular) = {entry['popular_probability']:.4f}), {face_text}, "
        f"{entry['width']}x{entry['height']}"
    )
