"""`selfiebot taste --train REACTIONS.csv PHOTO... --json`: the contract for outside checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.settings import get_settings
from inference import Analyzer
from tests.conftest import SELFIES_DEV, needs_shared

runner = CliRunner()
pytestmark = needs_shared


def _selfies() -> list[Path]:
    return sorted(SELFIES_DEV.glob("*.jpg"))


def _csv(path: Path, rows: list[tuple[str, int, int]]) -> Path:
    lines = ["path,reactions,members", *(f"{p},{r},{m}" for p, r, m in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_without_reactions_every_group_score_is_the_global_score(tmp_path: Path):
    photos = _selfies()
    train = _csv(tmp_path / "r.csv", [(str(p), 0, 10) for p in photos[:8]])
    result = runner.invoke(app, ["taste", "--train", str(train), *map(str, photos[8:11]), "--json"])
    assert result.exit_code == 0, result.output
    scored = json.loads(result.stdout)
    assert [item["path"] for item in scored] == [str(p) for p in photos[8:11]]
    with Analyzer.from_config(get_settings().analyzer_config()) as analyzer:
        for item, path in zip(scored, photos[8:11], strict=True):
            expected = analyzer.analyze(path.read_bytes()).popular_probability * 100
            assert item["group_score"] == pytest.approx(expected, abs=1e-3)


def test_reactions_change_the_ranking_and_paths_resolve_beside_the_csv(tmp_path: Path):
    photos = _selfies()[:12]
    for photo in photos:
        (tmp_path / photo.name).write_bytes(photo.read_bytes())
    # The group reacts to the photos the global score ranks lowest, and ignores the rest.
    with Analyzer.from_config(get_settings().analyzer_config()) as analyzer:
        ranked = sorted(photos, key=lambda p: analyzer.analyze(p.read_bytes()).score)
    rows = [(p.name, 9 if i < 6 else 0, 10) for i, p in enumerate(ranked)]
    train = _csv(tmp_path / "r.csv", rows)
    shown = [str(ranked[0]), str(ranked[-1])]
    result = runner.invoke(app, ["taste", "--train", str(train), *shown, "--json"])
    assert result.exit_code == 0, result.output
    low, high = json.loads(result.stdout)
    assert low["group_score"] > high["group_score"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("path,reactions\nx.jpg,1\n", "missing: members"),
        ("path,reactions,members\n", "no rows"),
        ("path,reactions,members\nnowhere.jpg,1,5\n", "line 2: there is no photo at nowhere.jpg"),
        ("path,reactions,members\n{photo},six,5\n", "reactions must be a whole number"),
        ("path,reactions,members\n{photo},7,5\n", "7 reactions from only 5 members"),
    ],
)
def test_bad_reactions_files_are_explained(tmp_path: Path, content: str, message: str):
    train = tmp_path / "r.csv"
    train.write_text(content.format(photo=_selfies()[0]), encoding="utf-8")
    result = runner.invoke(app, ["taste", "--train", str(train), str(_selfies()[1])])
    assert result.exit_code == 2
    assert message in result.stderr


def test_a_missing_photo_is_named(tmp_path: Path):
    train = _csv(tmp_path / "r.csv", [(str(_selfies()[0]), 1, 5)])
    result = runner.invoke(app, ["taste", "--train", str(train), str(tmp_path / "gone.jpg")])
    assert result.exit_code == 2
    assert "There is no photo at" in result.stderr and "gone.jpg" in result.stderr
