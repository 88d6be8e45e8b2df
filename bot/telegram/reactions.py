"""reactions: what the group taste model needs from Telegram, as core values.

How many members could react to a photo, and the anonymous reaction totals
(`message_reaction_count`) as core events.

`getChatMemberCount` costs an API call, and group sizes change slowly, so each chat's count is
remembered for `TTL`; the core asks only for photos it scores in a group.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from telegram import Bot, MessageReactionCountUpdated
from telegram.error import TelegramError

from bot.core.events import ReactionCountEvent
from bot.telegram.translate import chat_ref

log = logging.getLogger(__name__)

TTL = 3600.0
MAX_CHATS = 10_000


class MemberCounts:
    """A small per-process cache of chat member counts (bots included, as Telegram counts)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._counts: dict[int, tuple[float, int]] = {}

    def counter(self, bot: Bot, chat_id: int) -> Callable[[], Awaitable[int | None]]:
        """`PhotoEvent.member_count` for one chat: None when Telegram would not say."""

        async def count() -> int | None:
            now = self._clock()
            held = self._counts.get(chat_id)
            if held is not None and now - held[0] < TTL:
                return held[1]
            try:
                members = await bot.get_chat_member_count(chat_id)
            except TelegramError as exc:
                log.info("Could not count the members of chat %s: %s", chat_id, exc)
                return None
            if len(self._counts) >= MAX_CHATS:
                self._counts.clear()
            self._counts[chat_id] = (now, members)
            return members

        return count


def reaction_count_event(
    update_id: int, counted: MessageReactionCountUpdated
) -> ReactionCountEvent:
    """Telegram's anonymous reactions on a message (nobody named): their latest total."""
    return ReactionCountEvent(
        chat=chat_ref(counted.chat),
        update_id=str(update_id),
        message_id=str(counted.message_id),
        total=sum(item.total_count for item in counted.reactions),
    )
