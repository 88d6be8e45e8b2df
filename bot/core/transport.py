"""The one way a front end sends core replies: a `Transport` posts one reply, `send_and_record`
does the chore around it once for every platform.

The chore: before each reply ask the update's fence (`Game.reply_starting`; a process that
lost the claim sends nothing), post the reply (text, photos and buttons, as the platform can),
then tell the core the message id of a tagged reply (`Game.reply_sent`: reactions point at
it, and it marks the update answered). Each adapter's `deliver` module implements `Transport`
for its kinds of destination (a channel, a message to answer, a terminal), and its `busy`
module an `EditableTransport` for a busy chat's digest; how a reply looks there stays the
platform's business.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from bot.core.events import ChatRef
from bot.core.replies import Reply

RecordSent = Callable[[ChatRef, str, str], Awaitable[None]]
"""`Game.reply_sent(chat, tag, message_id)`."""
Fence = Callable[[], Awaitable[bool]]
"""`Game.reply_starting` for the update being answered: False means another process owns it."""


class Transport(Protocol):
    """Somewhere one reply can be posted as one platform message (or a few, for long text)."""

    async def send(self, reply: Reply) -> str | None:
        """Post `reply`; the id of the message it became (None when the platform gives none,
        e.g. an alert). Raises the platform's error when it could not be posted."""
        ...


class EditableTransport(Transport, Protocol):
    """A transport whose posts can be changed in place: a busy chat's digest
    (`bot.core.busy`), posted with `send` and rewritten with `edit` as results join it.

    A digest is best effort, so its transports log a refusal instead of raising: `send`
    gives None and `edit` False, and the digest's results go unposted as before."""

    async def edit(self, message_id: str, reply: Reply) -> bool:
        """Replace the posted message's content with `reply`'s; False when the platform
        refused it (logged)."""
        ...


async def send_and_record(
    transport: Transport,
    chat: ChatRef,
    replies: Sequence[Reply],
    record: RecordSent,
    fence: Fence | None = None,
) -> int:
    """Send `replies` in order through `transport`, fenced and recorded; the number sent.

    Stops at the first reply the fence refuses (the claim was lost: the owner answers).
    """
    sent = 0
    for reply in replies:
        if fence is not None and not await fence():
            break
        message_id = await transport.send(reply)
        sent += 1
        if reply.tag and message_id is not None:
            await record(chat, reply.tag, message_id)
    return sent
