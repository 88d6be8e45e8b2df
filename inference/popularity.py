"""The popularity score: the seed's CNN (or any model with the same card contract) in ONNX Runtime.

The contract lives in the model card, not here: input size, normalisation and which output
column is P(popular). The seed's is the whole photo, RGB, PIL LANCZOS to 128x128 with no crop,
x / 255, output[:, 1]; any other resize changes the score, so none is used.

The activations of the CNN's penultimate layer (what its last Dense layer reads) are its second
output (`models.penultimate`), so the group taste model (`inference/taste/`) gets the
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
        self._session, self._embedding_output = _session_with_embedding(
            model.onnx_path, intra_op_threads
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


def _session_with_embedding(
    path: Path, intra_op_threads: int
) -> tuple[ort.InferenceSession, str | None]:
    """The session and the name of its penultimate-layer output (None without one).

    Installed models carry that output (`models.penultimate`); a graph that lacks it, installed
    by an older version or converted elsewhere, gets it here, which costs an onnx import.
    """
    options = session_options(intra_op_threads)
    session = ort.InferenceSession(str(path), sess_options=options, providers=list(PROVIDERS))
    outputs = session.get_outputs()
    if len(outputs) > 1:
        return session, outputs[1].name
    import onnx

    from models.penultimate import expose_penultimate

    model = onnx.load(str(path))
    name = expose_penultimate(model)
    if name is None:
        return session, None
    graph = model.SerializeToString()
    return ort.InferenceSession(graph, sess_options=options, providers=list(PROVIDERS)), name
