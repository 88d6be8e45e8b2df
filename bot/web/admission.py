"""At most a few uploads inside the process at once; the rest wait before their body is read.

Every upload is read into memory (up to `SELFIEBOT_MAX_UPLOAD_BYTES`) and then decoded (a
12-megapixel photo is 36 MB of RGB). The analyzer scores only `SELFIEBOT_INFERENCE_WORKERS`
photos at a time anyway, so letting 50 people's uploads in at once adds no throughput, only
memory: 50 x 20 MB buffers plus their decodes. Requests beyond `slots` wait here, before a
byte of their body is read (TCP holds it), which bounds the process's memory whatever the load.
Requests without a body (pages, boards, `/metrics`, `/healthz`) never wait. When the last
upload in flight is done, free heap memory goes back to the system (`bot.memory`).
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Receive, Scope, Send

from bot.memory import release_free_memory

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class UploadAdmission:
    """Pure ASGI middleware: a semaphore around requests that send a body."""

    def __init__(self, app: ASGIApp, *, slots: int) -> None:
        self.app = app
        self._slots = asyncio.Semaphore(slots)
        self._inside = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        async with self._slots:
            self._inside += 1
            try:
                await self.app(scope, receive, send)
            finally:
                self._inside -= 1
                if self._inside == 0:
                    release_free_memory()
