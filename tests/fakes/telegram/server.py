"""An in-process Telegram Bot API server on 127.0.0.1 for end-to-end tests.

It speaks the real HTTP protocol PTB uses (form and multipart POSTs to `/bot<token>/<method>`,
file downloads from `/file/bot<token>/<path>`), serves queued updates through `getUpdates`
honouring `offset`, enforces the limits a real server would reject (HTML that does not parse,
captions over 1024 characters, callback data over 64 bytes, DMs to users who never started the
bot), and records every call with its parameters and uploaded files for the tests to inspect.
The bot's messages are kept as sent, so edits (`tests.fakes.telegram.edits`) change them.

Runs uvicorn in its own thread and event loop, so the bot under test talks to it exactly as it
would to Telegram: over a socket, concurrently.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import json
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.telegram.checks import ApiError, check_keyboard, check_markup, utf16_len
from tests.fakes.telegram.edits import MessageEdits

T = TypeVar("T")

BOT_ID = 7_000_000_001
TEXT_FIELDS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "secret_token",
        "url",
        "file_id",
        "action",
        "description",
    }
)


@dataclass(frozen=True)
class Upload:
    """A file the bot uploaded (multipart part)."""

    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(frozen=True)
class ApiCall:
    """One Bot API request as the server understood it; `result` is what it answered."""

    method: str
    params: dict[str, Any]
    uploads: dict[str, Upload]
    result: Any = None
    error: str | None = None

    def upload(self, param: str) -> Upload:
        """The file sent for `param` (directly, or through an `attach://name` reference)."""
        value = self.params.get(param)
        if isinstance(value, str) and value.startswith("attach://"):
            return self.uploads[value.removeprefix("attach://")]
        return self.uploads[param]


@dataclass
class _Failure:
    times: int
    status: int
    retry_after: int | None
    description: str


@dataclass
class _State:
    updates: list[tuple[dict[str, Any], bool]] = field(default_factory=list)
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    chats: dict[int, dict[str, Any]] = field(default_factory=dict)
    members: dict[tuple[int, int], str] = field(default_factory=dict)
    member_counts: dict[int, int] = field(default_factory=dict)
    no_private: set[int] = field(default_factory=set)
    failures: dict[str, _Failure] = field(default_factory=dict)
    stalls: dict[str, int] = field(default_factory=dict)
    calls: list[ApiCall] = field(default_factory=list)
    message_ids: dict[int, itertools.count] = field(default_factory=dict)
    posted: dict[tuple[int, int], tuple[dict[str, Any], str]] = field(default_factory=dict)
    webhook: dict[str, Any] | None = None


class FakeBotApi(MessageEdits):
    """The emulator; use as a context manager (or `start`/`stop`)."""

    def __init__(
        self,
        token: str = "7000000001:AAF4ke-T0ken_for_selfiebot_tests",
        username: str = "selfie_test_bot",
    ) -> None:
        self.token = token
        self.username = username
        self.bot_user = {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Selfie Test Bot",
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self._lock = threading.RLock()
        self._state = _State()
        self._update_ids = itertools.count(1000)
        self._file_ids = itertools.count(1)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self.port = 0

    # --- lifecycle --------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeBotApi:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self._app(), log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="fake-bot-api", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("fake Bot API server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._stopping.set()  # ends pending long polls, which would hold the shutdown
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> FakeBotApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- scripting the world ---------------------------------------------------------------

    def push(self, update: dict[str, Any], *, ignore_offset: bool = False) -> dict[str, Any]:
        """Queue `update` for getUpdates (assigning an `update_id` unless it has one).

        `ignore_offset` delivers it even if the bot already confirmed that id: Telegram's
        re-delivery of an update, as after a crash or a webhook timeout.
        """
        with self._lock:
            update.setdefault("update_id", next(self._update_ids))
            self._state.updates.append((update, ignore_offset))
        return update

    def next_message_id(self, chat_id: int) -> int:
        with self._lock:
            counter = self._state.message_ids.setdefault(chat_id, itertools.count(1))
            return next(counter)

    def register_chat(self, chat: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._state.chats[chat["id"]] = chat
        return chat

    def add_file(
        self, data: bytes, name: str = "photo.jpg", *, size: int | None = None
    ) -> dict[str, Any]:
        """Store `data` as a Telegram file; `size` overrides the size Telegram reports."""
        with self._lock:
            number = next(self._file_ids)
            file_id = f"FILE{number:06d}"
            path = f"files/{number}_{name}"
            self._state.files[file_id] = (data, path)
        return {
            "file_id": file_id,
            "file_unique_id": f"U{number:06d}",
            "file_size": len(data) if size is None else size,
        }

    def set_member_status(self, chat_id: int, user_id: int, status: str) -> None:
        with self._lock:
            self._state.members[(chat_id, user_id)] = status

    def set_member_count(self, chat_id: int, count: int) -> None:
        """What getChatMemberCount answers for the chat (bots included, as Telegram counts)."""
        with self._lock:
            self._state.member_counts[chat_id] = count

    def forbid_private(self, user_id: int) -> None:
        """The user never started the bot: DMs to them are refused with 403."""
        with self._lock:
            self._state.no_private.add(user_id)

    def stall(self, method: str, *, times: int = 1) -> None:
        """Carry out the next `times` calls of `method` (a sent message is posted and recorded)
        but never answer them: the caller cannot tell whether its request arrived."""
        with self._lock:
            self._state.stalls[method] = times

    def _take_stall(self, method: str) -> bool:
        with self._lock:
            left = self._state.stalls.get(method, 0)
            if left <= 0:
                return False
            self._state.stalls[method] = left - 1
            return True

    def fail(
        self,
        method: str,
        *,
        times: int = 1,
        status: int = 502,
        retry_after: int | None = None,
        description: str = "Bad Gateway",
    ) -> None:
        """Answer the next `times` calls of `method` with an error (429 with `retry_after`);
        `description` is Telegram's error text, e.g. "Bad Request: file is too big"."""
        with self._lock:
            self._state.failures[method] = _Failure(
                times, 429 if retry_after else status, retry_after, description
            )

    # --- inspection -------------------------------------------------------------------------

    def calls(self, *methods: str, chat_id: int | None = None) -> list[ApiCall]:
        """Recorded calls (of `methods`, in `chat_id`), oldest first."""
        with self._lock:
            found = list(self._state.calls)
        if methods:
            found = [c for c in found if c.method in methods]
        if chat_id is not None:
            found = [c for c in found if c.params.get("chat_id") == chat_id]
        return found

    def sent(self, chat_id: int | None = None) -> list[ApiCall]:
        """Successful message-sending calls (text, photo, document)."""
        return [
            c
            for c in self.calls("sendMessage", "sendPhoto", "sendDocument", chat_id=chat_id)
            if c.error is None
        ]

    @property
    def webhook(self) -> dict[str, Any] | None:
        with self._lock:
            return self._state.webhook

    @property
    def pending_updates(self) -> int:
        with self._lock:
            return len(self._state.updates)

    async def wait_for(
        self,
        predicate: Callable[[], T | Awaitable[T]],
        *,
        timeout: float = 30.0,
        what: str = "condition",
    ) -> T:
        """Wait (in the test's loop) until `predicate()` is truthy; return its value.

        `predicate` may be async, e.g. a query on the game's store."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if inspect.isawaitable(value):
                value = await value
            if value:
                return value
            if time.monotonic() > deadline:
                methods = [c.method for c in self.calls()]
                raise AssertionError(f"timed out waiting for {what}; calls so far: {methods}")
            await asyncio.sleep(0.02)

    # --- HTTP -------------------------------------------------------------------------------

    def _app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/bot{token}/{method}", self._api, methods=["GET", "POST"]),
                Route("/file/bot{token}/{path:path}", self._download, methods=["GET"]),
            ]
        )

    async def _api(self, request: Request) -> Response:
        method = request.path_params["method"]
        params, uploads = await _read_params(request)
        if request.path_params["token"] != self.token:
            return _error(ApiError(401, "Unauthorized"))
        try:
            self._inject_failure(method)
            handler = getattr(self, f"_m_{method}", None)
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            result = (
                await handler(params, uploads)
                if method == "getUpdates"
                else handler(params, uploads)
            )
        except ApiError as exc:
            self._record(ApiCall(method, params, uploads, error=exc.description))
            return _error(exc)
        self._record(ApiCall(method, params, uploads, result=result))
        if self._take_stall(method):
            while not self._stopping.is_set():  # done, but the answer never comes back
                await asyncio.sleep(0.05)
        return JSONResponse({"ok": True, "result": result})

    async def _download(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return Response(status_code=401)
        path = request.path_params["path"]
        with self._lock:
            found = next((data for data, p in self._state.files.values() if p == path), None)
        if found is None:
            return Response(status_code=404)
        return Response(found, media_type="application/octet-stream")

    def _record(self, call: ApiCall) -> None:
        if call.method == "getUpdates" and not call.result and call.error is None:
            return  # empty long polls would drown the log
        with self._lock:
            self._state.calls.append(call)

    def _inject_failure(self, method: str) -> None:
        with self._lock:
            failure = self._state.failures.get(method)
            if failure is None or failure.times <= 0:
                return
            failure.times -= 1
        if failure.retry_after:
            raise ApiError(
                429, f"Too Many Requests: retry after {failure.retry_after}", failure.retry_after
            )
        raise ApiError(failure.status, failure.description)

    # --- methods ----------------------------------------------------------------------------

    def _m_getMe(self, params: dict[str, Any], uploads: dict[str, Upload]) -> dict[str, Any]:
        return self.bot_user

    def _m_deleteWebhook(self, params: dict[str, Any], uploads: dict[str, Upload]) -> bool:
        with self._lock:
            self._state.webhook = None
        return True

    def _m_setWebhook(self, params: dict[str, Any], uploads: dict[str, Upload]) -> bool:
        with self._lock:
            self._state.webhook = dict(params)
        return True

    def _m_setMyCommands(self, params: dict[str, Any], uploads: dict[str, Upload]) -> bool:
        code = params.get("language_code")
        if code is not None and not (len(code) == 2 and code.isascii() and code.islower()):
            raise ApiError(400, "Bad Request: invalid language code specified")
        for command in params["commands"]:
            if (
                not 1 <= len(command["command"]) <= 32
                or not 1 <= len(command["description"]) <= 256
            ):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        return True

    async def _m_getUpdates(
        self, params: dict[str, Any], uploads: dict[str, Upload]
    ) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        while True:
            with self._lock:
                if offset:  # confirms every update below it, as Telegram does
                    self._state.updates = [
                        (update, forced)
                        for update, forced in self._state.updates
                        if forced or update["update_id"] >= offset
                    ]
                batch = self._state.updates[:limit]
                if batch:
                    rest = self._state.updates[limit:]
                    self._state.updates = [(update, False) for update, _ in batch] + rest
                    return [update for update, _ in batch]
            if time.monotonic() >= deadline or self._stopping.is_set():
                return []
            await asyncio.sleep(0.02)

    def _m_getFile(self, params: dict[str, Any], uploads: dict[str, Upload]) -> dict[str, Any]:
        with self._lock:
            entry = self._state.files.get(params["file_id"])
        if entry is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        data, path = entry
        return {
            "file_id": params["file_id"],
            "file_unique_id": "U" + params["file_id"],
            "file_size": len(data),
            "file_path": path,
        }

    def _m_getChatMember(
        self, params: dict[str, Any], uploads: dict[str, Upload]
    ) -> dict[str, Any]:
        chat_id, user_id = int(params["chat_id"]), int(params["user_id"])
        with self._lock:
            status = self._state.members.get((chat_id, user_id), "member")
        member: dict[str, Any] = {
            "status": status,
            "user": {"id": user_id, "is_bot": False, "first_name": "U"},
        }
        if status == "creator":
            member["is_anonymous"] = False
        if status == "administrator":
            member.update(
                dict.fromkeys(
                    (
                        "can_be_edited",
                        "is_anonymous",
                        "can_manage_chat",
                        "can_delete_messages",
                        "can_manage_video_chats",
                        "can_restrict_members",
                        "can_promote_members",
                        "can_change_info",
                        "can_invite_users",
                        "can_post_stories",
                        "can_edit_stories",
                        "can_delete_stories",
                    ),
                    False,
                )
            )
        return member

    def _m_getChatMemberCount(self, params: dict[str, Any], uploads: dict[str, Upload]) -> int:
        chat_id = int(params["chat_id"])
        self._check_chat(chat_id)
        with self._lock:
            return self._state.member_counts.get(chat_id, 2 if chat_id > 0 else 10)

    def _m_sendChatAction(self, params: dict[str, Any], uploads: dict[str, Upload]) -> bool:
        self._check_chat(params["chat_id"])
        return True

    def _m_answerCallbackQuery(self, params: dict[str, Any], uploads: dict[str, Upload]) -> bool:
        if len(params.get("text") or "") > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        return True

    def _m_sendMessage(self, params: dict[str, Any], uploads: dict[str, Upload]) -> dict[str, Any]:
        text = params.get("text") or ""
        visible = check_markup(text, params.get("parse_mode"))
        if not visible.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(visible) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        return self._message(params, {"text": visible})

    def _m_sendPhoto(self, params: dict[str, Any], uploads: dict[str, Upload]) -> dict[str, Any]:
        upload = ApiCall("sendPhoto", params, uploads).upload("photo")
        extra = self._caption(params)
        stored = self.add_file(upload.data, upload.filename or "photo.jpg")
        extra["photo"] = [{**stored, "width": 640, "height": 640}]
        return self._message(params, extra)

    def _m_sendDocument(self, params: dict[str, Any], uploads: dict[str, Upload]) -> dict[str, Any]:
        upload = ApiCall("sendDocument", params, uploads).upload("document")
        extra = self._caption(params)
        stored = self.add_file(upload.data, upload.filename or "file")
        extra["document"] = {
            **stored,
            "file_name": upload.filename,
            "mime_type": upload.content_type,
        }
        return self._message(params, extra)

    def _caption(self, params: dict[str, Any]) -> dict[str, Any]:
        caption = params.get("caption")
        if not caption:
            return {}
        visible = check_markup(caption, params.get("parse_mode"))
        if utf16_len(visible) > 1024:
            raise ApiError(400, "Bad Request: message caption is too long")
        return {"caption": visible}

    def _message(self, params: dict[str, Any], content: dict[str, Any]) -> dict[str, Any]:
        chat = self._check_chat(params["chat_id"])
        check_keyboard(params.get("reply_markup"))
        message = {
            "message_id": self.next_message_id(chat["id"]),
            "date": int(time.time()),
            "chat": chat,
            "from": self.bot_user,
            **content,
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        self._keep(message, params.get("text") or params.get("caption") or "")
        return message

    def _check_chat(self, chat_id: Any) -> dict[str, Any]:
        chat_id = int(chat_id)
        with self._lock:
            if chat_id > 0 and chat_id in self._state.no_private:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
            chat = self._state.chats.get(chat_id)
        if chat is None:
            chat = (
                {"id": chat_id, "type": "private", "first_name": "User"}
                if chat_id > 0
                else {"id": chat_id, "type": "supergroup", "title": "Group"}
            )
        return chat


async def _read_params(request: Request) -> tuple[dict[str, Any], dict[str, Upload]]:
    params: dict[str, Any] = dict(request.query_params)
    uploads: dict[str, Upload] = {}
    if request.method == "POST":
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("application/json"):
            body = await request.body()
            params.update(json.loads(body) if body else {})
            return params, uploads
        form = await request.form()
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                uploads[key] = Upload(value.filename, value.content_type, await value.read())
            else:
                params[key] = _decode(key, value)
    return params, uploads


def _decode(key: str, value: str) -> Any:
    """PTB JSON-encodes every non-string parameter; free-text ones stay text."""
    if key in TEXT_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _error(exc: ApiError) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error_code": exc.code, "description": exc.description}
    if exc.retry_after is not None:
        body["parameters"] = {"retry_after": exc.retry_after}
    return JSONResponse(body, status_code=exc.code)
