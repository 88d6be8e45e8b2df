"""Helpers for the model tests: tiny popularity-contract models (a Keras .h5 to convert, a ready
ONNX model with its card) and a loopback HTTP server standing in for the pinned download address
(tests never reach the internet)."""

from __future__ import annotations

import hashlib
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from onnx import TensorProto, helper

from models.registry import ModelFile
from models.seed import popularity_card
from tests.models.converter_kit import Layers, Spec, write_sequential
from tests.ports import free_port


def tiny_popularity_h5(
    path: Path, seed: int = 0, size: int = 8, channels: int = 3, outputs: int = 2
) -> Path:
    """A real Keras-format model with the seed's contract shape: (N, size, size, 3) -> (N, 2)."""
    lay = Layers(seed)
    layers: list[Spec] = [
        lay.input((size, size, channels)),
        lay.conv2d(channels, 4, activation="elu"),
        lay.maxpool(2),
        lay.flatten(),
        lay.dense((size // 2) ** 2 * 4, outputs, activation="sigmoid"),
    ]
    return write_sequential(path, layers)


def tiny_popularity_model(directory: Path) -> ModelFile:
    """A stand-in with the seed's contract, (N, 128, 128, 3) -> (N, 2): P(popular) is the mean
    pixel value, so tests run without the seed's unlicensed weights."""
    nodes = [
        helper.make_node("ReduceMean", ["input"], ["mean4"], axes=[1, 2, 3], keepdims=1),
        helper.make_node("Flatten", ["mean4"], ["mean"], axis=1),
        helper.make_node("Sub", ["one", "mean"], ["rest"]),
        helper.make_node("Concat", ["rest", "mean"], ["output"], axis=1),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny_popularity",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 128, 128, 3])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", 2])],
        initializer=[helper.make_tensor("one", TensorProto.FLOAT, [1, 1], [1.0])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    data = model.SerializeToString()
    path = directory / "tiny_popularity.onnx"
    path.write_bytes(data)
    card = popularity_card(
        sha256=hashlib.sha256(data).hexdigest(), source_sha256="", source="tests"
    )
    path.with_suffix(".json").write_text(card.to_json(), encoding="utf-8")
    return ModelFile(path, card)


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Keep test output clean."""


@contextmanager
def serve_directory(directory: Path) -> Iterator[str]:
    """Serve `directory` on 127.0.0.1 at a free port; yields the base URL."""
    handler = partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def closed_port_url() -> str:
    """An address on loopback where nothing listens, so connecting is refused at once."""
    return f"http://127.0.0.1:{free_port()}/best_model.h5"
