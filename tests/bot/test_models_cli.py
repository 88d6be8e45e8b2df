"""`selfiebot models fetch|import|status` as a user runs them (Typer's CliRunner, loopback only)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.settings import get_settings
from models.registry import MISSING_MESSAGE, PINNED_SHA256
from tests.conftest import SEED_MODEL, needs_shared
from tests.models.models_kit import closed_port_url, serve_directory, sha256_of, tiny_popularity_h5

runner = CliRunner()


@pytest.fixture(autouse=True)
def _no_configured_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SELFIEBOT_POPULARITY_MODEL", raising=False)
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["models", "--help"], "fetch"),
        (["models", "fetch", "--help"], "SHA-256"),
        (["models", "import", "--help"], "Keras .h5"),
        (["models", "status", "--help"], "exits 1"),
    ],
)
def test_every_verb_has_help(args, expected):
    result = runner.invoke(app, args)
    assert result.exit_code == 0
    assert expected in result.output


def test_status_without_model_exits_1_with_the_fix():
    result = runner.invoke(app, ["models", "status"])
    assert result.exit_code == 1
    assert result.stderr.strip() == MISSING_MESSAGE
    assert result.stdout == ""


def test_import_then_status_shows_both_cards(tmp_path):
    h5 = tiny_popularity_h5(tmp_path / "retrained.h5")
    imported = runner.invoke(app, ["models", "import", str(h5)])
    assert imported.exit_code == 0, imported.output
    assert "Installed the popularity model" in imported.stdout
    assert "not the pinned seed model" in imported.stderr

    status = runner.invoke(app, ["models", "status"])
    assert status.exit_code == 0, status.output
    assert "Popularity model:" in status.stdout and "Emotion model:" in status.stdout
    assert sha256_of(h5) in status.stdout
    assert "angry, disgust, fear, happy, sad, surprise, neutral" in status.stdout


def test_import_of_a_non_model_fails_cleanly(tmp_path):
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0 not a model")
    result = runner.invoke(app, ["models", "import", str(path)])
    assert result.exit_code == 1
    assert "is not a Keras HDF5 (.h5) model file" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_fetch_from_a_local_server(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    h5 = tiny_popularity_h5(served / "best_model.h5")
    with serve_directory(served) as base:
        result = runner.invoke(
            app,
            ["models", "fetch", "--url", f"{base}/best_model.h5", "--sha256", sha256_of(h5)],
        )
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["models", "status"]).exit_code == 0


def test_fetch_with_mismatching_sha_fails_and_installs_nothing(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    tiny_popularity_h5(served / "best_model.h5")
    with serve_directory(served) as base:
        result = runner.invoke(app, ["models", "fetch", "--url", f"{base}/best_model.h5"])
    assert result.exit_code == 1
    assert f"not the expected {PINNED_SHA256}" in result.stderr
    assert runner.invoke(app, ["models", "status"]).exit_code == 1


def test_fetch_offline_says_so_in_one_sentence():
    result = runner.invoke(app, ["models", "fetch", "--url", closed_port_url()])
    assert result.exit_code == 1
    message = result.stderr.strip()
    assert message.startswith("Could not download the popularity model")
    assert "check the internet connection" in message and "selfiebot models import" in message
    assert message.count("\n") == 0 and ". " not in message


@needs_shared
def test_status_with_the_seed_configured(monkeypatch):
    monkeypatch.setenv("SELFIEBOT_POPULARITY_MODEL", str(SEED_MODEL))
    get_settings.cache_clear()
    result = runner.invoke(app, ["models", "status"])
    assert result.exit_code == 0, result.output
    assert "seed-popularity-cnn" in result.stdout and "0.709" in result.stdout
    assert PINNED_SHA256 in result.stdout


@needs_shared
def test_import_of_the_seed_prints_no_warning():
    result = runner.invoke(app, ["models", "import", str(SEED_MODEL)])
    assert result.exit_code == 0, result.output
    assert "seed-popularity-cnn" in result.stdout
    assert "Warning" not in result.stderr
    assert "download" not in result.output.lower(), "a local import downloads nothing"
