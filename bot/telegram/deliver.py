"""deliver: one core `Reply` as Bot API calls (photo + caption, text, documents, keyboard).

Telegram's limits shape the calls: captions hold 1024 characters and messages 4096 (counted in
UTF-16 units after the HTML is parsed), so a long result text moves from the photo's caption to
its own message(s). Text is split on line boundaries *before* the markup is converted so every
message is valid HTML on its own.

A picture Telegram refuses (400: dimensions, size, a bad file) provably did not arrive, so the
reply goes out as its text version instead (a result without its card, the leaderboard as text);
any other failure propagates, and is never resent (`bot.telegram.network`).

An edit changes the one message a delivery named (`Outbox.edit`): editMessageText for a text
message, editMessageCaption for a picture's or file's caption, editMessageMedia when the new
reply has a picture; text that no longer fits that one message is cut at a line.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    InputMediaPhoto,
    Message,
    ReplyParameters,
)
from telegram.constants import MessageLimit, ParseMode
from telegram.error import BadRequest, Forbidden

from bot.core.events import ChatRef
from bot.core.markup import to_plain
from bot.core.replies import Attachment, Button, Reply
from bot.telegram.render import to_telegram_html
from bot.telegram.translate import PLATFORM, encode_button

log = logging.getLogger(__name__)

BUTTONS_PER_ROW = 3
NOT_MODIFIED = "message is not modified"
"""Telegram's refusal of an edit that changes nothing (the message already shows it)."""


@dataclass(frozen=True)
class Destination:
    """Where the triggering update happened and whom it came from."""

    chat: ChatRef
    reply_to: int | None = None
    user_id: int | None = None
    thread_id: int | None = None


@dataclass(frozen=True)
class Delivered:
    """Where a reply landed; `message_id` is the message that carries its text (or image),
    `captioned` when that text is its caption (a photo or a file)."""

    chat: ChatRef
    message_id: int | None
    privately: bool = False
    as_alert: bool = False
    captioned: bool = False


AlertFn = Callable[[str], Awaitable[bool]]


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def visible_len(markup: str) -> int:
    """Length Telegram counts for a text in the core's markup, once rendered."""
    return utf16_len(to_plain(markup))


def split_text(text: str, limit: int) -> list[str]:
    """Chunks of `text` whose rendered length fits `limit`, cut at line breaks when possible."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if visible_len(candidate) <= limit:
            current = candidate
            continue
        if current:
            chunks.append(current)
        while visible_len(line) > limit:
            cut = _longest_prefix(line, limit)
            chunks.append(line[:cut])
            line = line[cut:]
        current = line
    if current.strip():
        chunks.append(current)
    return chunks


def _longest_prefix(line: str, limit: int) -> int:
    cut = min(len(line), limit)
    while cut > 1 and visible_len(line[:cut]) > limit:
        cut -= 1
    space = line.rfind(" ", 0, cut)
    return space if space > cut // 2 else cut


def keyboard(buttons: Sequence[Button]) -> InlineKeyboardMarkup | None:
    """The inline keyboard for `buttons`; a button whose data cannot fit is left out."""
    row: list[InlineKeyboardButton] = []
    rows: list[list[InlineKeyboardButton]] = []
    for button in buttons:
        data = encode_button(button.action, button.payload)
        if data is None:
            log.warning("Button %r left out: callback data over 64 bytes", button.action)
            continue
        row.append(InlineKeyboardButton(button.label, callback_data=data))
        if len(row) == BUTTONS_PER_ROW:
            rows.append(row)
            row = []
    if row:
        rows.append(row)
    return InlineKeyboardMarkup(rows) if rows else None


class Outbox:
    """Sends replies for one bot; knows Telegram's limits and the private-delivery fallback,
    and where each message it sent landed, so a transport can edit it by its id."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot
        self._delivered: dict[str, Delivered] = {}

    @property
    def bot(self) -> Bot:
        return self._bot

    async def deliver(
        self, reply: Reply, dest: Destination, *, alert: AlertFn | None = None
    ) -> Delivered:
        """Send `reply`; returns where it went.

        A private reply in a group goes to the asker's private chat; Telegram refuses that
        until the user has started the bot, and then the reply is posted in place. A short
        private reply to a button press shows as an alert only the presser sees.
        """
        if reply.private and not dest.chat.is_private and dest.user_id is not None:
            if alert is not None and not reply.attachments and await alert(to_plain(reply.text)):
                return Delivered(dest.chat, None, privately=True, as_alert=True)
            direct = Destination(
                ChatRef(PLATFORM, str(dest.user_id), is_private=True), user_id=dest.user_id
            )
            try:
                main = await self._send(reply, direct)
            except (Forbidden, BadRequest) as exc:
                log.info("Private reply impossible (%s); answering in the chat instead", exc)
            else:
                return self._landed(direct.chat, main, privately=True)
        return self._landed(dest.chat, await self._send(reply, dest))

    def _landed(self, chat: ChatRef, main: Message | None, *, privately: bool = False) -> Delivered:
        """Where a reply went, remembered for `edit` by its message id."""
        if main is None:
            return Delivered(chat, None, privately=privately)
        captioned = main.text is None
        delivered = Delivered(chat, main.message_id, privately=privately, captioned=captioned)
        self._delivered[str(main.message_id)] = delivered
        return delivered

    async def edit(self, message_id: str, reply: Reply) -> bool:
        """Make the message `message_id` (one this outbox delivered; False for any other)
        show `reply`'s text, buttons and picture. Telegram's "message is not modified" means
        it already does, which counts as done; any other refusal propagates."""
        delivered = self._delivered.get(message_id)
        if delivered is None or delivered.message_id is None:
            return False
        chat_id, sent_id = int(delivered.chat.chat_id), delivered.message_id
        markup = keyboard(reply.buttons)
        image = reply.image
        caption = _caption(reply.text)
        caption_mode = ParseMode.HTML if caption else None
        try:
            if image is not None:
                media = InputMediaPhoto(
                    image.data, caption=caption, parse_mode=caption_mode, filename=image.filename
                )
                await self._bot.edit_message_media(media, chat_id, sent_id, reply_markup=markup)
                self._delivered[message_id] = replace(delivered, captioned=True)
            elif delivered.captioned:
                await self._bot.edit_message_caption(
                    chat_id, sent_id, caption=caption, parse_mode=caption_mode, reply_markup=markup
                )
            else:
                text = to_telegram_html(_cut(reply.text, MessageLimit.MAX_TEXT_LENGTH))
                await self._bot.edit_message_text(
                    text, chat_id, sent_id, parse_mode=ParseMode.HTML, reply_markup=markup
                )
        except BadRequest as exc:
            if NOT_MODIFIED not in exc.message.lower():
                raise
        return True

    async def _send(self, reply: Reply, dest: Destination) -> Message | None:
        """Post the reply's messages; returns the one carrying its text or image."""
        chat_id = int(dest.chat.chat_id)
        markup = keyboard(reply.buttons)
        quote = dest.reply_to if reply.reply_to_event else None
        image = reply.image
        others = [a for a in reply.attachments if a is not image]
        text_fits_caption = visible_len(reply.text) <= MessageLimit.CAPTION_LENGTH
        chunks = (
            []
            if image and text_fits_caption
            else split_text(reply.text, MessageLimit.MAX_TEXT_LENGTH)
        )
        main: Message | None = None
        sender = _Sender(self._bot, chat_id, dest.thread_id, quote)

        if image is not None:
            caption = reply.text if text_fits_caption else ""
            try:
                sent = await sender.photo(
                    image, caption, markup if not chunks and not others else None
                )
            except BadRequest as exc:
                log.warning("Telegram refused the reply's picture (%s); sending its text", exc)
                if not chunks:
                    chunks = split_text(reply.text, MessageLimit.MAX_TEXT_LENGTH)
            else:
                main = sent
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            sent = await sender.text(chunk, markup if last and not others else None)
            main = main or sent
        for index, attachment in enumerate(others):
            last = index == len(others) - 1
            sent = await sender.attachment(attachment, markup if last else None)
            main = main or sent
        return main


@dataclass(frozen=True)
class ChatTransport:
    """One destination as a `bot.core.transport.Transport` (announcements and busy groups'
    digests use it)."""

    outbox: Outbox
    dest: Destination

    async def send(self, reply: Reply) -> str | None:
        delivered = await self.outbox.deliver(reply, self.dest)
        return None if delivered.message_id is None else str(delivered.message_id)

    async def edit(self, message_id: str, reply: Reply) -> bool:
        return await self.outbox.edit(message_id, reply)


class _Sender:
    """Sends the messages of one reply in order; only the first quotes the trigger."""

    def __init__(self, bot: Bot, chat_id: int, thread_id: int | None, quote: int | None) -> None:
        self._bot = bot
        self._chat_id = chat_id
        self._thread_id = thread_id
        self._quote = quote

    def _reply_parameters(self) -> ReplyParameters | None:
        if self._quote is None:
            return None
        return ReplyParameters(message_id=self._quote, allow_sending_without_reply=True)

    def _sent(self, message: Message) -> Message:
        """The quote goes on the first message that arrived (a refused one does not count)."""
        self._quote = None
        return message

    async def photo(
        self, image: Attachment, caption: str, markup: InlineKeyboardMarkup | None
    ) -> Message:
        return self._sent(
            await self._bot.send_photo(
                chat_id=self._chat_id,
                photo=InputFile(image.data, filename=image.filename),
                caption=_caption(caption),
                parse_mode=ParseMode.HTML if caption else None,
                reply_markup=markup,
                reply_parameters=self._reply_parameters(),
                message_thread_id=self._thread_id,
            )
        )

    async def text(self, text: str, markup: InlineKeyboardMarkup | None) -> Message:
        return self._sent(
            await self._bot.send_message(
                chat_id=self._chat_id,
                text=to_telegram_html(text),
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                reply_parameters=self._reply_parameters(),
                message_thread_id=self._thread_id,
            )
        )

    async def attachment(
        self, attachment: Attachment, markup: InlineKeyboardMarkup | None
    ) -> Message:
        if attachment.is_image:
            return await self.photo(attachment, attachment.description, markup)
        caption = _caption(attachment.description)
        return self._sent(
            await self._bot.send_document(
                chat_id=self._chat_id,
                document=InputFile(attachment.data, filename=attachment.filename),
                caption=caption,
                parse_mode=ParseMode.HTML if caption else None,
                reply_markup=markup,
                reply_parameters=self._reply_parameters(),
                message_thread_id=self._thread_id,
            )
        )


def _caption(text: str) -> str | None:
    """Caption HTML for `text`, cut to Telegram's caption limit (only descriptions and edits
    get cut)."""
    return to_telegram_html(_cut(text, MessageLimit.CAPTION_LENGTH)) if text else None


def _cut(text: str, limit: int) -> str:
    """`text` as one message holds it: cut at a line (or a word) when longer than `limit`."""
    return text if visible_len(text) <= limit else split_text(text, limit)[0]
