"""The suite-wide offline guard (tests/netguard.py): loopback and Unix sockets only."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.netguard import NetGuard, NetworkAccessRefused, is_loopback


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost", b"localhost", "", None]
)
def test_loopback_hosts_are_local(host: object) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["1.1.1.1", "2606:4700::1111", "example.org", "10.0.0.1"])
def test_other_hosts_are_not(host: str) -> None:
    assert not is_loopback(host)


def test_loopback_and_unix_sockets_keep_working(tmp_path: Path) -> None:
    with (
        socket.create_server(("127.0.0.1", 0)) as server,
        socket.create_connection(server.getsockname()) as client,
    ):
        peer, _ = server.accept()
        with peer:
            client.sendall(b"hi")
            assert peer.recv(2) == b"hi"
    path = str(tmp_path / "s.sock")
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(path)
        server.listen()
        with socket.socket(socket.AF_UNIX) as client:
            client.connect(path)
            server.accept()[0].close()


def test_every_way_out_is_refused_and_recorded(net_guard: NetGuard) -> None:
    with net_guard.expecting_refusals() as refused:
        with pytest.raises(NetworkAccessRefused):
            socket.gethostbyname("example.org")
        with socket.socket(socket.AF_INET6) as sock, pytest.raises(NetworkAccessRefused):
            sock.connect_ex(("2606:4700::1111", 443))
        with socket.socket(type=socket.SOCK_DGRAM) as sock, pytest.raises(NetworkAccessRefused):
            sock.sendto(b"dns?", ("8.8.8.8", 53))
    assert refused == [
        "resolve 'example.org'",
        "connect ('2606:4700::1111', 443)",
        "connect ('8.8.8.8', 53)",
    ]


def test_a_swallowed_attempt_still_fails_the_test(tmp_path: Path) -> None:
    """Libraries retry or wrap connection errors; the record must fail the test regardless."""
    (tmp_path / "conftest.py").write_text("from tests.netguard import _offline, net_guard\n")
    (tmp_path / "test_leak.py").write_text(
        textwrap.dedent(
            """
            import socket

            def test_quietly_online():
                try:
                    socket.getaddrinfo("example.org", 443)
                except OSError:
                    pass

            def test_offline():
                pass
            """
        )
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rE", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "2 passed, 1 error" in run.stdout
    assert "ERROR test_leak.py::test_quietly_online" in run.stdout
    assert "the test tried to reach the internet: [\"resolve 'example.org'\"]" in run.stdout
