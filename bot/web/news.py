"""What the game announces to the web board on its own (season results, weekly awards,
streak reminders), kept in memory so the page can show the latest few.

Like the chat adapters, the page polls `Game.due_announcements("web")` through the core's one
poller (`bot.core.poller`) and only says how to receive an announcement; each one is
handed out once, to one process, so with several web processes each shows what it received.
Nothing here is stored: after a restart the news start empty, the board itself is unaffected.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from markupsafe import Markup

from bot.core.poller import AnnouncementPoller
from bot.web.players import PLATFORM, WEB_CHAT
from bot.web.views import markup_html

if TYPE_CHECKING:
    from bot.core.game import Game
    from bot.core.replies import Announcement

POLL_SECONDS = 60.0
KEEP = 5


@dataclass(frozen=True)
class NewsItem:
    message: Markup
    received_at: datetime


class NewsFeed:
    """The latest announcements for the web chat, newest first."""

    def __init__(self, keep: int = KEEP) -> None:
        self._items: deque[NewsItem] = deque(maxlen=keep)

    @property
    def items(self) -> tuple[NewsItem, ...]:
        return tuple(self._items)

    async def receive(self, announcement: Announcement) -> bool:
        """Keep one announcement for the page; False for one not meant for the web board."""
        if announcement.chat_id != WEB_CHAT.chat_id:
            return False
        self._items.appendleft(NewsItem(markup_html(announcement.reply.text), datetime.now(UTC)))
        return True

    def poller(self, game: Game, every: float = POLL_SECONDS) -> AnnouncementPoller:
        return AnnouncementPoller(game, PLATFORM, self.receive, every=every)

    async def poll(self, game: Game) -> int:
        """Take the web's due announcements now; the number received."""
        return await self.poller(game).poll_once()

    async def run(self, game: Game, every: float = POLL_SECONDS) -> None:
        """Poll until cancelled; a failed poll is logged and retried on the next tick."""
        await self.poller(game, every).run()
