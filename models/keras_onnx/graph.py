"""A small ONNX graph builder that tracks each tensor's shape in Keras (channels-last) terms.

Layout convention: every image tensor inside the graph is NCHW (what ONNX Runtime's convolution
kernels want); `Tensor.shape` still records the Keras per-sample shape (H, W, C) or (units,), so
layer code reasons in Keras' terms and only the builder knows about the transposes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from models.keras_onnx.errors import KerasConversionError

OPSET = 13
IR_VERSION = 8


@dataclass(frozen=True)
class Tensor:
    """A value in the graph: its ONNX name and its per-sample Keras shape (None = unknown)."""

    name: str
    shape: tuple[int | None, ...]

    @property
    def is_image(self) -> bool:
        """Rank-3 per sample (H, W, C): stored NCHW in the graph."""
        return len(self.shape) == 3


class GraphBuilder:
    """Collects nodes and initialisers and hands out unique tensor names."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._used: set[str] = set()

    def unique(self, base: str) -> str:
        """A tensor name derived from `base` that no other value in the graph uses."""
        name, index = base, 1
        while name in self._used:
            name = f"{base}_{index}"
            index += 1
        self._used.add(name)
        return name

    def constant(self, base: str, value: np.ndarray) -> str:
        """Register a weight as an initialiser and return its name."""
        name = self.unique(base)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def node(self, op: str, inputs: list[str], base: str, **attrs: Any) -> str:
        """Append one single-output node and return the name of its output."""
        output = self.unique(base)
        self.nodes.append(helper.make_node(op, inputs, [output], name=output, **attrs))
        return output

    def model(
        self,
        inputs: list[tuple[str, tuple[int | None, ...]]],
        outputs: list[tuple[str, tuple[int | None, ...]]],
        graph_name: str,
        metadata: dict[str, str],
    ) -> onnx.ModelProto:
        """Assemble the model; inputs/outputs are given with their full NHWC/NC shapes."""
        graph = helper.make_graph(
            self.nodes,
            graph_name,
            [_value_info(name, shape) for name, shape in inputs],
            [_value_info(name, shape) for name, shape in outputs],
            initializer=self.initializers,
        )
        model = helper.make_model(
            graph,
            producer_name="selfiebot-keras-onnx",
            producer_version="1",
            opset_imports=[helper.make_opsetid("", OPSET)],
        )
        model.ir_version = IR_VERSION
        helper.set_model_props(model, metadata)
        try:
            onnx.checker.check_model(model, full_check=True)
        except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as exc:
            raise KerasConversionError(
                f"the converted graph is invalid, most likely weights whose shapes do not "
                f"match the layer config ({exc})"
            ) from exc
        return model


def _value_info(name: str, shape: tuple[int | None, ...]) -> onnx.ValueInfoProto:
    dims = ["batch" if i == 0 else dim for i, dim in enumerate(shape)]
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, dims)
