"""The popularity CNN's penultimate activations as a second graph output.

The group taste model (`inference/taste/`) reads what the CNN's last Dense layer reads, from the
same run that scores the photo. Installing writes the output into the ONNX file, so a bot never
imports onnx to score; `inference.popularity` applies the same edit at load time only to a
graph installed before (or converted elsewhere) that lacks it.
"""

from __future__ import annotations

import onnx

# Nodes that map the last Dense layer's result to the output without mixing units.
_ELEMENTWISE = frozenset({"Identity", "Sigmoid", "Softmax", "Relu", "Add", "Flatten", "Reshape"})


def expose_penultimate(model: onnx.ModelProto) -> str | None:
    """Add the input of the last Gemm/MatMul as a graph output and return its name.

    Walks back from the first output through element-wise nodes to the last Dense layer; its
    data input is the penultimate layer. The score is unchanged: the extra output is a tensor
    the graph computes anyway. A graph of another shape is left as it is (None).
    """
    graph = model.graph
    producers = {name: node for node in graph.node for name in node.output}
    node = producers.get(graph.output[0].name)
    while node is not None and node.op_type in _ELEMENTWISE:
        node = producers.get(node.input[0])
    if node is None or node.op_type not in ("Gemm", "MatMul"):
        return None
    name: str = node.input[0]
    if name not in {output.name for output in graph.output}:
        graph.output.append(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    return name
