"""adapter: gateway events and interactions in, `Game.handle` calls, replies out.

`AutoShardedClient` picks the shard count Discord recommends, so one process serves many
servers; several processes (each with its own `shard_ids`) can share one PostgreSQL because all
state lives in the core's storage and buttons are stateless (`components.CoreButton`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import sys
import uuid
import weakref
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
from discord import app_commands

from bot.core.boundary import failed
from bot.core.busy import BusyChats
from bot.core.events import (
    ButtonEvent,
    ChatRef,
    CommandEvent,
    Event,
    EventFields,
    PhotoEvent,
    ReactionEvent,
    Sender,
)
from bot.core.poller import AnnouncementPoller
from bot.core.replies import Announcement, Reply
from bot.core.transport import send_and_record
from bot.discord import busy, photo_handles
from bot.discord.components import CoreButton
from bot.discord.deliver import ChannelTransport, InteractionReplier, MessageTransport
from bot.discord.refusals import Refusal, mime_type, refusal_for
from bot.discord.slash import PRIVATE_COMMANDS, CatalogueTranslator, register_commands
from bot.discord.translate import (
    PLATFORM,
    admin_check,
    chat_of_interaction,
    chat_of_message,
    language_of,
    sender_of,
)

if TYPE_CHECKING:
    from bot.core.game import Game
    from bot.settings import Settings

log = logging.getLogger(__name__)

SYNC_RETRY_SECONDS = (60.0, 3600.0)
"""First and longest wait between attempts to sync the slash commands after a failure."""

DOWNLOAD_ERRORS = (discord.HTTPException, aiohttp.ClientError, TimeoutError)
"""What `Attachment.read` raises: discord.py wraps HTTP error statuses, but a connection that
fails or stalls surfaces as aiohttp's own error or a timeout."""


def default_intents() -> discord.Intents:
    """Guilds, messages, reactions, DMs, plus the privileged message content intent.

    Without message content Discord strips attachments from messages that do not mention
    the bot, so auto-scoring in opted-in channels would see nothing.
    """
    intents = discord.Intents.default()
    intents.message_content = True
    return intents


class SelfieBotClient(discord.AutoShardedClient):
    """Translates Discord traffic into core events; holds no game state of its own."""

    def __init__(self, game: Game, settings: Settings, **options: Any) -> None:
        options.setdefault("intents", default_intents())
        options.setdefault("allowed_mentions", discord.AllowedMentions.none())
        super().__init__(**options)
        self.game = game
        self.settings = settings
        self.tree = app_commands.CommandTree(self)
        self.tree.error(self.on_command_error)
        register_commands(self.tree, self)
        self.announcer = AnnouncementPoller(
            game, PLATFORM, self.announce, every=settings.discord_announce_interval_seconds
        )
        self._reaction_locks: weakref.WeakValueDictionary[int, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        self.on_ready_callback: Callable[[], None] | None = None
        self._sync_retry: asyncio.Task[None] | None = None
        self._busy = BusyChats(busy.PACE)

    # --- lifecycle -------------------------------------------------------------------------

    async def setup_hook(self) -> None:
        self.add_dynamic_items(CoreButton)
        await self.tree.set_translator(CatalogueTranslator())
        try:
            await self.sync_commands()
        except discord.HTTPException as exc:
            # Discord keeps the commands of earlier runs: failing to refresh them must not keep
            # the bot offline. Try again later.
            log.warning("Slash commands not synced (%s); retrying in the background", exc)
            self._sync_retry = asyncio.create_task(self._sync_later())
        self.announcer.start()

    async def _sync_later(self) -> None:
        delay, longest = SYNC_RETRY_SECONDS
        while True:
            await asyncio.sleep(delay)
            try:
                await self.sync_commands()
            except discord.HTTPException as exc:
                log.warning("Slash commands still not synced (%s)", exc)
                delay = min(delay * 2, longest)
            else:
                return

    async def on_ready(self) -> None:
        if self.on_ready_callback is not None:
            self.on_ready_callback()

    async def sync_commands(self) -> list[app_commands.AppCommand]:
        """Register the slash commands: instantly in the dev guild, else globally (~1 h)."""
        guild_id = self.settings.discord_dev_guild_id
        if guild_id is None:
            synced = await self.tree.sync()
        else:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
        log.info("Synced %d slash commands (%s)", len(synced), guild_id or "global")
        return synced

    async def close(self) -> None:
        await self.announcer.stop()
        if self._sync_retry is not None:
            self._sync_retry.cancel()
        await self._busy.close()
        await super().close()

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        """discord.py's hook for an exception escaping an event handler: the core's error
        boundary logs and counts it. The handlers answer what they can themselves (`_handle`),
        so what reaches here failed while answering and gets no second attempt."""
        error = sys.exc_info()[1]
        if error is not None:
            failed(PLATFORM, f"event {event_method}", error, None)

    async def on_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """The command tree's hook, the same boundary for slash commands."""
        cause = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        failed(PLATFORM, f"interaction {interaction.id}", cause, None)

    # --- core plumbing ---------------------------------------------------------------------

    async def _handle(self, event: Event, language: str | None) -> list[Reply]:
        """`Game.handle`, with a private apology instead of silence when the core fails."""
        try:
            return await self.game.handle(event)
        except Exception as error:
            apology = failed(PLATFORM, f"update {event.update_id}", error, language)
            return [Reply(apology, private=True)]

    async def _claim(
        self, interaction: discord.Interaction, base: EventFields, *, is_photo: bool = False
    ) -> bool:
        """Claim the interaction before touching it: a copy (a re-dispatch, another shard or
        process) must not even acknowledge it, or the owner's initial response would fail.
        The claim registers the chat and sender too (and reads a photo's arrival)."""
        return await self.game.claim_update(
            PLATFORM, str(interaction.id), arriving=base, is_photo=is_photo
        )

    async def _answer(
        self,
        interaction: discord.Interaction,
        chat: ChatRef,
        work: Awaitable[list[Reply]] | list[Reply],
        private_hint: bool,
    ) -> None:
        """Answer a claimed interaction with the replies of `work` (or `work` itself when they
        are known already), then finish its claim, or give it back when it failed before
        anything was sent."""
        update_id = str(interaction.id)
        replier = InteractionReplier(
            interaction,
            chat,
            self.game.reply_sent,
            defer_after=self.settings.discord_defer_after_seconds,
            private_hint=private_hint,
            fence=lambda: self.game.reply_starting(PLATFORM, update_id),
        )
        try:
            if isinstance(work, list):
                await replier.answer(work)
            else:
                await replier.run(work)
        except BaseException:
            if not replier.sent_anything:
                await self.game.release_update(PLATFORM, update_id)
            raise
        await self.game.finish_update(PLATFORM, update_id)

    def _interaction_base(self, interaction: discord.Interaction) -> EventFields:
        language = language_of(interaction.locale)
        return {
            "chat": chat_of_interaction(interaction),
            "sender": sender_of(interaction.user, language),
            "update_id": str(interaction.id),
            "is_admin": admin_check(
                interaction.user, interaction.permissions, self.settings.discord_admin_role
            ),
            "fetch_photo": self.fetch_photo,
        }

    async def fetch_photo(self, handle: str) -> bytes:
        """The core's way back to a photo (`PhotoFetcher`); see `photo_handles`."""
        return await photo_handles.fetch(self, handle)

    # --- interactions ----------------------------------------------------------------------

    async def on_core_command(
        self,
        interaction: discord.Interaction,
        name: str,
        args: Sequence[str] = (),
        mentions: Sequence[Sender] = (),
    ) -> None:
        base = self._interaction_base(interaction)
        if not await self._claim(interaction, base):
            return
        event = CommandEvent(**base, name=name, args=tuple(args), mentions=tuple(mentions))
        work = self._handle(event, base["sender"].language)
        if name in PRIVATE_COMMANDS:
            await self._answer(interaction, base["chat"], _privately(work), True)
        else:
            await self._answer(interaction, base["chat"], work, False)

    async def on_score_command(
        self, interaction: discord.Interaction, photo: discord.Attachment
    ) -> None:
        base = self._interaction_base(interaction)
        language = base["sender"].language
        refusal = refusal_for(photo, self.settings.max_upload_bytes)
        if not await self._claim(interaction, base, is_photo=refusal is None):
            return
        if refusal is not None:
            refused = [Reply(refusal.text(language), private=True)]
            await self._answer(interaction, base["chat"], refused, True)
            return
        await self._answer(
            interaction,
            base["chat"],
            self._score(photo, base, _members_of(interaction.guild), language),
            private_hint=False,
        )

    async def _score(
        self,
        photo: discord.Attachment,
        base: EventFields,
        member_count: Callable[[], Awaitable[int | None]],
        language: str | None,
    ) -> list[Reply]:
        data = await _download(photo)
        if data is None:
            refusal = Refusal("upload.download_failed", {"filename": photo.filename})
            return [Reply(refusal.text(language), private=True)]
        event = PhotoEvent(
            **base,
            photo=data,
            member_count=member_count,
            filename=photo.filename,
            mime_type=mime_type(photo),
            photo_handle=photo_handles.of_interaction(photo),
        )
        return await self._handle(event, language)

    async def on_core_button(
        self, interaction: discord.Interaction, action: str, payload: str
    ) -> None:
        base = self._interaction_base(interaction)
        if not await self._claim(interaction, base):
            return
        message_id = str(interaction.message.id) if interaction.message else None
        event = ButtonEvent(**base, message_id=message_id, action=action, payload=payload)
        await self._answer(
            interaction, base["chat"], self._handle(event, base["sender"].language), False
        )

    # --- gateway events --------------------------------------------------------------------

    async def on_message(self, message: discord.Message) -> None:
        """Score image attachments in DMs and in channels that opted in (`/autoscore on`)."""
        if message.author.bot or not message.attachments:
            return
        chat = chat_of_message(message)
        sender = sender_of(message.author)
        limit = self.settings.max_upload_bytes
        checked = [(a, refusal_for(a, limit)) for a in message.attachments]
        images = [(a, r) for a, r in checked if r is None or r.key != "upload.not_image"]
        in_channel = message.guild is not None
        # Only channels that opted in hear from the bot. When there is only scoring to do, each
        # photo's claim asks that in its own transaction; a refusal needs the answer first.
        refuses = not images or any(refusal is not None for _, refusal in images)
        if in_channel and refuses and not await self.game.auto_score_enabled(chat):
            return
        if not images:
            first_refusal = checked[0][1]
            if first_refusal is not None:
                await self._refuse(message, chat, first_refusal)
            return
        for attachment, refusal in images:
            if refusal is not None:
                await self._refuse(message, chat, refusal)
                continue
            await self._score_message_attachment(
                message, chat, sender, attachment, if_auto_score=in_channel
            )

    async def _refuse(self, message: discord.Message, chat: ChatRef, refusal: Refusal) -> None:
        reply = Reply(refusal.text(None))
        await send_and_record(MessageTransport(message), chat, [reply], self.game.reply_sent)

    async def _score_message_attachment(
        self,
        message: discord.Message,
        chat: ChatRef,
        sender: Sender,
        attachment: discord.Attachment,
        *,
        if_auto_score: bool = False,
    ) -> None:
        """Score one attachment of a channel message; claimed first, like an interaction, so a
        re-dispatched message (a resumed session, another process) is scored and answered once.
        `if_auto_score` (a server channel): only if the channel scores posted photos."""
        update_id = f"{message.id}:{attachment.id}"
        arriving: EventFields = {"chat": chat, "sender": sender, "update_id": update_id}
        if not await self.game.claim_update(
            PLATFORM, update_id, arriving=arriving, is_photo=True, if_auto_score=if_auto_score
        ):
            return
        try:
            async with message.channel.typing():
                data = await _download(attachment)
                if data is None:
                    refusal = Refusal("upload.download_failed", {"filename": attachment.filename})
                    replies = [Reply(refusal.text(None))]
                else:
                    event = PhotoEvent(
                        chat=chat,
                        sender=sender,
                        update_id=update_id,
                        message_id=str(message.id),
                        is_admin=admin_check(
                            message.author,
                            getattr(
                                message.author, "guild_permissions", discord.Permissions.none()
                            ),
                            self.settings.discord_admin_role,
                        ),
                        fetch_photo=self.fetch_photo,
                        photo=data,
                        filename=attachment.filename,
                        mime_type=mime_type(attachment),
                        photo_handle=photo_handles.of_message(message, attachment),
                        member_count=_members_of(message.guild),
                    )
                    replies = await self._handle(event, None)
        except BaseException:
            await self.game.release_update(PLATFORM, update_id)
            raise
        results = PhotoResults(self._busy, message, sender.display_name)
        await send_and_record(
            results,
            chat,
            replies,
            self.game.reply_sent,
            fence=lambda: self.game.reply_starting(PLATFORM, update_id),
        )
        await self.game.finish_update(PLATFORM, update_id)

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        await self._reaction(payload, added=True)

    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        await self._reaction(payload, added=False)

    async def _reaction(self, payload: discord.RawReactionActionEvent, *, added: bool) -> None:
        """Record reactions on the bot's own messages, in the order Discord sent them.

        discord.py runs every event handler as its own task, so a quick add-then-remove could
        reach the core in the wrong order; a per-message lock (taken before the first await,
        and fair) keeps them in gateway order.
        """
        lock = self._reaction_locks.setdefault(payload.message_id, asyncio.Lock())
        async with lock:
            await self._record_reaction(payload, added=added)

    async def _record_reaction(
        self, payload: discord.RawReactionActionEvent, *, added: bool
    ) -> None:
        me = self.user
        if me is not None and payload.user_id == me.id:
            return
        author_id = getattr(payload, "message_author_id", None)
        if added and me is not None and author_id is not None and author_id != me.id:
            # Someone's own message: it can only be a scored photo where photos posted in the
            # channel are scored (the group taste counts reactions on the photo itself).
            posted = ChatRef(PLATFORM, str(payload.channel_id))
            if payload.guild_id is None or not await self.game.auto_score_enabled(posted):
                return
        user = payload.member or self.get_user(payload.user_id)
        sender = (
            sender_of(user)
            if user is not None
            else Sender(PLATFORM, str(payload.user_id), str(payload.user_id))
        )
        chat = ChatRef(PLATFORM, str(payload.channel_id), is_private=payload.guild_id is None)
        emoji = str(payload.emoji)
        # Discord gives reactions no delivery id and never re-sends a dispatch within a
        # session, so the id only has to be unique per receipt.
        receipt = uuid.uuid4().hex[:16]
        event = ReactionEvent(
            chat=chat,
            sender=sender,
            update_id=f"reaction:{payload.message_id}:{payload.user_id}:{receipt}",
            message_id=str(payload.message_id),
            emoji=emoji,
            added=added,
        )
        replies = await self._handle(event, None)
        channel = self.get_partial_messageable(payload.channel_id, guild_id=payload.guild_id)
        await send_and_record(ChannelTransport(channel), chat, replies, self.game.reply_sent)

    # --- announcements ---------------------------------------------------------------------

    async def announce(self, announcement: Announcement) -> bool:
        """Post one announcement for the core's poller (`bot.core.poller`); False when Discord
        refused it (no permission, channel gone), which is logged and not retried."""
        channel = ChannelTransport(self.get_partial_messageable(int(announcement.chat_id)))
        chat = ChatRef(PLATFORM, announcement.chat_id)
        try:
            await send_and_record(channel, chat, [announcement.reply], self.game.reply_sent)
        except discord.HTTPException as exc:
            log.warning("Announcement to channel %s failed: %s", announcement.chat_id, exc)
            return False
        return True


@dataclasses.dataclass
class PhotoResults:
    """A channel photo's replies as a `bot.core.transport.Transport`: in a busy channel its
    result joins the channel's digest instead of a card each (`bot.core.busy`); the rest
    answer the message (`deliver.MessageTransport`). A post is counted when it is queued,
    because a burst's photos are answered concurrently while discord.py paces the sends."""

    channels: BusyChats
    message: discord.Message
    name: str
    """Whose photo it is, as the digest lists them."""

    def __post_init__(self) -> None:
        self._answers = MessageTransport(self.message)

    async def send(self, reply: Reply) -> str:
        """The message id; "" for a digest not posted yet."""
        message, channel = self.message, self.message.channel.id
        if message.guild is not None and self.channels.takes(channel, False, reply):
            poster = busy.ChannelDigest(ChannelTransport(message.channel))
            return await self.channels.add(channel, poster, None, self.name, reply) or ""
        if message.guild is not None:
            self.channels.remember_card(channel, self.name, reply)  # a new best: listed too
            if not reply.private:
                self.channels.note_sent(channel)
        return await self._answers.send(reply)

    async def edit(self, message_id: str, reply: Reply) -> bool:
        """Edit an answer to the photo (a digest is the channel's to edit)."""
        return await self._answers.edit(message_id, reply)


def _members_of(guild: discord.Guild | None) -> Callable[[], Awaitable[int | None]]:
    """`PhotoEvent.member_count`: the server's member count from the gateway's cache (no API
    call), bots included; None in DMs or before Discord sent it."""

    async def count() -> int | None:
        return guild.member_count if guild is not None else None

    return count


async def _download(attachment: discord.Attachment) -> bytes | None:
    """The attachment's bytes, or None when the CDN could not deliver them.

    Never raises: an escaped error would leave the interaction unanswered ("The application did
    not respond"), whereas None lets the caller ask the user to send the file again.
    """
    try:
        return await attachment.read()
    except DOWNLOAD_ERRORS as exc:
        log.warning("Could not download attachment %s: %s", attachment.id, type(exc).__name__)
        return None


async def _privately(work: Awaitable[list[Reply]]) -> list[Reply]:
    """`work`'s replies, all ephemeral.

    On Discord an ephemeral answer costs nothing, so personal matters (`PRIVATE_COMMANDS`) stay
    between the bot and the asker even where the core answers in public: it picks `private`
    for Telegram too, where a private answer to a group means a direct message.
    """
    return [dataclasses.replace(reply, private=True) for reply in await work]
