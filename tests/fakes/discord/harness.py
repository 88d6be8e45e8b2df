"""Shared by the Discord tests: the fake Discord, a logged-in client, a scripted game."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import discord
import pytest

from bot.core.events import ChatRef, CommandEvent, Event
from bot.core.replies import Announcement, Reply
from bot.discord.adapter import SelfieBotClient
from bot.discord.runner import build_client
from bot.settings import Settings
from tests.fakes.claims import ClaimsOnce
from tests.fakes.discord.people import DiscordWorld, Person
from tests.fakes.discord.server import FakeDiscord

TOKEN = "MTAxNjYx.fake-bot-token.for-tests-only"
ANN = Person(600_000_000_000_000_001, "ann", "Ann")
BOB = Person(600_000_000_000_000_002, "bob", "Bob")


@pytest.fixture
async def fake_discord(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    """A local Discord on 127.0.0.1; the library's REST base points at it (conftest: no network)."""
    fake = FakeDiscord(TOKEN)
    await fake.start()
    monkeypatch.setattr(discord.http.Route, "BASE", fake.api_base)
    yield fake
    await fake.stop()
    assert fake.unhandled == [], "the bot called Discord routes the fake does not know"


@asynccontextmanager
async def logged_in(
    fake: FakeDiscord, game: object, settings: Settings
) -> AsyncIterator[tuple[SelfieBotClient, DiscordWorld]]:
    """The real client logged in against the fake (runs setup_hook: sync, dynamic items, loop)
    for the block, then closed."""
    client = build_client(game, settings)  # type: ignore[arg-type]
    await client.login(TOKEN)
    try:
        await client.announcer.stop()
        world = DiscordWorld(fake, client)
        world.guild_create()
        yield client, world
    finally:
        await client.close()


@pytest.fixture
async def bot(
    fake_discord: FakeDiscord, game: object
) -> AsyncIterator[tuple[SelfieBotClient, DiscordWorld]]:
    """The client logged in with default settings, playing the test module's `game` fixture."""
    async with logged_in(fake_discord, game, discord_settings()) as logged:
        yield logged


def discord_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {"discord_bot_token": TOKEN, "discord_defer_after_seconds": 2.5}
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@dataclass
class ScriptedGame(ClaimsOnce):
    """Records what the adapter hands the core and answers with scripted replies."""

    script: Callable[[Event], list[Reply]] = lambda event: [Reply("ok", tag="t")]
    events: list[Event] = field(default_factory=list)
    sent: list[tuple[ChatRef, str, str]] = field(default_factory=list)
    auto_channels: set[str] = field(default_factory=set)
    announcements: list[Announcement] = field(default_factory=list)
    admin_answers: list[bool] = field(default_factory=list)
    hold: Callable[[], Awaitable[object]] | None = None
    claimed: set[str] = field(default_factory=set)

    async def handle(self, event: Event) -> list[Reply]:
        self.events.append(event)
        if self.hold is not None:
            await self.hold()
        if isinstance(event, CommandEvent) and event.name in {"duels", "resetseason"}:
            self.admin_answers.append(await event.is_admin())
        return self.script(event)

    async def reply_sent(self, chat: ChatRef, tag: str, message_id: str) -> None:
        self.sent.append((chat, tag, message_id))

    async def due_announcements(self, platform: str) -> list[Announcement]:
        due, self.announcements = self.announcements, []
        return due

    async def auto_score_enabled(self, chat: ChatRef) -> bool:
        return chat.chat_id in self.auto_channels
