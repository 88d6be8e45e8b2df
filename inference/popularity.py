"""The popularity score: the seed's CNN (or any model with the same card contract) in ONNX Runtime.

The contract lives in the model card, not here: input size, normalisation and which output
column is P(popular). The seed's is the whole photo, RGB, PIL LANCZOS to 128x128 with no crop,
x / 255, output[:, 1]; any other resize changes the score, so none is used.

The activations of the CNN's penultimate layer (what its last Dense layer reads) are exposed
as a second output at load time, so the group taste model (`inference/taste/`) gets the
network's own description of a photo from the same run that scores it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import onnxruntime as ort
from PIL import Image

from inference.runtime import PROVIDERS, session_options

if TYPE_CHECKING:
    from models.registry import ModelFile

# Normalisations a card may state, applied to float64 pixels 0..255 then cast to float32
# (the order of operations numpy users write, so reference inputs match bit for bit).
NORMALISATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "x / 255": lambda x: x / 255.0,
    "(x / 255 - 0.5) * 2": lambda x: (x / 255.0 - 0.5) * 2.0,
    "x": lambda x: x,
}


class PopularityModel:
    """One ONNX session plus the card's recipe for feeding it."""

    def __init__(self, model: ModelFile, intra_op_threads: int = 1) -> None:
        card = model.card
        normalisation = " ".join(card.normalisation.split())
        if normalisation not in NORMALISATIONS:
            raise ValueError(
                f"the popularity model's card asks for normalisation {card.normalisation!r}; "
                f"supported: {', '.join(NORMALISATIONS)}"
            )
        self._normalise = NORMALISATIONS[normalisation]
        self._height, self._width = card.input_size
        self._column = 1 if card.output_index is None else card.output_index
        graph, self._embedding_output = _with_penultimate_output(model.onnx_path)
        self._session = ort.InferenceSession(
            graph, sess_options=session_options(intra_op_threads), providers=list(PROVIDERS)
        )
        self._input = self._session.get_inputs()[0].name
        self._output = self._session.get_outputs()[0].name
        self.version = card.sha256

    def resize(self, image: Image.Image) -> Image.Image:
        """The whole RGB photo resized to the model's input with LANCZOS, as the card says."""
        return image.resize((self._width, self._height), Image.Resampling.LANCZOS)

    def tensor(self, resized: Image.Image) -> np.ndarray:
        """(1, H, W, 3) float32 input from the output of `resize`."""
        pixels = np.asarray(resized, dtype=np.float64)
        return self._normalise(pixels).astype(np.float32)[None]

    def predict(self, batch: np.ndarray) -> np.ndarray:
        """P(popular) per row of the batch."""
        outputs: np.ndarray = self._session.run([self._output], {self._input: batch})[0]
        return outputs[:, self._column].astype(np.float64)

    def predict_with_embedding(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """P(popular) per row and the penultimate activations (N, D) from the same run; None
        for a model whose last layer is not a Dense one (no penultimate layer to read)."""
        if self._embedding_output is None:
            return self.predict(batch), None
        outputs, embedding = self._session.run(
            [self._output, self._embedding_output], {self._input: batch}
        )
        return outputs[:, self._column].astype(np.float64), embedding.astype(np.float64)


# Nodes that map the last Dense layer's result to the output without mixing units.
_ELEMENTWISE = frozenset({"Identity", "Sigmoid", "Softmax", "Relu", "Add", "Flatten", "Reshape"})


def _with_penultimate_output(path: Path) -> tuple[bytes, str | None]:
    """The model's bytes with the input of its last Gemm/MatMul added as a graph output.

    Walks back from the first output through element-wise nodes to the last Dense layer; its
    data input is the penultimate layer. Done at load time so every installed model (any
    converter version) gets it, and the score is unchanged: the extra output is a tensor the
    graph computes anyway. A graph of another shape is loaded as it is.
    """
    import onnx

    model = onnx.load(str(path))
    graph = model.graph
    producers = {name: node for node in graph.node for name in node.output}
    node = producers.get(graph.output[0].name)
    while node is not None and node.op_type in _ELEMENTWISE:
        node = producers.get(node.input[0])
    if node is None or node.op_type not in ("Gemm", "MatMul"):
        return model.SerializeToString(), None
    name = node.input[0]
    if name not in {output.name for output in graph.output}:
        graph.output.append(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    return model.SerializeToString(), name
