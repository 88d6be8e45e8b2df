"""The popularity CNN's penultimate layer, exposed at load time for the group taste model.

Keras reference outputs (../shared/reference) prove the exposed activations are the ones the
seed's last Dense layer reads: feeding them through that layer's weights gives Keras' scores.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from inference.popularity import PopularityModel
from models.keras_onnx import convert_keras_h5, load_keras_h5
from models.registry import ModelFile, popularity_model
from models.seed import popularity_card
from tests.conftest import REFERENCE, SEED_MODEL, needs_shared
from tests.models.models_kit import sha256_of, tiny_popularity_h5, tiny_popularity_model

TOLERANCE = 1e-4


@needs_shared
def test_penultimate_activations_reproduce_keras_scores_through_the_last_layer():
    from bot.settings import get_settings

    model = PopularityModel(popularity_model(get_settings().model_paths()))
    inputs = np.load(REFERENCE / "seed_inputs_dev.npy")
    expected = np.load(REFERENCE / "seed_outputs_dev.npy")
    probabilities, embedding = model.predict_with_embedding(inputs)
    assert embedding is not None and embedding.shape == (30, 8)
    assert np.abs(probabilities - expected[:, 1]).max() <= TOLERANCE
    assert np.array_equal(model.predict(inputs), probabilities)
    last = {layer.name: layer for layer in load_keras_h5(SEED_MODEL).layers}["dense_1"]
    kernel, bias = (np.asarray(last.weights[key], np.float64) for key in ("kernel", "bias"))
    through_last_layer = 1 / (1 + np.exp(-(embedding @ kernel + bias)))
    assert np.abs(through_last_layer - expected).max() <= TOLERANCE


def test_a_converted_dense_head_exposes_its_input(tmp_path: Path):
    h5 = tiny_popularity_h5(tmp_path / "tiny.h5", size=128)
    onnx_path = tmp_path / "tiny.onnx"
    onnx_path.write_bytes(convert_keras_h5(h5).SerializeToString())
    card = popularity_card(sha256=sha256_of(onnx_path), source_sha256="", source="tests")
    model = PopularityModel(ModelFile(onnx_path, card))
    batch = np.random.default_rng(0).random((3, 128, 128, 3), dtype=np.float32)
    probabilities, embedding = model.predict_with_embedding(batch)
    assert np.array_equal(probabilities, model.predict(batch))
    assert embedding is not None and embedding.shape == (3, 64 * 64 * 4)


def test_a_model_without_a_dense_head_loads_as_it_is(tmp_path: Path):
    model = PopularityModel(tiny_popularity_model(tmp_path))
    batch = np.full((2, 128, 128, 3), 0.25, dtype=np.float32)
    probabilities, embedding = model.predict_with_embedding(batch)
    assert embedding is None
    assert probabilities == pytest.approx([0.25, 0.25])
