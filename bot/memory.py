"""Keeping a long-running process's memory bounded: glibc's malloc arenas.

glibc gives each thread that meets contention its own malloc arena, up to 8 per core, and an
arena keeps the memory it once held. A web process decodes photos (tens of MB each) on many
threads: the analyzer's pool, the event loop's default executor, one thread per SQLite
connection. Under load its RSS settled at 850-1,300 MB, of which most was free memory parked
in arenas; with two arenas it stays near its working set (`benchmarks/bench_web_load.py`).

`limit_malloc_arenas` must run before those threads exist, i.e. first thing in `selfiebot
run`/`web`. A `MALLOC_ARENA_MAX` in the environment (read by glibc itself) wins; other C
libraries (musl, macOS) have no arenas and are left alone.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import sys

log = logging.getLogger(__name__)

M_ARENA_MAX = -8
"""glibc's mallopt parameter number for the arena limit (malloc.h)."""
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 4 * 1024 * 1024
"""Blocks this large (a decoded photo, its arrays) get their own mapping, returned to the
system the moment they are freed. glibc's default threshold grows with use up to 32 MB, after
which such buffers stay in the heap and, freed, keep the RSS up."""

_libc: ctypes.CDLL | None = None


def limit_malloc_arenas(count: int) -> bool:
    """Cap glibc's malloc arenas at `count` (0: leave glibc's default); True if applied."""
    if count <= 0 or "MALLOC_ARENA_MAX" in os.environ or not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
    except OSError:
        return False
    mallopt = getattr(libc, "mallopt", None)
    if mallopt is None or not hasattr(libc, "gnu_get_libc_version"):
        return False
    applied = bool(mallopt(ctypes.c_int(M_ARENA_MAX), ctypes.c_int(count)))
    mallopt(ctypes.c_int(M_MMAP_THRESHOLD), ctypes.c_int(MMAP_THRESHOLD_BYTES))
    if applied:
        global _libc
        _libc = libc
        log.debug("malloc arenas limited to %d", count)
    return applied


def release_free_memory() -> None:
    """Hand free heap memory back to the system (glibc's malloc_trim), once arenas are capped.

    Called when the web process has no upload in flight, so the RSS settles near the working
    set after a burst instead of keeping the burst's peak."""
    if _libc is not None:
        _libc.malloc_trim(ctypes.c_size_t(0))
