"""`selfiebot score PATH... [--json] [--tips [--save DIR]]`: score photos from the terminal.

It lives in `bot/` rather than `inference/` because `--tips` words the suggestions through the
bot's message catalogue, and `inference` never imports `bot`. Heavy imports (ONNX Runtime, the
model registry) happen inside the verb so `selfiebot --help` stays instant.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from bot.settings import Settings
    from inference.analyzer import Analyzer
    from inference.results import Analysis

EXIT_MODEL_MISSING = 1
EXIT_SOME_FAILED = 2
EXIT_BAD_OPTIONS = 3


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
            show_default="one line per photo",
        ),
    ] = False,
    with_tips: Annotated[
        bool,
        typer.Option(
            "--tips",
            help="Also run the tips engine: at most 3 suggestions (the best believable edit "
            'with its re-scored gain, then advice) under "tips" in the JSON.',
            show_default="off",
        ),
    ] = False,
    save: Annotated[
        Path | None,
        typer.Option(
            "--save",
            metavar="DIR",
            help="With --tips: save each best edit as PNG in DIR (created if needed); its "
            "path is tips.best.image. Without --save, tips.best.image is null.",
            show_default="not saved",
        ),
    ] = None,
) -> None:
    """Score photos: popularity (0-100), faces and their expressions, quality measures.

    Exit code: 1 without a popularity model; 2 if some photos could not be read (the rest
    are still scored); 3 for --save without --tips or a DIR that cannot be created; 0 otherwise.
    """
    from bot.settings import get_settings
    from inference.analyzer import Analyzer
    from inference.errors import PhotoError
    from models.registry import ModelMissingError

    if save is not None:
        _prepare(save, with_tips)
    settings = get_settings()
    try:
        analyzer = Analyzer.from_config(settings.analyzer_config())
    except ModelMissingError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(EXIT_MODEL_MISSING) from error

    entries: list[dict[str, Any]] = []
    readable: list[str] = []
    with analyzer:
        for index, path in enumerate(paths):
            try:
                data = path.read_bytes()
                # --tips reads FaceMesh (smile, tilt): the JSON then shows what it read.
                analysis = analyzer.analyze(data, mesh=with_tips)
                entry = _entry(path, analysis)
                readable.append(_line(entry))
                if with_tips:
                    name = f"{index + 1:03d}-{path.stem}-best.png"
                    target = save / name if save is not None else None
                    entry["tips"], words = _tips(analyzer, settings, data, analysis, target)
                    readable.append(words)
                entries.append(entry)
            except PhotoError as error:
                entries.append(_failed(path, error.user_message, with_tips))
                readable.append(_line(entries[-1]))
            except OSError as error:
                message = f"Cannot read {path}: {error.strerror or error}."
                entries.append(_failed(path, message, with_tips))
                readable.append(_line(entries[-1]))

    typer.echo(
        json.dumps(entries, indent=2, ensure_ascii=False) if as_json else "\n".join(readable)
    )
    if any(entry["error"] for entry in entries):
        raise typer.Exit(EXIT_SOME_FAILED)


def _prepare(folder: Path, with_tips: bool) -> None:
    """Refuse --save without --tips; create DIR (a clear sentence when that fails)."""
    if not with_tips:
        typer.echo("--save DIR only works together with --tips.", err=True)
        raise typer.Exit(EXIT_BAD_OPTIONS)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        typer.echo(f"Cannot create {folder}: {error.strerror or error}.", err=True)
        raise typer.Exit(EXIT_BAD_OPTIONS) from error


def _tips(
    analyzer: Analyzer, settings: Settings, data: bytes, shown: Analysis, target: Path | None
) -> tuple[dict[str, Any], str]:
    """Run the tips engine on the upright photo at full resolution; its `tips` JSON object and
    the same suggestions as readable English lines. The best edit's PNG is written to `target`
    (None: not saved, and `best.image` is null)."""
    from bot.core import tips as wording
    from bot.core.i18n import Translator
    from bot.core.markup import to_plain
    from inference import tips as engine
    from inference.decode import decode_photo

    image = decode_photo(
        data, settings.max_image_pixels, max_bytes=settings.max_upload_bytes, draft_min_side=None
    ).image
    result = engine.suggest(analyzer, image, shown)
    saved = None
    if target is not None and result.best is not None:
        target.write_bytes(result.best.png)
        saved = str(target)
    t = Translator()
    words = to_plain(wording.reply_text(result, t))
    if saved is not None:
        words += f"\n{saved}"
    return wording.tips_json(result, t, saved), words


def _entry(path: Path, analysis: Analysis) -> dict[str, Any]:
    return {"path": str(path), **analysis.to_dict(), "error": None}


def _failed(path: Path, message: str, with_tips: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {
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
    if with_tips:
        entry["tips"] = None
    return entry


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
