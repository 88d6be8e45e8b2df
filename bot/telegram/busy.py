"""busy: Telegram's pace for busy groups, and how a group's digest is posted and edited.

The policy (when a group is busy, which results join the digest, when it is edited) is the
core's (`bot.core.busy`), shared with Discord. Telegram lets a bot post about 20 messages a
minute into one group (PTB's `AIORateLimiter` enforces it): after 6 messages in a minute
results are coalesced, and a digest is edited at most every 4 s (15 a minute), which leaves the
rest of the group's budget for the digest itself and the best results' cards.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.core.busy import Pace
from bot.core.replies import Reply
from bot.telegram.render import to_telegram_html

log = logging.getLogger(__name__)

PACE = Pace(window_s=60.0, busy_after=6, edit_every_s=4.0, gather_s=1.0)


@dataclass(frozen=True)
class GroupDigest:
    """Posts and edits one group's digest (in its forum topic, if any) as Telegram HTML: the
    group's `EditableTransport` for `bot.core.busy`, logging a refusal instead of raising."""

    bot: Bot
    chat_id: int
    thread_id: int | None

    async def send(self, reply: Reply) -> str | None:
        try:
            message = await self.bot.send_message(
                chat_id=self.chat_id,
                text=to_telegram_html(reply.text),
                parse_mode=ParseMode.HTML,
                message_thread_id=self.thread_id,
            )
        except TelegramError as exc:
            log.warning("Digest not posted in chat %s: %s", self.chat_id, exc)
            return None
        return str(message.message_id)

    async def edit(self, message_id: str, reply: Reply) -> bool:
        try:
            await self.bot.edit_message_text(
                chat_id=self.chat_id,
                message_id=int(message_id),
                text=to_telegram_html(reply.text),
                parse_mode=ParseMode.HTML,
            )
        except TelegramError as exc:
            log.warning("Digest not updated in chat %s: %s", self.chat_id, exc)
            return False
        return True
