"""`selfiebot taste --train REACTIONS.csv PHOTO... [--json]`: fit a group's taste from a file of
reactions and rank photos by it, with the same code the bots use (`inference.taste`).

REACTIONS.csv has a header and the columns `path,reactions,members`: a photo the group saw,
how many people reacted to it and how many could have. Paths are read as given, else relative
to the CSV's folder. Prints, per PHOTO, its group score (0..100, higher = more to this group's
taste; the global score when the CSV holds no reactions). Lives in `bot/` because it reads the
settings for the models; heavy imports stay inside the verb so `selfiebot --help` is instant.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

COLUMNS = ("path", "reactions", "members")
EXIT_BAD_INPUT = 2


@dataclass(frozen=True)
class Reacted:
    """One row of the reactions file."""

    path: Path
    reactions: int
    members: int


class BadInput(ValueError):
    """A reactions file or photo the command cannot use; the message says what to fix."""


def read_reactions(csv_path: Path) -> list[Reacted]:
    """The rows of REACTIONS.csv, checked; raises `BadInput` naming the file and line."""
    try:
        text = csv_path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise BadInput(f"Cannot read {csv_path}: {exc.strerror or exc}.") from exc
    except UnicodeDecodeError as exc:
        raise BadInput(f"{csv_path} is not a UTF-8 text file.") from exc
    reader = csv.DictReader(text.splitlines())
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise BadInput(
            f"{csv_path} needs a header with the columns {','.join(COLUMNS)}; "
            f"missing: {', '.join(missing)}."
        )
    reader.fieldnames = header
    rows: list[Reacted] = []
    for line, row in enumerate(reader, start=2):
        where = f"{csv_path} line {line}"
        raw_path = (row.get("path") or "").strip()
        if not raw_path:
            raise BadInput(f"{where}: the path is empty.")
        reactions = _count(row.get("reactions"), where, "reactions")
        members = _count(row.get("members"), where, "members")
        if members < 1:
            raise BadInput(f"{where}: members must be at least 1.")
        if reactions > members:
            raise BadInput(f"{where}: {reactions} reactions from only {members} members.")
        rows.append(Reacted(_existing(Path(raw_path), csv_path.parent, where), reactions, members))
    if not rows:
        raise BadInput(f"{csv_path} has no rows under its header.")
    return rows


def _count(value: str | None, where: str, column: str) -> int:
    text = (value or "").strip()
    if not text.isdigit():
        raise BadInput(f"{where}: {column} must be a whole number of 0 or more, not {text!r}.")
    return int(text)


def _existing(path: Path, folder: Path, where: str) -> Path:
    for candidate in (path, folder / path):
        if candidate.is_file():
            return candidate
    raise BadInput(f"{where}: there is no photo at {path}.")


def taste(
    photos: Annotated[
        list[Path], typer.Argument(metavar="PHOTO...", help="Photos to rank by the group's taste.")
    ],
    train: Annotated[
        Path,
        typer.Option(
            "--train",
            metavar="REACTIONS.csv",
            help="CSV with the columns path,reactions,members: the photos the group reacted to.",
        ),
    ],
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help='Print [{"path": ..., "group_score": ...}, ...].', show_default="off"
        ),
    ] = False,
) -> None:
    """Fit a group's taste from its reactions and give each PHOTO its group score."""
    from bot.settings import get_settings
    from inference import Analyzer, PhotoError
    from inference.taste.features import photo_features
    from inference.taste.model import RatedPhoto, fit_taste
    from models.registry import ModelMissingError

    try:
        rows = read_reactions(train)
        for path in photos:
            if not path.is_file():
                raise BadInput(f"There is no photo at {path}.")
    except BadInput as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from error
    try:
        analyzer = Analyzer.from_config(get_settings().analyzer_config())
    except ModelMissingError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from error
    with analyzer:
        paths = [row.path for row in rows] + list(photos)
        results = analyzer.analyze_batch([path.read_bytes() for path in paths], mesh=True)
    failed = [(p, r) for p, r in zip(paths, results, strict=True) if isinstance(r, PhotoError)]
    if failed:
        for path, problem in failed:
            typer.echo(f"{path}: {problem.user_message}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    analyses = [result for result in results if not isinstance(result, PhotoError)]
    model = fit_taste(
        [
            RatedPhoto(
                photo_features(analysis), analysis.popular_probability, row.reactions, row.members
            )
            for row, analysis in zip(rows, analyses, strict=False)
        ]
    )
    scored = [
        {
            "path": str(path),
            "group_score": round(
                model.group_score(photo_features(analysis), analysis.popular_probability), 3
            ),
        }
        for path, analysis in zip(photos, analyses[len(rows) :], strict=True)
    ]
    if as_json:
        typer.echo(json.dumps(scored, ensure_ascii=False))
        return
    for item, analysis in zip(scored, analyses[len(rows) :], strict=True):
        typer.echo(
            f"{item['path']}: group score {item['group_score']:.0f} (global {analysis.score})"
        )
    typer.echo(f"learned from {model.rated} rated photos, {model.reactions} reactions")
