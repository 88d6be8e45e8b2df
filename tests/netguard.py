"""Keep the whole test suite on this machine: any attempt to reach another host fails the test.

`tests/conftest.py` installs `NetGuard` once per session (so module- and session-scoped fixtures
are covered too) and checks its record after every test. Name resolution and socket connects
(and datagrams) to anything but loopback are refused with `NetworkAccessRefused`, an `OSError`,
so libraries take the same path they would on a machine without a network. Every refusal is
also *recorded*: network libraries wrap or swallow connection errors (httpx, then PTB, turn them
into a retried `NetworkError`; discord.py reconnects), so the record, checked at teardown, is
what catches an attempt whose error never reached the test. Unix sockets are not touched.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

_LOCAL_NAMES = frozenset({"", "localhost", "localhost.", "ip6-localhost"})
_INET_FAMILIES = (socket.AF_INET, socket.AF_INET6)


class NetworkAccessRefused(OSError):
    """A test tried to reach a non-loopback address; raised instead of leaving the machine."""


def is_loopback(host: Any) -> bool:
    """True for hosts that stay on this machine: 127.0.0.0/8, ::1, `localhost`, unspecified."""
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode()
    host = str(host).strip("[]").split("%")[0].lower()
    if host in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class NetGuard:
    """Patches `socket` so only loopback is reachable; `attempts` lists what it refused."""

    def __init__(self) -> None:
        self.attempts: list[str] = []

    def _refuse(self, what: str) -> NetworkAccessRefused:
        self.attempts.append(what)
        return NetworkAccessRefused(f"test tried to reach {what}")

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Check resolution and inet connects against loopback until `monkeypatch` undoes it."""
        real_getaddrinfo = socket.getaddrinfo
        real_gethostbyname = socket.gethostbyname
        real_gethostbyname_ex = socket.gethostbyname_ex
        real_connect = socket.socket.connect
        real_connect_ex = socket.socket.connect_ex
        real_sendto = socket.socket.sendto

        def check_name(host: Any) -> None:
            if not is_loopback(host):
                name = host.decode() if isinstance(host, bytes) else host
                raise self._refuse(f"resolve {name!r}")

        def check_address(sock: socket.socket, address: Any) -> None:
            if sock.family in _INET_FAMILIES and not is_loopback(address[0]):
                raise self._refuse(f"connect {address!r}")

        def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
            check_name(host)
            return real_getaddrinfo(host, *args, **kwargs)

        def gethostbyname(host: str) -> str:
            check_name(host)
            return real_gethostbyname(host)

        def gethostbyname_ex(host: str) -> Any:
            check_name(host)
            return real_gethostbyname_ex(host)

        def connect(sock: socket.socket, address: Any) -> None:
            check_address(sock, address)
            real_connect(sock, address)

        def connect_ex(sock: socket.socket, address: Any) -> int:
            check_address(sock, address)
            return real_connect_ex(sock, address)

        def sendto(sock: socket.socket, data: Any, *args: Any) -> int:
            check_address(sock, args[-1])
            return real_sendto(sock, data, *args)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        monkeypatch.setattr(socket, "gethostbyname", gethostbyname)
        monkeypatch.setattr(socket, "gethostbyname_ex", gethostbyname_ex)
        monkeypatch.setattr(socket.socket, "connect", connect)
        monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
        monkeypatch.setattr(socket.socket, "sendto", sendto)

    def take_attempts(self) -> list[str]:
        """Return and forget what was refused so far, so one test's attempts aren't the next's."""
        taken, self.attempts = self.attempts, []
        return taken

    @contextmanager
    def expecting_refusals(self) -> Iterator[list[str]]:
        """For tests of the guard itself: the refusals inside the block are theirs, not a failure.

        The yielded list is filled when the block ends.
        """
        before = self.take_attempts()
        refused: list[str] = []
        try:
            yield refused
        finally:
            refused.extend(self.take_attempts())
            self.attempts = before


@pytest.fixture(scope="session")
def net_guard() -> Iterator[NetGuard]:
    """The session's guard, installed before any other fixture can open a connection."""
    guard = NetGuard()
    with pytest.MonkeyPatch.context() as patch:
        guard.install(patch)
        yield guard
    assert not guard.attempts, f"a fixture tried to reach the internet: {guard.attempts}"


@pytest.fixture(autouse=True)
def _offline(net_guard: NetGuard) -> Iterator[NetGuard]:
    """Fail the test at teardown if anything in it tried to leave the machine, caught or not."""
    yield net_guard  # attempts made by wider-scoped fixtures set up for this test count too
    refused = net_guard.take_attempts()
    if refused:
        pytest.fail(f"the test tried to reach the internet: {refused}", pytrace=False)
