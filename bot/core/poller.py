"""The one announcement poller every front end uses: ask the game what is due, hand it over.

Season results, duel outcomes, weekly awards and streak reminders are produced by
`bot.core.scheduler` when `Game.due_announcements(platform)` is asked; something has to ask on
a clock. That clock lives here, once, as a plain asyncio task, instead of one loop per adapter
(PTB's JobQueue, a discord.py `tasks.loop`): adapters only say how to deliver one
announcement. Each announcement is handed out once across all processes, so a failed delivery
is logged and never retried by another process; one bad chat does not stop the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from bot.core.replies import Announcement

log = logging.getLogger(__name__)

Deliver = Callable[[Announcement], Awaitable[bool]]
"""Posts one announcement on the platform: True when posted, False when the platform refused
(no permission, chat gone: the adapter logs why, it knows its own errors). Anything it raises
is a bug and is logged with its traceback."""


class AnnouncementSource(Protocol):
    """The part of `bot.core.game.Game` the poller needs (test doubles implement it too)."""

    async def due_announcements(self, platform: str) -> list[Announcement]: ...


class AnnouncementPoller:
    """Polls `game.due_announcements(platform)` every `every` seconds and delivers each.

    `first` is the wait before the first poll (0: at start-up). `start` runs it as a task that
    `stop` cancels; `poll_once` is one tick, for callers that drive the clock themselves.
    """

    def __init__(
        self,
        game: AnnouncementSource,
        platform: str,
        deliver: Deliver,
        every: float,
        first: float = 0.0,
    ) -> None:
        self._game = game
        self._platform = platform
        self._deliver = deliver
        self._every = every
        self._first = first
        self._task: asyncio.Task[None] | None = None

    async def poll_once(self) -> int:
        """Deliver what is due now; the number delivered (failures are logged and skipped)."""
        try:
            due = await self._game.due_announcements(self._platform)
        except Exception:
            log.exception("Could not fetch due %s announcements", self._platform)
            return 0
        delivered = 0
        for announcement in due:
            try:
                if await self._deliver(announcement):
                    delivered += 1
            except Exception:
                log.exception(
                    "%s announcement to chat %s failed", self._platform, announcement.chat_id
                )
        return delivered

    async def run(self) -> None:
        """Poll until cancelled."""
        await asyncio.sleep(self._first)
        while True:
            await self.poll_once()
            await asyncio.sleep(self._every)

    def start(self) -> None:
        """Start polling in the background (once; a second call is a no-op)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self.run(), name=f"announcements-{self._platform}")

    async def stop(self) -> None:
        """Stop polling and wait for the task to end."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
