"""busy: Telegram's pace for busy groups, and how a group's digest is posted and edited.

The policy (when a group is busy, which results join the digest, when it is edited) is the
core's (`bot.core.busy`), shared with Discord. Telegram lets a bot post about 20 messages a
minute into one group (PTB's `AIORateLimiter` enforces it): after 6 messages in a minute
results are coalesced, and a digest is edited at most every 4 s (15 a minute), which leaves the
rest of the group's budget for the digest itself and the best results' cards.
"""

from __future__ import annotations

import logging

from telegram.error import TelegramError

from bot.core.busy import Pace
from bot.core.replies import Reply
from bot.telegram.deliver import ChatTransport

log = logging.getLogger(__name__)

PACE = Pace(window_s=60.0, busy_after=6, edit_every_s=4.0, gather_s=1.0)


class GroupDigest:
    """Posts and edits one group's digest (in its forum topic, if any) through the group's
    `deliver.ChatTransport`, as best effort: a refusal is logged, and the digest's results go
    unposted, rather than failing the photo that brought them."""

    def __init__(self, group: ChatTransport) -> None:
        self.group = group

    async def send(self, reply: Reply) -> str | None:
        try:
            return await self.group.send(reply)
        except TelegramError as exc:
            log.warning("Digest not posted in chat %s: %s", self.group.dest.chat.chat_id, exc)
            return None

    async def edit(self, message_id: str, reply: Reply) -> bool:
        try:
            return await self.group.edit(message_id, reply)
        except TelegramError as exc:
            log.warning("Digest not updated in chat %s: %s", self.group.dest.chat.chat_id, exc)
            return False
