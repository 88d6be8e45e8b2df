"""Walk a `KerasModel`'s layer graph and emit one ONNX model with the same inputs and outputs.

Inputs and outputs keep Keras' channels-last layout (callers feed NHWC float32 exactly as they
fed Keras); the graph transposes to NCHW once after the input and back before an image output.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import onnx

from models.keras_onnx.errors import KerasConversionError, UnsupportedLayerError
from models.keras_onnx.graph import GraphBuilder, Tensor
from models.keras_onnx.h5model import KerasLayer, KerasModel, load_keras_h5
from models.keras_onnx.layers import CONVERTERS


def convert_keras_h5(path: Path) -> onnx.ModelProto:
    """Convert a Keras 2 HDF5 model file; raises `KerasConversionError` with the reason."""
    path = Path(path)
    model = load_keras_h5(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return convert_keras_model(model, graph_name=path.stem, source_sha256=digest)


def convert_keras_model(
    model: KerasModel, graph_name: str = "keras", source_sha256: str = ""
) -> onnx.ModelProto:
    """Convert an already-parsed model. A single input/output is named `input`/`output` so
    any model with the same contract can be swapped in without the caller changing names."""
    builder = GraphBuilder()
    by_name = {layer.name: layer for layer in model.layers}
    single_io = len(model.inputs) == 1 and len(model.outputs) == 1
    tensors: dict[str, Tensor] = {}
    graph_inputs = []
    for name in model.inputs:
        layer = by_name.get(name)
        if layer is None or layer.class_name != "InputLayer":
            raise KerasConversionError(f"model input {name!r} is not an InputLayer")
        onnx_name = "input" if single_io else name
        builder.unique(onnx_name)
        shape = _input_shape(layer)
        graph_inputs.append((onnx_name, (None, *shape)))
        tensors[name] = _to_internal(builder, Tensor(onnx_name, shape), name)
    output_names = {
        name: builder.unique("output" if single_io else f"{name}_output") for name in model.outputs
    }

    for layer in _topological(model, by_name):
        if layer.class_name == "InputLayer":
            continue
        converter = CONVERTERS.get(layer.class_name)
        if converter is None:
            raise UnsupportedLayerError(layer.class_name, layer.name)
        try:
            tensors[layer.name] = converter(builder, layer, [tensors[src] for src in layer.inbound])
        except KerasConversionError:
            raise
        except (KeyError, TypeError, IndexError, ValueError) as exc:
            raise KerasConversionError(
                f"layer {layer.name!r} ({layer.class_name}) has a malformed config or weights "
                f"({type(exc).__name__}: {exc})"
            ) from exc

    graph_outputs = []
    for name, onnx_name in output_names.items():
        tensor = tensors[name]
        source = tensor.name
        if tensor.is_image:
            source = builder.node("Transpose", [source], f"{name}_nhwc", perm=[0, 2, 3, 1])
        builder.nodes.append(
            onnx.helper.make_node("Identity", [source], [onnx_name], name=onnx_name)
        )
        graph_outputs.append((onnx_name, (None, *tensor.shape)))

    metadata = {"keras_version": model.keras_version}
    if source_sha256:
        metadata["source_sha256"] = source_sha256
    return builder.model(graph_inputs, graph_outputs, graph_name, metadata)


def _input_shape(layer: KerasLayer) -> tuple[int | None, ...]:
    shape = layer.config.get("batch_input_shape")
    if not shape or len(shape) < 2:
        raise KerasConversionError(f"input layer {layer.name!r} has no batch_input_shape")
    if len(shape) not in (2, 4):
        raise UnsupportedLayerError(
            "InputLayer", layer.name, f"input shape {shape} is neither (N, H, W, C) nor (N, D)"
        )
    if len(shape) == 4 and shape[3] is None:
        raise UnsupportedLayerError("InputLayer", layer.name, "the channel count is unknown")
    return tuple(shape[1:])


def _to_internal(builder: GraphBuilder, tensor: Tensor, base: str) -> Tensor:
    if not tensor.is_image:
        return tensor
    nchw = builder.node("Transpose", [tensor.name], f"{base}_nchw", perm=[0, 3, 1, 2])
    return Tensor(nchw, tensor.shape)


def _topological(model: KerasModel, by_name: dict[str, KerasLayer]) -> list[KerasLayer]:
    """Layers in an order where every input is computed first (files are usually already
    ordered, but nothing in the format promises it)."""
    done: set[str] = set()
    order: list[KerasLayer] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in done:
            return
        if name in visiting:
            raise KerasConversionError(f"the layer graph has a cycle through {name!r}")
        layer = by_name.get(name)
        if layer is None:
            raise KerasConversionError(f"a layer reads from unknown layer {name!r}")
        visiting.add(name)
        for source in layer.inbound:
            visit(source)
        visiting.discard(name)
        done.add(name)
        order.append(layer)

    for name in model.outputs:
        visit(name)
    return order
