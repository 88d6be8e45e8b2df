"""Helpers for the model-management tests: tiny popularity-contract models and a loopback HTTP
server standing in for the pinned download address (tests never reach the internet)."""

from __future__ import annotations

import hashlib
import http.server
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from tests.converter_kit import Layers, Spec, write_sequential


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
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/best_model.h5"
