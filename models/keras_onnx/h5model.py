"""Read a Keras 2 HDF5 model file into plain Python: the layer graph and each layer's weights.

Keeping the file format here means the graph builder never touches h5py, and tests can build a
`KerasModel` from a file they write themselves with h5py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from models.keras_onnx.errors import KerasConversionError


@dataclass(frozen=True)
class KerasLayer:
    """One layer: its class, its config, the layers feeding it, and its weights by short name."""

    class_name: str
    name: str
    config: dict[str, Any]
    inbound: tuple[str, ...]
    weights: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class KerasModel:
    """A model as a list of layers in file order plus the names of its input and output layers."""

    layers: tuple[KerasLayer, ...]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    keras_version: str


def load_keras_h5(path: Path) -> KerasModel:
    """Parse a Keras 2 `model.save(...)` HDF5 file (needs `model_config` and `model_weights`)."""
    try:
        handle = h5py.File(path, "r")
    except OSError as exc:
        raise KerasConversionError(f"{path} is not an HDF5 file ({exc})") from exc
    with handle:
        if "model_config" not in handle.attrs:
            raise KerasConversionError(
                f"{path} has no `model_config`: it is not a whole Keras model saved with "
                "model.save() (a weights-only file cannot be converted)"
            )
        keras_version = _text(handle.attrs.get("keras_version", "unknown"))
        if "model_weights" not in handle:
            raise KerasConversionError(f"{path} has no `model_weights` group")
        try:
            config = json.loads(_text(handle.attrs["model_config"]))
            return _build_model(config, handle["model_weights"], keras_version)
        except (KeyError, TypeError, IndexError, AttributeError, ValueError) as exc:
            if isinstance(exc, KerasConversionError):
                raise
            raise KerasConversionError(
                f"{path} has a malformed Keras model config ({type(exc).__name__}: {exc})"
            ) from exc


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _build_model(config: dict[str, Any], weights: h5py.Group, keras_version: str) -> KerasModel:
    class_name = config.get("class_name")
    body: Any = config.get("config")  # JSON of any shape: a malformed one fails below
    if class_name == "Sequential":
        raw_layers = body["layers"] if isinstance(body, dict) else body
        return _sequential(raw_layers, weights, keras_version)
    if class_name in ("Model", "Functional"):
        return _functional(body, weights, keras_version)
    raise KerasConversionError(
        f"model class {class_name!r} is not a Keras 2 Sequential or functional model"
    )


def _sequential(
    raw_layers: list[dict[str, Any]], weights: h5py.Group, keras_version: str
) -> KerasModel:
    """A Sequential config is a chain; Keras < 2.3 left the InputLayer implicit in the first
    layer's `batch_input_shape`, so synthesise one to give the graph a single shape source."""
    if not raw_layers:
        raise KerasConversionError("the Sequential model has no layers")
    layers: list[KerasLayer] = []
    first = raw_layers[0]
    if first["class_name"] != "InputLayer":
        shape = first["config"].get("batch_input_shape")
        if shape is None:
            raise KerasConversionError(
                "the Sequential model's first layer has no `batch_input_shape`, so the input "
                "shape is unknown"
            )
        layers.append(KerasLayer("InputLayer", "input", {"batch_input_shape": shape}, inbound=()))
    for raw in raw_layers:
        inbound = (layers[-1].name,) if layers else ()
        layers.append(_layer(raw, inbound, weights))
    return KerasModel(tuple(layers), (layers[0].name,), (layers[-1].name,), keras_version)


def _functional(body: dict[str, Any], weights: h5py.Group, keras_version: str) -> KerasModel:
    layers = tuple(_layer(raw, _inbound_names(raw), weights) for raw in body["layers"])
    inputs = tuple(_endpoint_name(entry) for entry in body["input_layers"])
    outputs = tuple(_endpoint_name(entry) for entry in body["output_layers"])
    return KerasModel(layers, inputs, outputs, keras_version)


def _inbound_names(raw: dict[str, Any]) -> tuple[str, ...]:
    """Keras 2 stores `inbound_nodes` as [[[layer, node_index, tensor_index, kwargs], ...]].

    A layer called more than once (a shared layer) or a multi-output tensor would need node
    bookkeeping this converter does not do, so those are refused by name.
    """
    nodes = raw.get("inbound_nodes", [])
    name = raw["config"].get("name", raw.get("name", "?"))
    if not nodes:
        return ()
    if len(nodes) > 1:
        raise KerasConversionError(f"layer {name!r} is shared (called {len(nodes)} times)")
    names = []
    for entry in nodes[0]:
        if not isinstance(entry, list) or len(entry) < 3:
            raise KerasConversionError(
                f"layer {name!r} has inbound nodes in a format other than Keras 2's"
            )
        source, node_index, tensor_index = entry[0], entry[1], entry[2]
        if node_index != 0 or tensor_index != 0:
            raise KerasConversionError(
                f"layer {name!r} reads output {tensor_index} of call {node_index} of "
                f"{source!r}; only single-call, single-output layers are supported"
            )
        names.append(source)
    return tuple(names)


def _endpoint_name(entry: list[Any]) -> str:
    return str(entry[0])


def _layer(raw: dict[str, Any], inbound: tuple[str, ...], weights: h5py.Group) -> KerasLayer:
    config = raw["config"]
    name = config.get("name") or raw.get("name")
    if not name:
        raise KerasConversionError(f"a {raw['class_name']} layer has no name")
    return KerasLayer(raw["class_name"], name, config, inbound, _layer_weights(name, weights))


def _layer_weights(name: str, weights: h5py.Group) -> dict[str, np.ndarray]:
    """Weights keyed by their short name (`kernel`, `bias`, `gamma`, ...), found through the
    group's `weight_names` attribute because the dataset paths carry Keras' unique suffixes
    (`conv2d_1/conv2d_1_1/kernel:0`)."""
    if name not in weights:
        return {}
    group = weights[name]
    result: dict[str, np.ndarray] = {}
    for raw_name in group.attrs.get("weight_names", []):
        full = _text(raw_name)
        short = full.rsplit("/", 1)[-1].split(":", 1)[0]
        result[short] = np.asarray(group[full], dtype=np.float32)
    return result
