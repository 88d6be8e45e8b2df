"""adapter: PTB handlers; one Telegram update in, core events to the game, replies out.

No game rules here. The adapter decides only what Telegram forces on it: which file to download
(and which to refuse before downloading), who the sender is, whether a private reply can reach
the user, and answering every callback query so the button stops spinning.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from telegram import Bot, CallbackQuery, Message, MessageReactionUpdated, Update
from telegram.constants import ChatAction, FileSizeLimit
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot.core.boundary import failed
from bot.core.busy import BusyChats
from bot.core.events import (
    ButtonEvent,
    ChatRef,
    CommandEvent,
    EventFields,
    PhotoEvent,
    PhotoFetcher,
    PhotoUnavailable,
    ReactionEvent,
)
from bot.core.i18n import Translator
from bot.core.markup import to_plain
from bot.core.replies import Announcement, Reply
from bot.core.transport import send_and_record
from bot.telegram import busy, refusals
from bot.telegram.answering import Answer, UpdateReplies, answer_if_slow, chat_action
from bot.telegram.deliver import ChatTransport, Destination, Outbox
from bot.telegram.network import NetworkHealth, with_retries
from bot.telegram.reactions import MemberCounts, reaction_count_event
from bot.telegram.translate import (
    ADMIN_STATUSES,
    KNOWN_COMMANDS,
    PLATFORM,
    ImageFile,
    NotAnImage,
    chat_ref,
    decode_button,
    event_key,
    image_in,
    is_anonymous_admin,
    mentioned_people,
    parse_command,
    reaction_changes,
    sender_of,
    sender_of_message,
)

if TYPE_CHECKING:
    from bot.core.game import Game

log = logging.getLogger(__name__)

OFFICIAL_API = "https://api.telegram.org"


def download_limit(max_upload_bytes: int, api_base_url: str) -> int:
    """Largest file worth downloading: the game's limit, and Telegram's 20 MB cap for bots on
    the official server (a self-hosted Bot API server lifts that cap)."""
    if api_base_url.rstrip("/") == OFFICIAL_API:
        return min(max_upload_bytes, FileSizeLimit.FILESIZE_DOWNLOAD)
    return max_upload_bytes


class RecentIds:
    """The last `capacity` update ids seen by this process: a re-delivery is dropped here
    before it costs a database round trip; the core's claims cover other processes."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._capacity = capacity
        self._ids: OrderedDict[int, None] = OrderedDict()

    def claim(self, update_id: int) -> bool:
        """True the first time `update_id` is seen, False for a repeat."""
        if update_id in self._ids:
            return False
        self._ids[update_id] = None
        if len(self._ids) > self._capacity:
            self._ids.popitem(last=False)
        return True

    def release(self, update_id: int) -> None:
        """Forget `update_id` so a re-delivery after a failure is processed again."""
        self._ids.pop(update_id, None)


@dataclasses.dataclass(frozen=True)
class _Oversized:
    """A file found to be over the download limit; `size` when Telegram said how big."""

    size: int | None


class TelegramAdapter:
    """Holds the game and the bot-wide state the handlers share."""

    def __init__(self, game: Game, *, health: NetworkHealth, max_download_bytes: int) -> None:
        self._game = game
        self._health = health
        self._max_download = max_download_bytes
        self._seen = RecentIds()
        self._busy = BusyChats(busy.PACE)
        self._members = MemberCounts()

    # --- PTB entry points -----------------------------------------------------------------

    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """TypeHandler callback for every update PTB receives.

        Messages and button presses are claimed in the game's database before any work or
        reply (`Answer.claim`; with the event's chat and sender when it goes to the game, so
        one transaction claims and registers): of all copies of one update (Telegram's
        re-deliveries, in this or any other process) exactly one is handled; the others are
        acknowledged (PTB answers the webhook) and dropped here. Ignored ones are not claimed.
        """
        self._health.recovered()
        if not self._seen.claim(update.update_id):
            log.info("Update %s delivered again; already handled", update.update_id)
            return
        key = str(update.update_id)
        claimable = update.message_reaction is None  # reactions carry one key per change
        answer = Answer(
            update.callback_query,
            (lambda: self._game.reply_starting(PLATFORM, key)) if claimable else None,
            (
                lambda fields, is_photo, if_auto_score: self._game.claim_update(
                    PLATFORM, key, arriving=fields, is_photo=is_photo, if_auto_score=if_auto_score
                )
            )
            if claimable
            else None,
        )
        try:
            if update.message is not None:
                await self._on_message(update.update_id, update.message, context.bot, answer)
            elif update.callback_query is not None:
                await self._on_button(update.update_id, update.callback_query, context.bot, answer)
            elif update.message_reaction is not None:
                await self._on_reaction(update.update_id, update.message_reaction, context.bot)
            elif update.message_reaction_count is not None:
                counted = update.message_reaction_count
                await self._game.handle(reaction_count_event(update.update_id, counted))
        except Exception as error:
            self._seen.release(update.update_id)
            user = update.effective_user
            apology = failed(PLATFORM, f"update {key}", error, user.language_code if user else None)
            if claimable and answer.claimed and not answer.sent_anything:
                await self._game.release_update(PLATFORM, key)
            await self._apologise(update, context.bot, answer, apology)
        else:
            if answer.claimed is False:
                # Handled or being handled elsewhere; if that owner dies before answering, a
                # later re-delivery must reach the claim again (retaken after the owner's lease).
                self._seen.release(update.update_id)
            elif claimable and answer.claimed:
                await self._game.finish_update(PLATFORM, key)
        finally:
            await answer.answer_query()

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Application error handler: errors outside `on_update` (PTB internals). Nobody
        waits for an answer, so the boundary's sentence is not sent."""
        if context.error is not None:
            failed(PLATFORM, "PTB", context.error, None)

    async def announce(self, bot: Bot, announcement: Announcement) -> bool:
        """Send one season result, duel outcome or reminder for the core's poller
        (`bot.core.poller`); False when Telegram refused it, which is logged, not retried."""
        chat = ChatRef(PLATFORM, announcement.chat_id)
        reply = dataclasses.replace(announcement.reply, reply_to_event=False)
        transport = ChatTransport(Outbox(bot), Destination(chat))
        try:
            await send_and_record(transport, chat, [reply], self._game.reply_sent)
        except TelegramError as exc:
            log.warning("Announcement to chat %s not delivered: %s", announcement.chat_id, exc)
            return False
        return True

    # --- messages ---------------------------------------------------------------------------

    async def _on_message(self, update_id: int, message: Message, bot: Bot, answer: Answer) -> None:
        sender = sender_of_message(message)
        if sender is None:
            return
        chat = chat_ref(message.chat)
        command = parse_command(message, bot.username)
        image = image_in(message)
        dest = Destination(
            chat,
            reply_to=message.message_id,
            user_id=message.from_user.id if message.from_user else None,
            thread_id=message.message_thread_id if message.is_topic_message else None,
        )
        outbox = Outbox(bot)
        is_admin = self._admin_check(bot, message)
        base: EventFields = {
            "chat": chat,
            "sender": sender,
            "update_id": str(update_id),
            "is_admin": is_admin,
            "fetch_photo": self._photo_fetcher(bot),
        }

        if isinstance(image, ImageFile):
            asked = command is not None and command.name == "rate"
            await self._score_photo(
                bot,
                outbox,
                dest,
                image,
                base,
                message.message_id,
                answer,
                posted_unasked=not (asked or chat.is_private),
            )
            return
        if isinstance(image, NotAnImage):
            if chat.is_private or (command is not None and command.name == "rate"):
                refusal = refusals.not_an_image(sender.language, image.filename, image.mime_type)
                await self._say(outbox, dest, refusal, answer)
            return
        if command is None:
            # Stickers, locations, polls... deserve an answer in private as much as text does.
            if chat.is_private and (message.text or message.effective_attachment):
                hint = _text(sender.language, "telegram.send_a_selfie")
                await self._say(outbox, dest, hint, answer)
            return
        if command.name == "rate" and message.reply_to_message is not None:
            await self._rate_replied(bot, outbox, dest, message, base, answer)
            return
        if command.name not in KNOWN_COMMANDS and not chat.is_private:
            return
        if not await answer.claim(base):
            return
        event = CommandEvent(
            **base,
            message_id=str(message.message_id),
            name=command.name,
            args=command.args,
            mentions=mentioned_people(message, bot.id),
        )
        async with chat_action(bot, dest, ChatAction.TYPING):
            replies = await self._game.handle(event)
        if command.name == "help":
            replies = _with_help_addendum(replies, base["sender"].language)
        await self._send_all(
            outbox, dest, replies, answer, notify_private=True, language=base["sender"].language
        )

    async def _rate_replied(
        self,
        bot: Bot,
        outbox: Outbox,
        dest: Destination,
        message: Message,
        base: EventFields,
        answer: Answer,
    ) -> None:
        """`/rate` sent as a reply to a photo (groups with privacy mode on see only that)."""
        target = message.reply_to_message
        assert target is not None
        image = image_in(target)
        if image is None:
            if not await answer.claim(base):
                return
            event = CommandEvent(**base, message_id=str(message.message_id), name="rate")
            await self._send_all(outbox, dest, await self._game.handle(event), answer)
            return
        if isinstance(image, NotAnImage):
            language = base["sender"].language
            refusal = refusals.not_an_image(language, image.filename, image.mime_type)
            await self._say(outbox, dest, refusal, answer)
            return
        author = target.from_user
        if author is None or message.from_user is None or author.id != message.from_user.id:
            own_photo = _text(base["sender"].language, "telegram.rate_own_photo")
            await self._say(outbox, dest, own_photo, answer)
            return
        photo_dest = dataclasses.replace(dest, reply_to=target.message_id)
        await self._score_photo(bot, outbox, photo_dest, image, base, target.message_id, answer)

    async def _score_photo(
        self,
        bot: Bot,
        outbox: Outbox,
        dest: Destination,
        image: ImageFile,
        base: EventFields,
        photo_message_id: int,
        answer: Answer,
        *,
        posted_unasked: bool = False,
    ) -> None:
        """Claim, download, score and answer one photo. `posted_unasked` (a group photo without
        /rate): only where the group scores such photos, which the claim reads in its own
        transaction; elsewhere it is dropped without a word, never downloaded."""
        language = base["sender"].language
        # Before the download, so copies (and photos of groups that did not opt in) skip it.
        if not await answer.claim(base, is_photo=True, if_auto_score=posted_unasked):
            return
        if image.file_size is not None and image.file_size > self._max_download:
            await self._say(outbox, dest, self._too_large(language, image, image.file_size), answer)
            return
        refusal: str | None = None
        replies: list[Reply] = []
        async with chat_action(bot, dest, ChatAction.UPLOAD_PHOTO):
            try:
                data = await self._download(bot, image)
            except TelegramError as exc:
                log.warning("Photo download failed: %s", exc)
                refusal = refusals.download_failed(language, image.filename, image.mime_type)
            else:
                if isinstance(data, _Oversized):
                    refusal = self._too_large(language, image, data.size)
                else:
                    event = PhotoEvent(
                        **base,
                        message_id=str(photo_message_id),
                        photo=data,
                        filename=image.filename,
                        member_count=self._members.counter(bot, int(dest.chat.chat_id)),
                        mime_type=image.mime_type,
                        photo_handle=image.file_id,
                    )
                    replies = await self._game.handle(event)
        if refusal is not None:
            await self._say(outbox, dest, refusal, answer)
            return
        sender = base["sender"]
        await self._send_all(
            outbox, dest, replies, answer, language=sender.language, photo_of=sender.display_name
        )

    async def _download(self, bot: Bot, image: ImageFile) -> bytes | _Oversized:
        """The file's bytes, or `_Oversized` when it is over the download limit.

        Sizes are checked three times because each source may lack them: the message, the
        getFile answer, and the bytes themselves.
        """

        def retryable(exc: BaseException) -> bool:
            return isinstance(exc, TelegramError) and not isinstance(exc, BadRequest)

        try:
            file = await bot.get_file(image.file_id)
        except BadRequest as exc:
            if "too big" in str(exc).lower():
                return _Oversized(image.file_size)
            raise
        if file.file_size is not None and file.file_size > self._max_download:
            return _Oversized(file.file_size)
        data = await with_retries(
            file.download_as_bytearray,
            what="file download",
            health=self._health,
            retryable=retryable,
        )
        return bytes(data) if len(data) <= self._max_download else _Oversized(len(data))

    def _photo_fetcher(self, bot: Bot) -> PhotoFetcher:
        """The core's way back to a photo: Telegram keeps it, its file_id is the handle."""

        async def fetch(file_id: str) -> bytes:
            try:
                data = await self._download(bot, ImageFile(file_id, None, None, None))
            except TelegramError as exc:
                raise PhotoUnavailable(f"{type(exc).__name__}: {exc}") from exc
            if isinstance(data, _Oversized):
                raise PhotoUnavailable("over the download limit")
            return data

        return fetch

    def _too_large(self, language: str | None, image: ImageFile, size: int | None) -> str:
        return refusals.too_large(
            language, image.filename, image.mime_type, size, self._max_download
        )

    # --- buttons and reactions --------------------------------------------------------------

    async def _on_button(
        self, update_id: int, query: CallbackQuery, bot: Bot, answer: Answer
    ) -> None:
        decoded = decode_button(query.data)
        message = query.message
        if decoded is None or message is None:
            expired = _text(query.from_user.language_code, "telegram.button_expired")
            await answer.answer_query(expired)
            return
        chat = chat_ref(message.chat)
        dest = Destination(chat, reply_to=message.message_id, user_id=query.from_user.id)
        action, payload = decoded
        sender = sender_of(query.from_user)
        if not await answer.claim({"chat": chat, "sender": sender, "update_id": str(update_id)}):
            return
        event = ButtonEvent(
            chat=chat,
            sender=sender,
            update_id=str(update_id),
            message_id=str(message.message_id),
            is_admin=_member_admin_check(bot, message.chat.id, query.from_user.id, chat),
            fetch_photo=self._photo_fetcher(bot),
            action=action,
            payload=payload,
        )
        async with chat_action(bot, dest, ChatAction.TYPING), answer_if_slow(answer):
            replies = await self._game.handle(event)
        await self._send_all(
            Outbox(bot), dest, replies, answer, language=query.from_user.language_code
        )

    async def _on_reaction(
        self, update_id: int, reaction: MessageReactionUpdated, bot: Bot
    ) -> None:
        if reaction.user is None or reaction.user.is_bot:
            return
        chat = chat_ref(reaction.chat)
        sender = sender_of(reaction.user)
        dest = Destination(chat, reply_to=reaction.message_id, user_id=reaction.user.id)
        changes = reaction_changes(reaction.old_reaction, reaction.new_reaction)
        for index, (emoji, added) in enumerate(changes):
            event = ReactionEvent(
                chat=chat,
                sender=sender,
                update_id=event_key(update_id, index),
                message_id=str(reaction.message_id),
                emoji=emoji,
                added=added,
            )
            replies = await self._game.handle(event)
            await self._send_all(Outbox(bot), dest, replies, Answer(None))

    # --- sending ----------------------------------------------------------------------------

    async def _send_all(
        self,
        outbox: Outbox,
        dest: Destination,
        replies: list[Reply],
        answer: Answer,
        *,
        notify_private: bool = False,
        language: str | None = None,
        photo_of: str | None = None,
    ) -> None:
        """Deliver replies in order through the core's `send_and_record` (each fenced by the
        update's claim, tagged ones reported), and say where private ones went (a toast on
        the button, or a one-line note for a command).

        `photo_of`: the sender's name when these are a photo's results; in a busy group they
        join the group's digest instead of posting a card each (`bot.core.busy`).
        """
        transport = UpdateReplies(
            self._busy, outbox, dest, answer, language, photo_of, notify_private=notify_private
        )
        await send_and_record(transport, dest.chat, replies, self._game.reply_sent, answer.may_send)

    async def _say(self, outbox: Outbox, dest: Destination, text: str, answer: Answer) -> None:
        if not await answer.may_send():
            return
        answer.sent_anything = True
        await outbox.deliver(Reply(text), dest)

    async def _apologise(self, update: Update, bot: Bot, answer: Answer, apology: str) -> None:
        """Tell the user something failed, unless part of the answer already went out."""
        if answer.sent_anything:
            return
        if answer.query is not None:
            await answer.answer_query(to_plain(apology), show_alert=True)
            return
        message = update.message
        if message is None:
            return
        with contextlib.suppress(TelegramError):
            dest = Destination(chat_ref(message.chat), reply_to=message.message_id)
            await Outbox(bot).deliver(Reply(apology), dest)

    # --- admin checks -----------------------------------------------------------------------

    def _admin_check(self, bot: Bot, message: Message) -> Callable[[], Awaitable[bool]]:
        chat = chat_ref(message.chat)
        if is_anonymous_admin(message):
            return _always(True)
        user_id = message.from_user.id if message.from_user else None
        if user_id is None:
            return _always(False)
        return _member_admin_check(bot, message.chat.id, user_id, chat)


def _always(value: bool) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return value

    return check


def _member_admin_check(
    bot: Bot, chat_id: int, user_id: int, chat: ChatRef
) -> Callable[[], Awaitable[bool]]:
    """`is_admin` for the core: asked lazily (it costs a getChatMember call), then remembered.

    In a private chat the user runs their own chat.
    """
    if chat.is_private:
        return _always(True)
    cached: list[bool] = []

    async def check() -> bool:
        if not cached:
            member = await bot.get_chat_member(chat_id, user_id)
            cached.append(member.status in ADMIN_STATUSES)
        return cached[0]

    return check


def _with_help_addendum(replies: list[Reply], language: str | None) -> list[Reply]:
    """The core's help plus the Telegram-only paragraph about group privacy mode."""
    addendum = _text(language, "telegram.group_privacy")
    if not replies:
        return [Reply(addendum)]
    first, *rest = replies
    return [dataclasses.replace(first, text=f"{first.text}\n\n{addendum}"), *rest]


def _text(language: str | None, key: str) -> str:
    """A Telegram-only sentence from the core's catalogue, in the sender's language."""
    return Translator(language)(key)
