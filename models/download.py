"""Download one file over HTTP(S) into a local path, bounded in size and time."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx

MAX_BYTES = 64 * 1024 * 1024


class DownloadError(RuntimeError):
    """The file could not be downloaded; the message says why in user terms."""


def download(url: str, dest: Path, timeout: float = 60.0, max_bytes: int = MAX_BYTES) -> str:
    """Stream `url` into `dest` and return its SHA-256.

    The size cap stops a wrong or hostile address from filling the disk before the checksum
    could reject it.
    """
    digest = hashlib.sha256()
    received = 0
    try:
        with (
            httpx.stream("GET", url, timeout=timeout, follow_redirects=True) as response,
            dest.open("wb") as out,
        ):
            if response.status_code != 200:
                raise DownloadError(f"the server answered HTTP {response.status_code}")
            for chunk in response.iter_bytes():
                received += len(chunk)
                if received > max_bytes:
                    raise DownloadError(f"the file is larger than {max_bytes // 2**20} MiB")
                digest.update(chunk)
                out.write(chunk)
    except httpx.HTTPError as exc:
        raise DownloadError(_describe(exc)) from exc
    return digest.hexdigest()


def _describe(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "the connection timed out"
    if isinstance(exc, httpx.ConnectError):
        return "the server could not be reached"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
