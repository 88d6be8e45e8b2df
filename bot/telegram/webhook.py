"""webhook: the HTTP endpoint Telegram POSTs updates to in webhook mode (tornado, like PTB's).

PTB's built-in handler answers a body that is not JSON (or not UTF-8) with 500, because its
`json.loads` is unguarded: a load balancer counts the replica as failing and Telegram keeps
retrying a request that can never succeed. This endpoint answers every malformed request with
400, a wrong content type with 415 and a missing or wrong secret with 403 (compared in constant
time), and logs none of the body. An accepted update goes onto the Application's update
queue, exactly where PTB's handler puts it, so everything after that is unchanged.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from http import HTTPStatus
from typing import Any

import tornado.httpserver
import tornado.web
from telegram import Bot, Update
from telegram.ext import ExtBot

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class _Refused(Exception):
    def __init__(self, status: HTTPStatus, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


class UpdateHandler(tornado.web.RequestHandler):
    """POST only; one update per request."""

    SUPPORTED_METHODS = ("POST",)

    def initialize(self, bot: Bot, queue: asyncio.Queue[object], secret: str) -> None:
        self.bot = bot
        self.queue = queue
        self.secret = secret

    def set_default_headers(self) -> None:
        self.set_header("Content-Type", "application/json; charset=utf-8")

    async def post(self) -> None:
        try:
            update = self._update()
        except _Refused as refused:
            log.debug("webhook request refused: %s", refused.description)
            self.set_status(refused.status)
            self.finish({"ok": False, "description": refused.description})
            return
        if isinstance(self.bot, ExtBot):
            self.bot.insert_callback_data(update)
        await self.queue.put(update)
        self.finish({"ok": True})

    def _update(self) -> Update:
        media_type = self.request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if media_type != "application/json":
            raise _Refused(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "expected application/json")
        token = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(token.encode(), self.secret.encode()):
            raise _Refused(HTTPStatus.FORBIDDEN, "missing or wrong secret token")
        try:
            data: Any = json.loads(self.request.body)
        except (ValueError, UnicodeDecodeError) as error:
            raise _Refused(HTTPStatus.BAD_REQUEST, "the body is not JSON") from error
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            raise _Refused(HTTPStatus.BAD_REQUEST, "the body is not a Telegram update")
        try:
            update = Update.de_json(data, self.bot)
        except Exception as error:
            raise _Refused(HTTPStatus.BAD_REQUEST, "the update could not be read") from error
        return update

    def log_exception(self, *args: Any) -> None:
        """tornado's own error log would print request details; a refusal is not an error."""
        log.debug("webhook handler error", exc_info=args[1] if len(args) > 1 else None)


class _Quiet(tornado.web.Application):
    def log_request(self, handler: tornado.web.RequestHandler) -> None:
        """No access log: one line per update is noise at any volume."""


class WebhookServer:
    """Listens on `listen:port` and serves `path`; `start` binds, `stop` closes connections."""

    def __init__(
        self,
        listen: str,
        port: int,
        path: str,
        *,
        bot: Bot,
        queue: asyncio.Queue[object],
        secret: str,
    ) -> None:
        route = "/" + path.strip("/")
        options = {"bot": bot, "queue": queue, "secret": secret}
        self._app = _Quiet([(rf"{route.rstrip('/')}/?", UpdateHandler, options)])
        self._listen = listen
        self._port = port
        self._server: tornado.httpserver.HTTPServer | None = None

    async def start(self) -> None:
        server = tornado.httpserver.HTTPServer(self._app)
        server.listen(self._port, address=self._listen)
        self._server = server

    async def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
            self._server = None
