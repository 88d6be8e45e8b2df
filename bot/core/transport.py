"""The one way a front end talks to its users: a `Transport` posts a reply and can later change
what it posted; `send_and_record` does the chore around sending once for every platform.

The chore: before each reply ask the update's fence (`Game.reply_starting`; a process that
lost the claim sends nothing), post the reply (text, photos and buttons, as the platform can),
then tell the core the message id of a tagged reply (`Game.reply_sent`: reactions point at
it, and it marks the update answered). `edit` rewrites a message the same transport sent,
named by the id its `send` returned: a busy chat's digest (`bot.core.busy`) is posted once and
edited as results join it. Each front end implements the one protocol for every kind of
destination it has (Telegram and Discord in their `deliver` modules, the web page's response,
the terminal); how a reply looks there stays the platform's business.
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
    """Somewhere replies are posted as platform messages, and where they can be changed.

    Failures are the platform's errors, raised, so a caller that must know (an update's
    answer) does; a best-effort transport (a busy chat's digest) logs them instead and answers
    None from `send` and False from `edit`.
    """

    async def send(self, reply: Reply) -> str | None:
        """Post `reply` (a long one may take several messages); the id of the message that
        carries its text or picture (None when the platform gives none, e.g. an alert)."""
        ...

    async def edit(self, message_id: str, reply: Reply) -> bool:
        """Make the message `message_id`, which this transport's `send` returned, show `reply`
        instead: its text and buttons (and its picture, where the platform can swap it), cut
        to what one message holds. True when it does (also when it already did); False for an
        id this transport did not send."""
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
