"""At most a few uploads' pixels inside the process at once; the rest wait before their body is
read.

Every upload is read into memory (up to `SELFIEBOT_MAX_UPLOAD_BYTES`) and then decoded (a
12-megapixel photo is 36 MB of RGB). The analyzer scores only `SELFIEBOT_INFERENCE_WORKERS`
photos at a time anyway, so letting 50 people's uploads in at once adds no throughput, only
memory: 50 x 20 MB buffers plus their decodes. Requests beyond `slots` wait here, before a
byte of their body is read (TCP holds it), which bounds the process's memory whatever the load.
Requests without a body (pages, boards, `/metrics`, `/healthz`) never wait.

A request gives its slot back when it ends, or earlier through `release_early(request)`: the
page's photo does once it is analysed and no longer holds its pixels, so the next upload is
read and analysed while this one is recorded and ranked in the database (which, on SQLite, is
one connection's thread: holding the slot through it left the analyzer idle). When no upload
holds a slot or waits for one, free heap memory goes back to the system (`bot.memory`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.memory import release_free_memory

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
SLOT_STATE = "upload_slot"
"""Where a request's `UploadSlot` is kept in its ASGI scope's state (`request.state`)."""


class UploadSlot:
    """One request's place among the uploads in flight; given back once, however often asked."""

    def __init__(self, admission: UploadAdmission) -> None:
        self._admission = admission
        self._held = True

    def release(self) -> None:
        if self._held:
            self._held = False
            self._admission.give_back()


class UploadAdmission:
    """Pure ASGI middleware: a semaphore around requests that send a body."""

    def __init__(self, app: ASGIApp, *, slots: int) -> None:
        self.app = app
        self._slots = asyncio.Semaphore(slots)
        self._inside = 0
        self._waiting = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        self._waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self._waiting -= 1
        self._inside += 1
        slot = UploadSlot(self)
        scope.setdefault("state", {})[SLOT_STATE] = slot
        try:
            await self.app(scope, receive, send)
        finally:
            slot.release()

    def give_back(self) -> None:
        self._inside -= 1
        self._slots.release()
        if self._inside == 0 and self._waiting == 0:
            release_free_memory()  # a few ms: only once a burst is over, not between its uploads


def release_early(request: Request) -> Callable[[], None]:
    """What gives `request`'s upload slot back before the request ends: call it once the
    request holds no more than its body (a no-op for a request the middleware did not admit)."""
    slot = request.scope.get("state", {}).get(SLOT_STATE)
    return slot.release if isinstance(slot, UploadSlot) else _nothing


def _nothing() -> None:
    return None
