"""A local Discord: the REST API, interaction callbacks/webhooks and the CDN on 127.0.0.1.

discord.py's `Route.BASE` is pointed here, attachment URLs in test payloads point here too,
so every HTTP request the real client makes lands in `FakeDiscord.requests`. The fake keeps
the messages the bot created the way a user would see them (`FakeDiscord.messages`), modelling
the interaction rules that matter: a deferred "thinking" response is replaced by the first
followup (which keeps the visibility chosen when deferring) unless it was deleted first.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.discord.limits import ChannelLimits

API_PREFIX = "/api/v10"
EPHEMERAL = 1 << 6
MESSAGE_CONTENT_INTENT = 1 << 15
BOT_ID = 900_000_000_000_000_001
APP_ID = 900_000_000_000_000_002
OWNER_ID = 900_000_000_000_000_003


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    field: str
    filename: str
    data: bytes


@dataclass
class Request:
    """One HTTP request the bot made."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    files: list[Upload]
    authorization: str | None


@dataclass
class Message:
    """A message as the user sees it now (after edits); `kind` says how it was created."""

    id: int
    channel_id: int
    kind: str
    ephemeral: bool = False
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    files: list[Upload] = field(default_factory=list)
    reference_id: int | None = None
    interaction_token: str | None = None
    loading: bool = False
    deleted: bool = False

    @property
    def buttons(self) -> list[dict[str, Any]]:
        return [c for row in self.components for c in row.get("components", [])]

    @property
    def text(self) -> str:
        """Content plus every embed's title and description, for simple assertions."""
        parts = [self.content]
        for embed in self.embeds:
            parts += [embed.get("title", ""), embed.get("description", "")]
        return "\n".join(p for p in parts if p)


@dataclass
class _Interaction:
    channel_id: int = 0
    original_id: int | None = None
    thinking: bool = False
    acknowledged: bool = False


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def message_fields(
    message_id: int,
    author: dict[str, Any],
    content: str,
    *,
    attachments: list[dict[str, Any]],
    embeds: list[dict[str, Any]],
    components: list[dict[str, Any]],
    flags: int = 0,
) -> dict[str, Any]:
    """What every Discord message object carries, whether the bot or a member sent it."""
    return {
        "id": str(message_id),
        "author": author,
        "content": content,
        "timestamp": now_iso(),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": attachments,
        "embeds": embeds,
        "components": components,
        "pinned": False,
        "type": 0,
        "flags": flags,
    }


def user_json(user_id: int, username: str, *, bot: bool = False, global_name: str | None = None):
    return {
        "id": str(user_id),
        "username": username,
        "discriminator": "0",
        "global_name": global_name,
        "avatar": None,
        "bot": bot,
        "flags": 0,
    }


class FakeDiscord:
    """The fake server; `await start()` it, then point discord.py at `api_base`."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.requests: list[Request] = []
        self.unhandled: list[Request] = []
        self.messages: dict[int, Message] = {}
        self.blobs: dict[str, tuple[bytes, str]] = {}
        self.downloads: list[str] = []
        self.second_responses = 0
        """Initial responses refused with 40060 (an interaction answered twice)."""
        self.refuse_uploads = 0
        """The next requests with files refused with 413, as Discord does past its size limit."""
        self.synced_commands: dict[str, list[dict[str, Any]]] = {}
        self.dm_channels: dict[int, int] = {}
        self.dm_closed: set[int] = set()
        self.no_access_channels: set[int] = set()
        self.channel_limits = ChannelLimits(limit=None)  # per channel, on posts and edits
        self._interactions: dict[str, _Interaction] = {}
        self._ids = itertools.count(910_000_000_000_000_000)
        self._runner: web.AppRunner | None = None
        self.deferred = asyncio.Event()
        self.identifies: list[dict[str, Any]] = []
        self.refuse_message_content = False
        self.ready = asyncio.Event()
        self.guild_create: dict[str, Any] | None = None
        self._sockets: list[web.WebSocketResponse] = []
        self._sequence = itertools.count(1)
        self.url = ""
        self.bot_user = user_json(BOT_ID, "selfiebot", bot=True)

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return self.url + API_PREFIX

    def next_id(self) -> int:
        return next(self._ids)

    # --- test helpers ----------------------------------------------------------------------

    def serve_file(self, name: str, data: bytes, content_type: str) -> str:
        """Host bytes on the fake CDN; returns the URL to put in an attachment payload."""
        path = f"/cdn/attachments/{self.next_id()}/{name}"
        self.blobs[path] = (data, content_type)
        return self.url + path

    def expect_interaction(self, token: str, channel_id: int) -> None:
        """Tell the fake which channel an interaction (by token) happens in."""
        self._interactions[token] = _Interaction(channel_id=channel_id)

    def visible(self) -> list[Message]:
        """Messages that exist now (not deleted, not still 'thinking'), oldest first."""
        return [m for m in self.messages.values() if not m.deleted and not m.loading]

    def calls(self, method: str, pattern: str) -> list[Request]:
        rx = re.compile(pattern)
        return [r for r in self.requests if r.method == method and rx.fullmatch(r.path)]

    def message_json(self, message: Message) -> dict[str, Any]:
        """The message as Discord's API returns it (also used in component payloads)."""
        attachments = [
            {
                "id": str(self.next_id()),
                "filename": upload.filename,
                "size": len(upload.data),
                "url": f"{self.url}/cdn/sent/{upload.filename}",
                "proxy_url": f"{self.url}/cdn/sent/{upload.filename}",
            }
            for upload in message.files
        ]
        return {
            **message_fields(
                message.id,
                self.bot_user,
                message.content,
                attachments=attachments,
                embeds=message.embeds,
                components=message.components,
                flags=EPHEMERAL if message.ephemeral else 0,
            ),
            "channel_id": str(message.channel_id),
            **({"webhook_id": str(APP_ID)} if message.interaction_token else {}),
        }

    # --- gateway (websocket) -----------------------------------------------------------------

    async def _get_gateway_bot(self, request: Request) -> web.Response:
        limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
        url = self.url.replace("http://", "ws://") + "/gateway"
        return _json({"url": url, "shards": 1, "session_start_limit": limit})

    async def dispatch_event(self, event: str, data: dict[str, Any]) -> None:
        """Send a gateway DISPATCH to every connected shard, as Discord pushes events."""
        for ws in list(self._sockets):
            await ws.send_json({"op": 0, "t": event, "s": next(self._sequence), "d": data})

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        """HELLO, IDENTIFY -> READY (+ GUILD_CREATE), heartbeats acknowledged.

        With `refuse_message_content` set, an IDENTIFY asking for the privileged Message
        Content intent is closed with 4014, as Discord does when the portal switch is off.
        """
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 45_000}})
        try:
            async for frame in ws:
                if frame.type != WSMsgType.TEXT:
                    continue
                message = json.loads(frame.data)
                if message["op"] == 1:
                    await ws.send_json({"op": 11})
                elif message["op"] == 2:
                    await self._identify(ws, message["d"])
        finally:
            self._sockets.remove(ws)
        return ws

    async def _identify(self, ws: web.WebSocketResponse, identify: dict[str, Any]) -> None:
        self.identifies.append(identify)
        if identify["token"] != self.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return
        if self.refuse_message_content and identify["intents"] & MESSAGE_CONTENT_INTENT:
            await ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        created = self.guild_create
        guilds = [] if created is None else [{"id": created["id"], "unavailable": True}]
        ready = {
            "v": 10,
            "user": self.bot_user,
            "guilds": guilds,
            "session_id": "fake-session",
            "resume_gateway_url": self.url.replace("http://", "ws://") + "/gateway",
            "shard": identify.get("shard", [0, 1]),
            "application": {"id": str(APP_ID), "flags": 0},
        }
        await ws.send_json({"op": 0, "t": "READY", "s": next(self._sequence), "d": ready})
        if self.guild_create is not None:
            await ws.send_json(
                {"op": 0, "t": "GUILD_CREATE", "s": next(self._sequence), "d": self.guild_create}
            )
        self.ready.set()

    # --- request handling ------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        body, files = await _read_body(request)
        path = request.path
        if path.startswith("/cdn/"):
            return self._cdn(path)
        api_path = path.removeprefix(API_PREFIX)
        recorded = Request(
            request.method,
            api_path,
            dict(request.query),
            body,
            files,
            request.headers.get("Authorization"),
        )
        self.requests.append(recorded)
        for method, pattern, handler in self._routes():
            match = re.fullmatch(pattern, api_path)
            if match and request.method == method:
                if handler.__name__ in _BOT_AUTH and recorded.authorization != f"Bot {self.token}":
                    return _error(401, 0, "401: Unauthorized")
                return await handler(recorded, **match.groupdict())
        self.unhandled.append(recorded)
        return _error(404, 0, f"Unknown route {request.method} {api_path}")

    def _routes(self) -> list[tuple[str, str, Any]]:
        app, token = r"(?P<app>\d+)", r"(?P<token>[^/]+)"
        return [
            ("GET", r"/users/@me", self._get_me),
            ("GET", r"/oauth2/applications/@me", self._get_application),
            ("GET", r"/gateway/bot", self._get_gateway_bot),
            ("PUT", rf"/applications/{app}/commands", self._sync_commands),
            ("PUT", rf"/applications/{app}/guilds/(?P<guild>\d+)/commands", self._sync_commands),
            ("POST", rf"/interactions/(?P<iid>\d+)/{token}/callback", self._callback),
            ("PATCH", rf"/webhooks/{app}/{token}/messages/(?P<mid>@original|\d+)", self._edit_hook),
            ("DELETE", rf"/webhooks/{app}/{token}/messages/@original", self._delete_original),
            ("POST", rf"/webhooks/{app}/{token}", self._followup),
            ("POST", r"/channels/(?P<channel>\d+)/messages", self._channel_message),
            ("PATCH", r"/channels/(?P<channel>\d+)/messages/(?P<mid>\d+)", self._edit_message),
            ("POST", r"/channels/(?P<channel>\d+)/typing", self._typing),
            ("POST", r"/users/@me/channels", self._open_dm),
        ]

    def _cdn(self, path: str) -> web.Response:
        self.downloads.append(path)
        if path not in self.blobs:
            return web.Response(status=404, text="not found")
        data, content_type = self.blobs[path]
        return web.Response(body=data, content_type=content_type)

    async def _get_me(self, request: Request) -> web.Response:
        return _json(self.bot_user)

    async def _get_application(self, request: Request) -> web.Response:
        return _json(
            {
                "id": str(APP_ID),
                "name": "selfiebot",
                "icon": None,
                "description": "",
                "rpc_origins": [],
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": user_json(OWNER_ID, "owner"),
                "summary": "",
                "verify_key": "0" * 64,
                "team": None,
                "flags": 0,
            }
        )

    async def _sync_commands(self, request: Request, app: str, guild: str = "") -> web.Response:
        if not all(map(_valid_localizations, request.json)):
            return _error(400, 50035, "Invalid Form Body (localizations)")
        self.synced_commands[guild or "global"] = request.json
        answer = [
            {
                **command,
                "id": str(self.next_id()),
                "application_id": app,
                "version": "1",
                "type": command.get("type", 1),
                **({"guild_id": guild} if guild else {}),
            }
            for command in request.json
        ]
        return _json(answer)

    def _new_message(self, channel_id: int, kind: str, data: dict[str, Any], files: list[Upload],
                     *, ephemeral: bool, token: str | None = None) -> Message:  # fmt: skip
        reference = (data.get("message_reference") or {}).get("message_id")
        message = Message(
            id=self.next_id(),
            channel_id=channel_id,
            kind=kind,
            ephemeral=ephemeral,
            content=data.get("content") or "",
            embeds=data.get("embeds") or [],
            components=data.get("components") or [],
            files=files,
            reference_id=int(reference) if reference else None,
            interaction_token=token,
        )
        self.messages[message.id] = message
        return message

    async def _callback(self, request: Request, iid: str, token: str) -> web.Response:
        kind = request.json["type"]
        data = request.json.get("data") or {}
        ephemeral = bool(int(data.get("flags") or 0) & EPHEMERAL)
        state = self._interactions.setdefault(token, _Interaction())
        if self._refused_upload(request):
            return _error(413, 40005, "Request entity too large")
        if state.acknowledged:  # Discord takes one initial response per interaction
            self.second_responses += 1
            return _error(400, 40060, "Interaction has already been acknowledged.")
        state.acknowledged = True
        interaction: dict[str, Any] = {"id": iid, "type": 2}
        if kind in (5, 6):
            self.deferred.set()
        if kind in (4, 5):
            message = self._new_message(
                state.channel_id, "response", data, request.files, ephemeral=ephemeral, token=token
            )
            message.loading = kind == 5
            state.original_id, state.thinking = message.id, kind == 5
            interaction.update(
                response_message_id=str(message.id),
                response_message_loading=kind == 5,
                response_message_ephemeral=ephemeral,
            )
            resource = {"type": kind, "message": self.message_json(message)}
            return _json({"interaction": interaction, "resource": resource})
        return _json({"interaction": interaction})

    def _apply_edit(self, message: Message, data: dict[str, Any], files: list[Upload]) -> None:
        if "content" in data:
            message.content = data["content"] or ""
        if "embeds" in data:
            message.embeds = data["embeds"] or []
        if "components" in data:
            message.components = data["components"] or []
        if "attachments" in data:
            message.files = files
        message.loading = False

    def _original(self, token: str) -> Message | None:
        state = self._interactions.get(token)
        if state is None or state.original_id is None:
            return None
        message = self.messages[state.original_id]
        return None if message.deleted else message

    async def _edit_hook(self, request: Request, app: str, token: str, mid: str) -> web.Response:
        original = mid == "@original"  # the response; a followup by its id
        message = self._original(token) if original else self.messages.get(int(mid))
        if message is None or message.deleted or message.interaction_token != token:
            return _error(404, 10008, "Unknown Message")
        self._apply_edit(message, request.json, request.files)
        self._interactions[token].thinking &= not original
        return _json(self.message_json(message))

    async def _delete_original(self, request: Request, app: str, token: str) -> web.Response:
        message = self._original(token)
        if message is None:
            return _error(404, 10008, "Unknown Message")
        message.deleted = True
        self._interactions[token].thinking = False
        return web.Response(status=204)

    async def _followup(self, request: Request, app: str, token: str) -> web.Response:
        state = self._interactions.get(token)
        if state is None:
            return _error(404, 10015, "Unknown Webhook")
        original = self._original(token)
        if state.thinking and original is not None:
            # Discord: the first followup after a thinking defer replaces the thinking
            # message and keeps the visibility chosen when deferring.
            self._apply_edit(original, {**request.json, "attachments": None}, request.files)
            state.thinking = False
            return _json(self.message_json(original))
        ephemeral = bool(int(request.json.get("flags") or 0) & EPHEMERAL)
        message = self._new_message(
            state.channel_id,
            "followup",
            request.json,
            request.files,
            ephemeral=ephemeral,
            token=token,
        )
        return _json(self.message_json(message))

    async def _channel_message(self, request: Request, channel: str) -> web.Response:
        channel_id = int(channel)
        if channel_id in self.no_access_channels:
            return _error(403, 50001, "Missing Access")
        dm_user = next((u for u, c in self.dm_channels.items() if c == channel_id), None)
        if dm_user is not None and dm_user in self.dm_closed:
            return _error(403, 50007, "Cannot send messages to this user")
        if self._refused_upload(request):
            return _error(413, 40005, "Request entity too large")
        headers, refusal = self.channel_limits.take("channel-messages", channel_id)
        if refusal is not None:
            return refusal
        kind = "dm" if dm_user is not None else "channel"
        message = self._new_message(channel_id, kind, request.json, request.files, ephemeral=False)
        return _json(self.message_json(message), headers=headers)

    async def _edit_message(self, request: Request, channel: str, mid: str) -> web.Response:
        message = self.messages.get(int(mid))
        if message is None or message.deleted or message.channel_id != int(channel):
            return _error(404, 10008, "Unknown Message")
        headers, refusal = self.channel_limits.take("channel-edits", int(channel))
        if refusal is not None:
            return refusal
        self._apply_edit(message, request.json, request.files)
        return _json(self.message_json(message), headers=headers)

    def _refused_upload(self, request: Request) -> bool:
        if not request.files or self.refuse_uploads <= 0:
            return False
        self.refuse_uploads -= 1
        return True

    async def _typing(self, request: Request, channel: str) -> web.Response:
        return web.Response(status=204)

    async def _open_dm(self, request: Request) -> web.Response:
        user_id = int(request.json["recipient_id"])
        channel_id = self.dm_channels.setdefault(user_id, self.next_id())
        return _json(
            {
                "id": str(channel_id),
                "type": 1,
                "last_message_id": None,
                "recipients": [user_json(user_id, f"user{user_id}")],
            }
        )


_BOT_AUTH = {
    "_get_me",
    "_get_gateway_bot",
    "_get_application",
    "_sync_commands",
    "_channel_message",
    "_edit_message",
    "_typing",
    "_open_dm",
}


# Locales Discord accepts in `*_localizations` (its developer docs, "Locales").
DISCORD_LOCALES = frozenset(
    {
        "id", "da", "de", "en-GB", "en-US", "es-ES", "es-419", "fr", "hr", "it", "lt", "hu", "nl",
        "no", "pl", "pt-BR", "ro", "fi", "sv-SE", "vi", "tr", "cs", "el", "bg", "ru", "uk", "hi",
        "th", "zh-CN", "ja", "zh-TW", "ko",
    }
)  # fmt: skip


def _valid_localizations(item: dict[str, Any]) -> bool:
    """Discord's rules: known locale keys, descriptions of 1-100 characters, in every option."""
    for kind, limit in (("name_localizations", 32), ("description_localizations", 100)):
        for locale, text in (item.get(kind) or {}).items():
            if locale not in DISCORD_LOCALES or not 1 <= len(text) <= limit:
                return False
    nested = [*item.get("options", []), *item.get("choices", [])]
    return all(_valid_localizations(option) for option in nested)


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """Exactly `application/json` (no charset): discord.py compares the header verbatim."""
    headers = {**(headers or {}), "Content-Type": "application/json"}
    return web.Response(body=json.dumps(data).encode(), status=status, headers=headers)


def _error(status: int, code: int, message: str) -> web.Response:
    return _json({"code": code, "message": message}, status=status)


async def _read_body(request: web.Request) -> tuple[Any, list[Upload]]:
    """JSON bodies as they are; multipart bodies as (payload_json, files)."""
    if request.content_type.startswith("multipart/"):
        payload: Any = None
        files: list[Upload] = []
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            data = await part.read()  # type: ignore[union-attr]
            if part.name == "payload_json":
                payload = json.loads(data)
            else:
                files.append(Upload(part.name or "", part.filename or "", bytes(data)))
        return payload, files
    raw = await request.read()
    return (json.loads(raw) if raw else None), []
