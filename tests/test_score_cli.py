"""`selfiebot score PATH... [--json]`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.settings import get_settings
from tests.conftest import REFERENCE, SELFIES_DEV, needs_shared
from tests.models_kit import tiny_popularity_model

DATA = Path(__file__).parent / "data"
runner = CliRunner()


@pytest.fixture
def tiny_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    model = tiny_popularity_model(tmp_path)
    monkeypatch.setenv("SELFIEBOT_POPULARITY_MODEL", str(model.onnx_path))
    get_settings.cache_clear()
    return model.onnx_path


def test_json_has_one_entry_per_path_and_errors_in_place(tiny_model: Path, tmp_path: Path) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("not a photo")
    paths = [DATA / "astronaut.jpg", bad, tmp_path / "missing.jpg", DATA / "rocket.jpg"]
    result = runner.invoke(app, ["score", *map(str, paths), "--json"])
    assert result.exit_code == 2, result.output
    entries = json.loads(result.stdout)
    assert [entry["path"] for entry in entries] == [str(p) for p in paths]
    good, text, missing, rocket = entries
    assert good["error"] is None and rocket["error"] is None
    for entry in entries:
        assert {"path", "score", "popular_probability", "faces", "quality", "error"} <= set(entry)
    assert good["score"] == round(good["popular_probability"] * 100)
    (face,) = good["faces"]
    assert len(face["box"]) == 4 and len(face["emotions"]) == 7
    assert face["dominant_emotion"] == "happy" and set(face["landmarks"]) >= {"left_eye", "nose"}
    assert set(good["model_versions"]) == {"popularity", "emotions", "faces"}
    assert rocket["faces"] == [] and rocket["quality"]["face_area_ratio"] is None
    assert text["error"].startswith("That file isn't a photo I can read")
    assert text["score"] is None and text["faces"] == []
    assert "missing.jpg" in missing["error"]


def test_readable_line_per_photo(tiny_model: Path) -> None:
    result = runner.invoke(app, ["score", str(DATA / "astronaut.jpg"), str(DATA / "grass.jpg")])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2
    assert "astronaut.jpg: score " in lines[0] and "1 face (happy" in lines[0]
    assert "grass.jpg: score " in lines[1] and "no face found" in lines[1]


def test_missing_popularity_model_is_one_sentence_and_exit_1(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SELFIEBOT_POPULARITY_MODEL", raising=False)
    get_settings.cache_clear()
    result = runner.invoke(app, ["score", str(DATA / "astronaut.jpg"), "--json"])
    assert result.exit_code == 1
    assert result.stdout == ""
    message = result.stderr.strip()
    assert "selfiebot models fetch" in message and len(message.splitlines()) == 1


def test_help() -> None:
    result = runner.invoke(app, ["score", "--help"])
    assert result.exit_code == 0 and "--json" in result.stdout


@needs_shared
def test_seed_scores_match_the_reference() -> None:
    reference = json.loads((REFERENCE / "seed_outputs_dev.json").read_text())
    names = sorted(reference)[:3]
    result = runner.invoke(app, ["score", "--json", *(str(SELFIES_DEV / n) for n in names)])
    assert result.exit_code == 0, result.output
    for name, entry in zip(names, json.loads(result.stdout), strict=True):
        assert abs(entry["popular_probability"] - reference[name][1]) <= 1e-4
