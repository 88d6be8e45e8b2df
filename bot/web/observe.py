"""`/metrics` for Prometheus and the timing of every web request (see `bot.metrics`).

Requests are labelled by their route template (`/result/{key}`), never their path, so the
number of series stays fixed whatever people request; paths no route knows share `unmatched`.
"""

from __future__ import annotations

import time

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot import metrics
from bot.web.admission import UploadAdmission

METRICS_PATH = "/metrics"


class RequestMetrics:
    """Pure ASGI middleware: one histogram observation per HTTP request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            if status[0] >= 500:
                metrics.error("web_5xx")
            metrics.request_took(route, scope["method"], status[0], time.perf_counter() - started)


async def metrics_endpoint(_: Request) -> Response:
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)


def install(app: FastAPI, *, upload_slots: int) -> None:
    """Add `/metrics`, request timing and the upload admission limit to the web app."""
    app.add_route(METRICS_PATH, metrics_endpoint, methods=["GET"], include_in_schema=False)
    app.add_middleware(UploadAdmission, slots=upload_slots)
    app.add_middleware(RequestMetrics)
