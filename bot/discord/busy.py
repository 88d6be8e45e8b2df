"""busy: Discord's pace for busy channels, and how a channel's digest is posted and edited.

The policy (when a channel is busy, which results join the digest, when it is edited) is the
core's (`bot.core.busy`), shared with Telegram. Discord lets a bot post about 5 messages per 5
seconds into one channel (discord.py waits out a 429 or an exhausted bucket, so a burst queues):
after 2 posts within 5 s photo results are coalesced into one embed (40 lines fit its 4096
characters) edited in place at most every 1.5 s (edits have their own budget); a new best gets
its card only while fewer than 2 posts went out in those 5 s. That keeps two posts for digests
before the bucket's last one, which discord.py answers only when the bucket resets 5 s later.

Only what the bot posts into a channel is coalesced (photos scored because the channel has
`/autoscore on`). A slash command's interaction is answered by its own response, which
Discord requires within 3 s (deferred when slow) and which is not a channel post.
"""

from __future__ import annotations

import logging

import discord

from bot.core.busy import Pace
from bot.core.replies import Reply
from bot.discord.deliver import ChannelTransport

log = logging.getLogger(__name__)

PACE = Pace(
    window_s=5.0, busy_after=2, edit_every_s=1.5, gather_s=0.5, digest_lines=40, card_budget=2
)


class ChannelDigest:
    """Posts and edits one channel's digest (an embed, as any reply) through the channel's
    `deliver.ChannelTransport`, as best effort: a refusal is logged, and the digest's results
    go unposted, rather than failing the photo that brought them."""

    def __init__(self, channel: ChannelTransport) -> None:
        self.channel = channel

    async def send(self, reply: Reply) -> str | None:
        try:
            return await self.channel.send(reply)
        except discord.HTTPException as exc:
            log.warning("Digest not posted in channel %s: %s", _channel_id(self.channel), exc)
            return None

    async def edit(self, message_id: str, reply: Reply) -> bool:
        try:
            return await self.channel.edit(message_id, reply)
        except discord.HTTPException as exc:
            log.warning("Digest not updated in channel %s: %s", _channel_id(self.channel), exc)
            return False


def _channel_id(transport: ChannelTransport) -> object:
    return getattr(transport.channel, "id", None)
