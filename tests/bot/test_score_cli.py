"""`selfiebot score PATH... [--json]`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.settings import get_settings
from tests.conftest import REFERENCE, SELFIES_DEV, needs_shared
from tests.models.models_kit import tiny_popularity_model
from tests.paths import TEST_DATA

DATA = TEST_DATA
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


def _json(args: list[str]) -> list[dict]:
    result = runner.invoke(app, ["score", "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@needs_shared
def test_tips_save_the_best_edit_and_its_score_is_what_score_gives_it(tmp_path: Path) -> None:
    """The outside contract: `score --json --tips --save DIR`, then score the saved PNG."""
    from PIL import Image

    photos = [DATA / "astronaut.jpg", sorted(SELFIES_DEV.glob("*.jpg"))[1], DATA / "grass.jpg"]
    entries = _json([*map(str, photos), "--tips", "--save", str(tmp_path / "out")])
    assert [entry["path"] for entry in entries] == [str(p) for p in photos]
    for photo, entry in zip(photos, entries, strict=True):
        tips = entry["tips"]
        assert set(tips) == {"suggestions", "best"}
        assert len(tips["suggestions"]) <= 3
        for suggestion in tips["suggestions"]:
            assert set(suggestion) == {"kind", "text", "gain"}
            assert suggestion["kind"] in {"edit", "advice"} and suggestion["text"]
            assert suggestion["gain"] is None or suggestion["gain"] >= 2
        best = tips["best"]
        if best is None:
            assert all(s["kind"] == "advice" for s in tips["suggestions"])
            continue
        assert set(best) == {"score", "image", "crop", "edits"}
        # These photos are small enough that the engine edits them at full size: its baseline
        # is the score printed for the photo.
        edit = tips["suggestions"][0]
        assert edit["kind"] == "edit" and edit["gain"] == best["score"] - entry["score"] >= 2
        saved = Path(best["image"])
        assert saved.parent == tmp_path / "out" and saved.suffix == ".png"
        (rescored,) = _json([str(saved)])
        assert rescored["score"] == best["score"]
        if best["crop"] is not None:
            x, y, w, h = best["crop"]
            with Image.open(photo) as original:
                assert x >= 0 and y >= 0 and x + w <= original.width and y + h <= original.height
            assert "crop" in best["edits"]
    astronaut = entries[0]["tips"]["best"]
    assert astronaut is not None and astronaut["crop"] is not None, "a 3% face gets framed"
    fx, fy, fw, fh = entries[0]["faces"][0]["box"]
    x, y, w, h = astronaut["crop"]
    assert x <= fx and y <= fy and x + w >= fx + fw and y + h >= fy + fh
    assert entries[2]["tips"]["suggestions"][-1]["kind"] == "advice"
    # The advice read FaceMesh's smile and tilt; the JSON shows what it read.
    assert all(entry["faces"][0]["mesh"] is not None for entry in entries[:2])


@needs_shared
def test_tips_without_save_report_no_image_and_readable_output_lists_them() -> None:
    (entry,) = _json([str(DATA / "astronaut.jpg"), "--tips"])
    assert entry["tips"]["best"] is not None and entry["tips"]["best"]["image"] is None
    result = runner.invoke(app, ["score", str(DATA / "astronaut.jpg"), "--tips"])
    assert result.exit_code == 0, result.output
    assert "Tips for your last photo" in result.stdout and "Edited photo" in result.stdout


def test_save_needs_tips_and_unreadable_photos_get_null_tips(
    tiny_model: Path, tmp_path: Path
) -> None:
    refused = runner.invoke(app, ["score", str(DATA / "astronaut.jpg"), "--save", str(tmp_path)])
    assert refused.exit_code == 3 and "--tips" in refused.stderr
    bad = tmp_path / "notes.txt"
    bad.write_text("not a photo")
    result = runner.invoke(app, ["score", str(bad), "--json", "--tips"])
    assert result.exit_code == 2
    (entry,) = json.loads(result.stdout)
    assert entry["tips"] is None and entry["error"]
