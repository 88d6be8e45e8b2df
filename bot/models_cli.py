"""`selfiebot models ...`: install and inspect the popularity model (the emotion model ships).

It lives in the bot, not in `models`, because it reads the settings (`Settings.model_paths()`);
the model layer below never does. Heavy imports (h5py, onnx, httpx: `models.install`) stay
inside the verbs that convert or download, so `selfiebot --help` and `models status` stay
instant.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from models.registry import ModelFile

app = typer.Typer(
    name="models",
    help="Install and inspect the models: fetch or import the popularity model, show status.",
    no_args_is_help=True,
    add_completion=False,
)


@app.command(
    help="Download the seed's popularity CNN from its pinned address (needs internet), check "
    "its SHA-256, convert it to ONNX and install it in the user cache dir."
)
def fetch(
    url: Annotated[
        str | None,
        typer.Option(
            help="Download from this address instead of the pinned seed commit.",
            show_default="the pinned seed commit",
        ),
    ] = None,
    sha256: Annotated[
        str | None,
        typer.Option(help="Expected SHA-256 of the download.", show_default="the pinned seed's"),
    ] = None,
) -> None:
    """The seed's file has no licence, so it is fetched on the user's machine, never shipped."""
    from bot.settings import get_settings
    from models.install import fetch_popularity_model
    from models.registry import ModelInstallError
    from models.seed import PINNED_SHA256, PINNED_URL

    try:
        installed = fetch_popularity_model(
            get_settings().model_paths(), url=url or PINNED_URL, sha256=sha256 or PINNED_SHA256
        )
    except ModelInstallError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    _report_installed(installed)


@app.command(
    "import",
    help="Convert a local Keras .h5 popularity model (e.g. best_model.h5) to ONNX and install "
    "it in the user cache dir.",
)
def import_(
    path: Annotated[Path, typer.Argument(help="A Keras .h5 popularity model, e.g. best_model.h5.")],
) -> None:
    """For machines without internet, or a retrained model with the seed's contract."""
    from bot.settings import get_settings
    from models.install import import_popularity_model
    from models.registry import ModelInstallError

    try:
        installed = import_popularity_model(get_settings().model_paths(), path)
    except ModelInstallError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    _report_installed(installed)


@app.command(
    help="Show the popularity and emotion models in use and their cards; exits 1 with the "
    "command to fix it when no popularity model is available."
)
def status() -> None:
    """Scripts (`make run`) use the exit code to decide whether to fetch or import first."""
    from bot.settings import get_settings
    from models.registry import ModelMissingError, emotion_model, popularity_model

    try:
        emotion = emotion_model()
        popularity = popularity_model(get_settings().model_paths())
    except ModelMissingError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    _describe("Popularity model", popularity)
    typer.echo("")
    _describe("Emotion model", emotion)


def _report_installed(installed: ModelFile) -> None:
    from models.seed import PINNED_SHA256

    typer.echo(f"Installed the popularity model at {installed.onnx_path}.")
    if installed.card.source_sha256 != PINNED_SHA256:
        typer.echo(
            "Warning: this is not the pinned seed model (SHA-256 "
            f"{installed.card.source_sha256}); it is assumed to follow the same contract and "
            "its accuracy is unknown.",
            err=True,
        )
    _describe("Popularity model", installed)


def _describe(title: str, model: ModelFile) -> None:
    card = model.card
    accuracy = "unknown" if card.reported_accuracy is None else f"{card.reported_accuracy:.3f}"
    output = "all outputs" if card.output_index is None else f"output[{card.output_index}]"
    rows = [
        ("name", card.name),
        ("file", str(model.onnx_path)),
        ("sha256", card.sha256),
        ("source", card.source),
        ("source sha256", card.source_sha256 or "unknown"),
        ("input", f"{card.input_size[0]}x{card.input_size[1]} {card.colour}, {card.resize}"),
        ("normalisation", card.normalisation),
        ("label", f"{output}: {card.label}"),
        ("reported accuracy", accuracy),
        ("licence", card.licence),
    ]
    if card.labels:
        rows.append(("classes", ", ".join(card.labels)))
    typer.echo(f"{title}:")
    for key, value in rows:
        typer.echo(f"  {key + ':':<19}{value}")
