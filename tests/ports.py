"""Loopback ports for tests: one to start a server on, or one where nothing listens.

The port is free when returned; the OS may hand it out again later, which tests tolerate by
starting their server at once (or by wanting the connection refused).
"""

from __future__ import annotations

import socket


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
