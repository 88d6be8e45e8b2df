"""deliver: core replies sent through Discord's interaction responses and channel messages.

Interactions must be acknowledged within 3 seconds. The work (download + `Game.handle`) starts
at once; if it has not finished after `defer_after` seconds the interaction is deferred
("thinking…" for commands, a silent acknowledgement for buttons) and answered by followups.
A deferred command's first answer replaces the thinking message and inherits its visibility,
which is fixed when deferring; when the core's first reply wants the other visibility the
thinking message is deleted and the reply sent as an independent followup instead.

Every transport here edits only the messages it posted (`edit`): the interaction's response
and followups through the interaction's webhook (the only way to reach an ephemeral message,
for as long as its token lives: 15 minutes), a channel's or a DM's messages with
`Message.edit`. An edit replaces the embed, the files and the buttons.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import discord

from bot.core.events import ChatRef
from bot.core.replies import Reply
from bot.core.transport import Fence, RecordSent, send_and_record
from bot.discord.render import message_parts

log = logging.getLogger(__name__)
T = TypeVar("T")


ALREADY_ACKNOWLEDGED = 40060
"""Discord's code for a second initial response to one interaction."""


async def _always_send() -> bool:
    return True


class InteractionReplier:
    """Answers one interaction with a list of replies, deferring only when the work is slow.

    It is the interaction's `bot.core.transport.Transport`: `send` posts one reply as the
    interaction's response, its followup or the edited "thinking…" message; `edit` changes
    the response or a followup it posted."""

    def __init__(
        self,
        interaction: discord.Interaction,
        chat: ChatRef,
        reply_sent: RecordSent,
        *,
        defer_after: float,
        private_hint: bool = False,
        fence: Fence = _always_send,
    ) -> None:
        self.interaction = interaction
        self.chat = chat
        self._reply_sent = reply_sent
        self._defer_after = defer_after
        self._private_hint = private_hint
        self._fence = fence
        self._thinking = False
        self.sent_anything = False
        self._original_id: str | None = None
        self._followup_ids: set[str] = set()

    @property
    def _is_component(self) -> bool:
        return self.interaction.type is discord.InteractionType.component

    async def run(self, work: Awaitable[list[Reply]]) -> None:
        """Await `work` (deferring if it is slow), then send what it returned."""
        task = asyncio.ensure_future(work)
        done, _ = await asyncio.wait({task}, timeout=self._defer_after)
        if not done:
            await self._defer()
        replies = await task
        await self.answer(replies)

    async def _defer(self) -> None:
        if self.interaction.response.is_done():
            return
        if self._is_component:
            await self.interaction.response.defer()
        else:
            await self.interaction.response.defer(thinking=True, ephemeral=self._private_hint)
            self._thinking = True

    async def answer(self, replies: Sequence[Reply]) -> None:
        """Send every reply; report tagged ones to the core with the message id they got.

        Each send is fenced (the update's claim records that a reply goes out); an interaction
        already acknowledged elsewhere (Discord's 40060) is left alone rather than answered twice.
        """
        try:
            if not replies:
                if await self._fence():  # refused: another process owns the interaction
                    await self._acknowledge_silently()
                return
            await send_and_record(self, self.chat, replies, self._reply_sent, self._fence)
        except discord.HTTPException as exc:
            if exc.code != ALREADY_ACKNOWLEDGED:
                raise
            log.info(
                "Interaction %s was already acknowledged; not answered again", self.interaction.id
            )
        except discord.InteractionResponded:
            log.info(
                "Interaction %s was already acknowledged; not answered again", self.interaction.id
            )

    async def _acknowledge_silently(self) -> None:
        """Nothing to say (e.g. a re-delivered update): close the interaction without a message."""
        if not self.interaction.response.is_done():
            await self.interaction.response.defer(ephemeral=True, thinking=not self._is_component)
            self._thinking = not self._is_component
        if self._thinking:
            await self.interaction.delete_original_response()
            self._thinking = False

    async def send(self, reply: Reply) -> str | None:
        self.sent_anything = True
        return await files_or_text(self._send_parts, reply)

    async def edit(self, message_id: str, reply: Reply) -> bool:
        """Edit the response or a followup this interaction posted; an ephemeral one stays
        ephemeral (Discord fixes a message's visibility when it is posted)."""
        if message_id != self._original_id and message_id not in self._followup_ids:
            return False

        async def edit_parts(version: Reply) -> None:
            parts = message_parts(version)
            if message_id == self._original_id:
                await self.interaction.edit_original_response(
                    embed=parts.embed, attachments=parts.files, view=parts.view
                )
            else:
                await self.interaction.followup.edit_message(
                    int(message_id), embed=parts.embed, attachments=parts.files, view=parts.view
                )

        await files_or_text(edit_parts, reply)
        return True

    async def _send_parts(self, reply: Reply) -> str | None:
        parts = message_parts(reply)
        view = parts.view or discord.utils.MISSING
        if not self.interaction.response.is_done():
            callback = await self.interaction.response.send_message(
                embed=parts.embed, files=parts.files, view=view, ephemeral=reply.private
            )
            self._original_id = _as_id(callback.message_id)
            return self._original_id
        if self._thinking:
            self._thinking = False
            if reply.private == self._private_hint:
                edited = await self.interaction.edit_original_response(
                    embed=parts.embed, attachments=parts.files, view=parts.view
                )
                self._original_id = str(edited.id)
                return self._original_id
            await self.interaction.delete_original_response()
        message = await self.interaction.followup.send(
            embed=parts.embed, files=parts.files, view=view, ephemeral=reply.private, wait=True
        )
        self._followup_ids.add(str(message.id))
        return str(message.id)


def _as_id(value: int | None) -> str | None:
    return None if value is None else str(value)


def files_refused(exc: discord.HTTPException, reply: Reply) -> bool:
    """Discord refused the upload itself (too large, unreadable): nothing was posted, so the
    reply can go out as its text. Any other failure may have posted it and is not repeated."""
    return bool(reply.attachments) and exc.status in (400, 413) and exc.code != ALREADY_ACKNOWLEDGED


def without_files(reply: Reply) -> Reply:
    """The text version of a reply: the embed without its card (the leaderboard as text)."""
    return dataclasses.replace(reply, attachments=())


async def files_or_text(post: Callable[[Reply], Awaitable[T]], reply: Reply) -> T:
    """`post(reply)`; when Discord refuses its files, `post` of its text version."""
    try:
        return await post(reply)
    except discord.HTTPException as exc:
        if not files_refused(exc, reply):
            raise
        log.warning("Discord refused the reply's files (%s); sending its text", exc.text)
        return await post(without_files(reply))


async def send_to_channel(
    channel: discord.abc.Messageable,
    reply: Reply,
    *,
    reference: discord.Message | None = None,
) -> discord.Message:
    """Post a reply as a normal message, quoting `reference` when given; a reply whose files
    Discord refuses goes out as its text."""
    return await files_or_text(lambda version: _post(channel, version, reference), reply)


async def edit_posted(posted: dict[str, discord.Message], message_id: str, reply: Reply) -> bool:
    """Edit one of the `posted` messages (by id) to show `reply`; False for any other id."""
    message = posted.get(message_id)
    if message is None:
        return False

    async def edit(version: Reply) -> None:
        parts = message_parts(version)
        await message.edit(embed=parts.embed, attachments=parts.files, view=parts.view)

    await files_or_text(edit, reply)
    return True


async def _post(
    channel: discord.abc.Messageable, reply: Reply, reference: discord.Message | None
) -> discord.Message:
    parts = message_parts(reply)
    # discord.py's overloads leave out the None its implementation takes for "not given".
    return await channel.send(
        embed=parts.embed,
        files=parts.files or None,  # type: ignore[arg-type]
        view=parts.view,  # type: ignore[arg-type]
        reference=reference,  # type: ignore[arg-type]
        mention_author=False if reference is not None else None,  # type: ignore[arg-type]
    )


@dataclasses.dataclass(frozen=True)
class ChannelTransport:
    """A channel (or a DM) to post in: reactions' answers, announcements, busy digests."""

    channel: discord.abc.Messageable
    posted: dict[str, discord.Message] = dataclasses.field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    """What `send` posted, by id: the messages `edit` may change."""

    async def send(self, reply: Reply) -> str:
        message = await send_to_channel(self.channel, reply)
        self.posted[str(message.id)] = message
        return str(message.id)

    async def edit(self, message_id: str, reply: Reply) -> bool:
        return await edit_posted(self.posted, message_id, reply)


@dataclasses.dataclass(frozen=True)
class MessageTransport:
    """Answers a channel message: public replies in place, private ones by DM when possible.

    A private reply (e.g. a refusal only the sender should read) goes to the sender's DMs; if
    they block DMs from server members it is posted in place rather than lost.
    """

    message: discord.Message
    posted: dict[str, discord.Message] = dataclasses.field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    """What `send` posted, by id: the messages `edit` may change."""

    async def send(self, reply: Reply) -> str:
        message = self.message
        reference = message if reply.reply_to_event else None
        sent: discord.Message | None = None
        if reply.private and message.guild is not None:
            try:
                sent = await send_to_channel(message.author, reply)
            except discord.Forbidden:
                log.info("DMs closed for user %s; answering in the channel", message.author.id)
        if sent is None:
            sent = await send_to_channel(message.channel, reply, reference=reference)
        self.posted[str(sent.id)] = sent
        return str(sent.id)

    async def edit(self, message_id: str, reply: Reply) -> bool:
        return await edit_posted(self.posted, message_id, reply)
