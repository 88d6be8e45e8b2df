"""Test helpers for the converter: write Keras-2-format HDF5 files with h5py (no TensorFlow) and
compute what Keras would, with a plain numpy implementation written independently of the
converter (channels-last throughout, TensorFlow's 'same' padding rule).
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

WEIGHT_ORDER = {
    "Conv2D": ("kernel", "bias"),
    "SeparableConv2D": ("depthwise_kernel", "pointwise_kernel", "bias"),
    "BatchNormalization": ("gamma", "beta", "moving_mean", "moving_variance"),
    "Dense": ("kernel", "bias"),
}


@dataclass
class Spec:
    """One layer as a test describes it: enough to write the file and to run the reference."""

    class_name: str
    name: str
    config: dict[str, Any] = field(default_factory=dict)
    weights: dict[str, np.ndarray] = field(default_factory=dict)
    inbound: list[str] = field(default_factory=list)


# --- writing Keras 2 HDF5 files ----------------------------------------------------------------


def _raw_layer(spec: Spec, functional: bool) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "class_name": spec.class_name,
        "config": {"name": spec.name, "trainable": True, "dtype": "float32", **spec.config},
    }
    if functional:
        raw["name"] = spec.name
        raw["inbound_nodes"] = [[[src, 0, 0, {}] for src in spec.inbound]] if spec.inbound else []
    return raw


def write_sequential(path: Path, layers: list[Spec], legacy_list: bool = False) -> Path:
    """Keras 2.2.4-tf layout ({"name", "layers"}), or Keras <= 2.1's bare layer list."""
    raw = [_raw_layer(spec, functional=False) for spec in layers]
    config = raw if legacy_list else {"name": "sequential", "layers": raw}
    return _write(path, {"class_name": "Sequential", "config": config}, layers, "2.2.4-tf")


def write_functional(path: Path, layers: list[Spec], inputs: list[str], outputs: list[str]) -> Path:
    """Keras 2.0.5-style functional `Model` config, as in fer's emotion model."""
    config = {
        "class_name": "Model",
        "config": {
            "name": "model_1",
            "layers": [_raw_layer(spec, functional=True) for spec in layers],
            "input_layers": [[name, 0, 0] for name in inputs],
            "output_layers": [[name, 0, 0] for name in outputs],
        },
    }
    return _write(path, config, layers, "2.0.5")


def _write(path: Path, config: dict[str, Any], layers: list[Spec], version: str) -> Path:
    with h5py.File(path, "w") as handle:
        handle.attrs["keras_version"] = version.encode()
        handle.attrs["backend"] = b"tensorflow"
        handle.attrs["model_config"] = json.dumps(config).encode("utf-8")
        group = handle.create_group("model_weights")
        group.attrs["layer_names"] = [spec.name.encode() for spec in layers]
        for spec in layers:
            layer_group = group.create_group(spec.name)
            names = []
            for key in WEIGHT_ORDER.get(spec.class_name, ()):
                if key in spec.weights:
                    full = f"{spec.name}_1/{key}:0"
                    layer_group.create_dataset(full, data=spec.weights[key])
                    names.append(full.encode())
            layer_group.attrs["weight_names"] = names
    return path


# --- building layer specs with random weights ---------------------------------------------------


class Layers:
    """Factory for layer specs with seeded random weights, so every test is reproducible."""

    def __init__(self, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)
        self.count = 0

    def _name(self, base: str) -> str:
        self.count += 1
        return f"{base}_{self.count}"

    def _rand(self, *shape: int, scale: float = 0.5) -> np.ndarray:
        return (self.rng.standard_normal(shape) * scale).astype(np.float32)

    def input(self, shape: tuple[int | None, ...], name: str = "input_1") -> Spec:
        return Spec("InputLayer", name, {"batch_input_shape": [None, *shape]})

    def conv2d(
        self,
        in_channels: int,
        filters: int,
        kernel: int | tuple[int, int] = 3,
        strides: int = 1,
        padding: str = "same",
        use_bias: bool = True,
        activation: str = "linear",
        dilation: int = 1,
    ) -> Spec:
        kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
        weights = {"kernel": self._rand(kh, kw, in_channels, filters)}
        if use_bias:
            weights["bias"] = self._rand(filters)
        config = {
            "filters": filters,
            "kernel_size": [kh, kw],
            "strides": [strides, strides],
            "padding": padding,
            "data_format": "channels_last",
            "dilation_rate": [dilation, dilation],
            "activation": activation,
            "use_bias": use_bias,
        }
        return Spec("Conv2D", self._name("conv2d"), config, weights)

    def separable(
        self,
        in_channels: int,
        filters: int,
        multiplier: int = 1,
        strides: int = 1,
        padding: str = "same",
        use_bias: bool = False,
        activation: str = "linear",
    ) -> Spec:
        weights = {
            "depthwise_kernel": self._rand(3, 3, in_channels, multiplier),
            "pointwise_kernel": self._rand(1, 1, in_channels * multiplier, filters),
        }
        if use_bias:
            weights["bias"] = self._rand(filters)
        config = {
            "filters": filters,
            "kernel_size": [3, 3],
            "strides": [strides, strides],
            "padding": padding,
            "data_format": "channels_last",
            "dilation_rate": [1, 1],
            "depth_multiplier": multiplier,
            "activation": activation,
            "use_bias": use_bias,
        }
        return Spec("SeparableConv2D", self._name("separable_conv2d"), config, weights)

    def batchnorm(
        self, channels: int, axis: Any = -1, center: bool = True, scale: bool = True
    ) -> Spec:
        weights = {
            "moving_mean": self._rand(channels),
            "moving_variance": self.rng.uniform(0.5, 1.5, channels).astype(np.float32),
        }
        if scale:
            weights["gamma"] = self.rng.uniform(0.5, 1.5, channels).astype(np.float32)
        if center:
            weights["beta"] = self._rand(channels)
        config = {"axis": axis, "epsilon": 0.001, "center": center, "scale": scale}
        return Spec("BatchNormalization", self._name("batch_normalization"), config, weights)

    def maxpool(self, pool: int = 2, strides: int | None = None, padding: str = "valid") -> Spec:
        stride = strides or pool
        config = {
            "pool_size": [pool, pool],
            "strides": [stride, stride],
            "padding": padding,
            "data_format": "channels_last",
        }
        return Spec("MaxPooling2D", self._name("max_pooling2d"), config)

    def activation(self, name: str) -> Spec:
        return Spec("Activation", self._name("activation"), {"activation": name})

    def dropout(self, rate: float = 0.5) -> Spec:
        return Spec("Dropout", self._name("dropout"), {"rate": rate})

    def add(self) -> Spec:
        return Spec("Add", self._name("add"))

    def gap(self) -> Spec:
        return Spec(
            "GlobalAveragePooling2D",
            self._name("global_average_pooling2d"),
            {"data_format": "channels_last"},
        )

    def flatten(self) -> Spec:
        return Spec("Flatten", self._name("flatten"), {"data_format": "channels_last"})

    def dense(
        self, inputs: int, units: int, activation: str = "linear", use_bias: bool = True
    ) -> Spec:
        weights = {"kernel": self._rand(inputs, units)}
        if use_bias:
            weights["bias"] = self._rand(units)
        config = {"units": units, "activation": activation, "use_bias": use_bias}
        return Spec("Dense", self._name("dense"), config, weights)


def chain(layers: list[Spec]) -> list[Spec]:
    """Link a list of specs one after another (for functional files and the reference)."""
    for previous, layer in itertools.pairwise(layers):
        if not layer.inbound:
            layer.inbound = [previous.name]
    return layers


# --- the numpy reference ------------------------------------------------------------------------


def _same_pads(size: int, kernel: int, stride: int) -> tuple[int, int]:
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def _pad(
    x: np.ndarray, kernel: tuple[int, int], strides: tuple[int, int], padding: str, value: float
) -> np.ndarray:
    if padding == "valid":
        return x
    top, bottom = _same_pads(x.shape[1], kernel[0], strides[0])
    left, right = _same_pads(x.shape[2], kernel[1], strides[1])
    return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=value)


def _windows(
    x: np.ndarray, kernel: tuple[int, int], strides: tuple[int, int], dilation: tuple[int, int]
):
    """Yield (i, j, slice of x) for every kernel tap; out size follows from the padded input."""
    eff_h = (kernel[0] - 1) * dilation[0] + 1
    eff_w = (kernel[1] - 1) * dilation[1] + 1
    out_h = (x.shape[1] - eff_h) // strides[0] + 1
    out_w = (x.shape[2] - eff_w) // strides[1] + 1
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            top, left = i * dilation[0], j * dilation[1]
            yield (
                i,
                j,
                x[
                    :,
                    top : top + (out_h - 1) * strides[0] + 1 : strides[0],
                    left : left + (out_w - 1) * strides[1] + 1 : strides[1],
                    :,
                ],
            )


def _conv(x, kernel, strides, padding, dilation):
    kh, kw = kernel.shape[:2]
    eff = ((kh - 1) * dilation[0] + 1, (kw - 1) * dilation[1] + 1)
    padded = _pad(x, eff, strides, padding, 0.0)
    total = None
    for i, j, window in _windows(padded, (kh, kw), strides, dilation):
        term = window.astype(np.float64) @ kernel[i, j].astype(np.float64)
        total = term if total is None else total + term
    return total


def _depthwise(x, kernel, strides, padding):
    kh, kw, channels, multiplier = kernel.shape
    padded = _pad(x, (kh, kw), strides, padding, 0.0)
    total = None
    for i, j, window in _windows(padded, (kh, kw), strides, (1, 1)):
        term = window[..., :, None].astype(np.float64) * kernel[i, j]
        term = term.reshape(*term.shape[:3], channels * multiplier)
        total = term if total is None else total + term
    return total


def _activate(x: np.ndarray, name: str) -> np.ndarray:
    if name == "linear":
        return x
    if name == "relu":
        return np.maximum(x, 0)
    if name == "elu":
        return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))
    if name == "sigmoid":
        return 1 / (1 + np.exp(-x))
    if name == "softmax":
        shifted = np.exp(x - x.max(axis=-1, keepdims=True))
        return shifted / shifted.sum(axis=-1, keepdims=True)
    raise ValueError(name)


def _pair(value: Any) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


def reference_layer(spec: Spec, inputs: list[np.ndarray]) -> np.ndarray:
    """What Keras computes for one layer at inference time (float64 accumulation)."""
    cfg, w = spec.config, spec.weights
    x = inputs[0]
    if spec.class_name == "Conv2D":
        y = _conv(
            x,
            w["kernel"],
            _pair(cfg["strides"]),
            cfg["padding"],
            _pair(cfg.get("dilation_rate", 1)),
        )
        if cfg.get("use_bias", True):
            y = y + w["bias"]
        return _activate(y, cfg["activation"])
    if spec.class_name == "SeparableConv2D":
        y = _depthwise(x, w["depthwise_kernel"], _pair(cfg["strides"]), cfg["padding"])
        y = y @ w["pointwise_kernel"][0, 0].astype(np.float64)
        if cfg.get("use_bias", True):
            y = y + w["bias"]
        return _activate(y, cfg["activation"])
    if spec.class_name == "BatchNormalization":
        gamma = w.get("gamma", 1.0)
        beta = w.get("beta", 0.0)
        return (x - w["moving_mean"]) / np.sqrt(
            w["moving_variance"] + cfg["epsilon"]
        ) * gamma + beta
    if spec.class_name == "MaxPooling2D":
        pool, strides = _pair(cfg["pool_size"]), _pair(cfg["strides"])
        padded = _pad(x, pool, strides, cfg["padding"], -np.inf)
        return np.max([win for _, _, win in _windows(padded, pool, strides, (1, 1))], axis=0)
    if spec.class_name == "Activation":
        return _activate(x, cfg["activation"])
    if spec.class_name == "Dropout":
        return x
    if spec.class_name == "Add":
        return sum(inputs[1:], inputs[0])
    if spec.class_name == "GlobalAveragePooling2D":
        return x.mean(axis=(1, 2))
    if spec.class_name == "Flatten":
        return x.reshape(x.shape[0], math.prod(x.shape[1:]))
    if spec.class_name == "Dense":
        y = x @ w["kernel"].astype(np.float64)
        if cfg.get("use_bias", True):
            y = y + w["bias"]
        return _activate(y, cfg["activation"])
    raise ValueError(f"no reference for {spec.class_name}")


def reference_run(layers: list[Spec], x: np.ndarray, output: str | None = None) -> np.ndarray:
    """Run a chained/functional spec list on `x`, fed to the InputLayer (or, for Keras' old
    implicit-input Sequential files, to the layer that has no inbound layer)."""
    values: dict[str, np.ndarray] = {}
    for spec in layers:
        if spec.class_name == "InputLayer":
            values[spec.name] = x.astype(np.float64)
            continue
        sources = [values[src] for src in spec.inbound] if spec.inbound else [x.astype(np.float64)]
        values[spec.name] = reference_layer(spec, sources)
    return values[output or layers[-1].name]
