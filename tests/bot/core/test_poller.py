"""The one announcement poller every front end uses (bot/core/poller.py): what it asks the game,
what it hands each platform, and how one failed chat leaves the others alone. Each platform's
delivery against its fake is in tests/bot/telegram/test_adapter.py and
tests/bot/discord/test_adapter.py."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.core.poller import AnnouncementPoller
from bot.core.replies import Announcement, Reply

HANG_GUARD_SECONDS = 60


class QueuedAnnouncements:
    """Hands out each queued announcement once, to the platform it is for, like the outbox."""

    def __init__(self, *queued: Announcement) -> None:
        self.queued = list(queued)
        self.asked: list[str] = []

    async def due_announcements(self, platform: str) -> list[Announcement]:
        self.asked.append(platform)
        due = [a for a in self.queued if a.platform == platform]
        self.queued = [a for a in self.queued if a.platform != platform]
        return due


async def test_one_poll_delivers_what_is_due_for_its_platform_only() -> None:
    source = QueuedAnnouncements(
        Announcement("telegram", "1", Reply("Season 3 is over")),
        Announcement("discord", "2", Reply("not for Telegram")),
    )
    posted: list[Announcement] = []

    async def deliver(announcement: Announcement) -> bool:
        posted.append(announcement)
        return True

    poller = AnnouncementPoller(source, "telegram", deliver, every=60)
    assert await poller.poll_once() == 1
    assert [a.reply.text for a in posted] == ["Season 3 is over"]
    assert await poller.poll_once() == 0, "each announcement is handed out once"
    assert source.asked == ["telegram", "telegram"]
    assert [a.platform for a in source.queued] == ["discord"]


async def test_a_refused_or_broken_delivery_does_not_stop_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    source = QueuedAnnouncements(
        Announcement("discord", "refused", Reply("no permission here")),
        Announcement("discord", "bug", Reply("our code fails")),
        Announcement("discord", "ok", Reply("delivered")),
    )
    posted: list[str] = []

    async def deliver(announcement: Announcement) -> bool:
        if announcement.chat_id == "bug":
            raise KeyError("a bug in the adapter")
        if announcement.chat_id == "refused":
            return False
        posted.append(announcement.chat_id)
        return True

    with caplog.at_level(logging.ERROR, logger="bot.core.poller"):
        assert await AnnouncementPoller(source, "discord", deliver, every=60).poll_once() == 1
    assert posted == ["ok"]
    [logged] = caplog.records
    assert "chat bug" in logged.getMessage() and logged.exc_info is not None


async def test_a_failing_game_is_logged_and_polled_again_on_the_next_tick(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Flaky(QueuedAnnouncements):
        async def due_announcements(self, platform: str) -> list[Announcement]:
            if not self.asked:
                self.asked.append(platform)
                raise ConnectionError("database restarting")
            return await super().due_announcements(platform)

    source = Flaky(Announcement("web", "board", Reply("Weekly awards")))
    arrived = asyncio.Event()

    async def deliver(announcement: Announcement) -> bool:
        arrived.set()
        return True

    poller = AnnouncementPoller(source, "web", deliver, every=0.01)
    with caplog.at_level(logging.ERROR, logger="bot.core.poller"):
        poller.start()
        try:
            await asyncio.wait_for(arrived.wait(), HANG_GUARD_SECONDS)
        finally:
            await poller.stop()
    assert "Could not fetch due web announcements" in caplog.text
    assert source.asked[:2] == ["web", "web"]


async def test_stop_ends_the_task_and_a_stopped_poller_can_stop_again() -> None:
    source = QueuedAnnouncements()

    async def deliver(announcement: Announcement) -> bool:
        return True

    poller = AnnouncementPoller(source, "telegram", deliver, every=3600, first=3600)
    poller.start()
    poller.start()
    tasks = [t for t in asyncio.all_tasks() if t.get_name() == "announcements-telegram"]
    assert len(tasks) == 1, "starting twice runs one poller"
    await poller.stop()
    assert tasks[0].cancelled()
    await poller.stop()
    assert source.asked == [], "the first poll waits `first` seconds"
