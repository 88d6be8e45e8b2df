"""photo_handles: handles of photos sent on Discord, so `/tips` can fetch one from any process.

The core keeps a handle, never the photo. A photo posted in a channel is named by its channel,
message and attachment ids: the message is fetched again on demand, which also renews the
attachment's signed CDN URL. A `/score` attachment belongs to no message, so its handle is its
CDN URL, which Discord signs for about a day (the default `/tips` window,
`SELFIEBOT_TIPS_PHOTO_TTL_MINUTES`).
"""

from __future__ import annotations

import logging

import aiohttp
import discord

from bot.core.events import PhotoUnavailable

log = logging.getLogger(__name__)

MESSAGE = "message"
URL = "url"
_FAILURES = (discord.HTTPException, aiohttp.ClientError, TimeoutError, ValueError)


def of_message(message: discord.Message, attachment: discord.Attachment) -> str:
    return f"{MESSAGE}:{message.channel.id}:{message.id}:{attachment.id}"


def of_interaction(attachment: discord.Attachment) -> str:
    return f"{URL}:{attachment.url}"


async def fetch(client: discord.Client, handle: str) -> bytes:
    """The photo's bytes again; `PhotoUnavailable` when Discord no longer has them."""
    kind, _, rest = handle.partition(":")
    try:
        if kind == MESSAGE:
            return await _from_message(client, rest)
        if kind == URL:
            return await client.http.get_from_cdn(rest)
    except _FAILURES as exc:
        raise PhotoUnavailable(f"{type(exc).__name__}: {exc}") from exc
    raise PhotoUnavailable(f"unknown photo handle kind {kind!r}")


async def _from_message(client: discord.Client, ids: str) -> bytes:
    channel_id, message_id, attachment_id = (int(part) for part in ids.split(":"))
    channel = client.get_partial_messageable(channel_id)
    message = await channel.fetch_message(message_id)
    attachment = next((a for a in message.attachments if a.id == attachment_id), None)
    if attachment is None:
        raise PhotoUnavailable("the attachment was removed from its message")
    return await attachment.read()
