"""Run the real bot (`bot.telegram.runner.serve`) against the fake Bot API inside a test."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.core.events import ChatRef, Event
from bot.core.game import Game
from bot.core.replies import Announcement, Reply
from bot.settings import Settings
from bot.telegram.runner import serve
from tests.fakes.claims import ClaimsOnce
from tests.fakes.telegram.server import ApiCall, FakeBotApi


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    """The fake Bot API on 127.0.0.1 for one test (conftest keeps everything else offline)."""
    with FakeBotApi() as server:
        yield server


@pytest.fixture
async def game(settings: Settings) -> AsyncIterator[Game]:
    """The real game (models, SQLite in the test's data dir) on the module's `settings`."""
    opened = await Game.open(settings)
    yield opened
    await opened.close()


def shown_text(call: ApiCall) -> str:
    """What the user reads: a message's text or a photo's caption (as Telegram parsed it)."""
    return call.result.get("text") or call.result.get("caption") or ""


def bot_settings(api: FakeBotApi, monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    """Settings pointing the bot at `api`, configured through the environment like in prod."""
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", api.token)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", api.base_url)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings()


@contextlib.asynccontextmanager
async def running_bot(
    game: Any, settings: Settings, api: FakeBotApi
) -> AsyncIterator[asyncio.Task[None]]:
    """`serve(game, settings)` as a task, started (receiving updates) and then cancelled."""
    task = asyncio.create_task(serve(game, settings))
    try:
        await api.wait_for(
            lambda: task.done() or api.calls("deleteWebhook", "setWebhook"),
            what="bot start-up (polling or webhook bootstrap)",
        )
        if task.done():
            task.result()
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


Rule = Callable[[Event], list[Reply] | Awaitable[list[Reply]]]


def no_replies(event: Event) -> list[Reply]:
    return []


@dataclass
class ScriptedGame(ClaimsOnce):
    """Stands in for `bot.core.game.Game` where a test needs exact, chosen replies.

    Implements the facade the adapter uses; records what it was given.
    """

    rule: Rule = no_replies
    events: list[Event] = field(default_factory=list)
    sent_tags: list[tuple[ChatRef, str, str]] = field(default_factory=list)
    announcements: list[Announcement] = field(default_factory=list)
    answered: set[str] = field(default_factory=set)
    claimed: set[str] = field(default_factory=set)
    auto_score: bool = True

    async def handle(self, event: Event) -> list[Reply]:
        self.events.append(event)
        key = f"{event.chat.platform}:{event.update_id}"
        if key in self.answered:
            return []
        self.answered.add(key)
        replies = self.rule(event)
        return await replies if inspect.isawaitable(replies) else replies

    async def auto_score_enabled(self, chat: ChatRef) -> bool:
        return self.auto_score

    async def reply_sent(self, chat: ChatRef, tag: str, message_id: str) -> None:
        self.sent_tags.append((chat, tag, message_id))

    async def due_announcements(self, platform: str) -> list[Announcement]:
        due = [a for a in self.announcements if a.platform == platform]
        self.announcements = [a for a in self.announcements if a.platform != platform]
        return due

    async def close(self) -> None:
        return None
