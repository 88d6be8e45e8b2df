"""A fake chat platform for driving the game core in tests, as errbot's testbot does.

Tests push events as named people and pop the replies the core sends; the adapter then
"sends" each reply (gives it a message id) and reports tagged ones back through
`Game.reply_sent`, exactly as the real adapters do. `deliver=False` simulates an adapter that
crashed before sending, for the idempotency tests.
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.core.events import (
    ButtonEvent,
    ChatRef,
    CommandEvent,
    Event,
    PhotoEvent,
    PhotoUnavailable,
    ReactionEvent,
    Sender,
)
from bot.core.game import Game
from bot.core.markup import inline_literals
from bot.core.replies import Announcement, Button, Reply

PLATFORM = "test"


class FakeClock:
    """A settable clock; `Game` reads time only through it."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday morning

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass
class Sent:
    """A reply as the fake platform delivered it."""

    reply: Reply
    message_id: str
    chat: ChatRef

    @property
    def text(self) -> str:
        return inline_literals(self.reply.text)

    def button(self, action: str) -> Button:
        return next(b for b in self.reply.buttons if b.action == action)


@dataclass
class FakeAdapter:
    """Pushes events into a `Game` and collects what it answers."""

    game: Game
    clock: FakeClock = field(default_factory=FakeClock)
    chat: ChatRef = field(default_factory=lambda: ChatRef(PLATFORM, "chat-1", "Test chat"))
    admins: set[str] = field(default_factory=set)
    languages: dict[str, str] = field(default_factory=dict)
    """Each person's app language as their platform reports it (`ru`, `pt-BR`), by name."""
    outbox: deque[Sent] = field(default_factory=deque)
    platform_photos: dict[str, bytes] = field(default_factory=dict)
    """What the fake platform keeps of the photos people sent (a handle each, like file_id)."""
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def person(self, name: str) -> Sender:
        """A participant whose id, display name and @handle derive from `name`."""
        language = self.languages.get(name)
        return Sender(PLATFORM, f"id-{name}", name.capitalize(), name, language)

    def _next(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids)}"

    def _base(self, name: str, chat: ChatRef | None, update_id: str | None) -> dict:
        sender = self.person(name)

        async def is_admin() -> bool:
            return name in self.admins

        return {
            "chat": chat or self.chat,
            "sender": sender,
            "update_id": update_id or self._next("u"),
            "message_id": self._next("m"),
            "is_admin": is_admin,
            "fetch_photo": self.fetch_photo,
        }

    async def fetch_photo(self, handle: str) -> bytes:
        """The platform handing a photo back by its handle (`PhotoEvent.photo_handle`)."""
        if handle not in self.platform_photos:
            raise PhotoUnavailable(f"no photo {handle}")
        return self.platform_photos[handle]

    async def push(self, event: Event, *, deliver: bool = True) -> list[Sent]:
        """Hand one event to the core; the replies are sent and queued for `pop`.

        The clock moves on a second after each event, as it does between real messages.
        """
        sent = []
        for reply in await self.game.handle(event):
            item = Sent(reply, self._next("bot"), event.chat)
            if deliver and reply.tag:
                await self.game.reply_sent(event.chat, reply.tag, item.message_id)
            sent.append(item)
        self.outbox.extend(sent)
        self.clock.advance(seconds=1)
        return sent

    def pop(self) -> Sent:
        """The oldest reply not popped yet (fails when there is none)."""
        assert self.outbox, "the core sent no reply"
        return self.outbox.popleft()

    async def photo(
        self,
        name: str,
        data: bytes,
        *,
        chat: ChatRef | None = None,
        update_id: str | None = None,
        deliver: bool = True,
        season_board: bool = False,
        reactions: bool = True,
    ) -> list[Sent]:
        base = self._base(name, chat, update_id)
        handle = f"file-{base['message_id']}"
        self.platform_photos[handle] = data
        event = PhotoEvent(
            **base,
            photo=data,
            photo_handle=handle,
            season_board=season_board,
            reactions=reactions,
        )
        return await self.push(event, deliver=deliver)

    async def command(
        self,
        name: str,
        text: str,
        *,
        chat: ChatRef | None = None,
        update_id: str | None = None,
        mentions: tuple[str, ...] = (),
        deliver: bool = True,
    ) -> list[Sent]:
        """`text` like "/top week"; `mentions` are people the platform resolved."""
        command, *args = text.split()
        event = CommandEvent(
            **self._base(name, chat, update_id),
            name=command.lstrip("/").lower(),
            args=tuple(args),
            mentions=tuple(self.person(m) for m in mentions),
        )
        return await self.push(event, deliver=deliver)

    async def press(
        self,
        name: str,
        button: Button,
        *,
        chat: ChatRef | None = None,
        update_id: str | None = None,
    ) -> list[Sent]:
        event = ButtonEvent(
            **self._base(name, chat, update_id), action=button.action, payload=button.payload
        )
        return await self.push(event)

    async def react(self, name: str, message_id: str, emoji: str, *, added: bool = True) -> None:
        base = self._base(name, None, None)
        base["message_id"] = message_id
        assert await self.game.handle(ReactionEvent(**base, emoji=emoji, added=added)) == []

    async def announcements(self) -> list[Announcement]:
        return await self.game.due_announcements(PLATFORM)
