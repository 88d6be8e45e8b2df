"""translate: Telegram objects in, the core's platform-free values out (pure, no I/O).

No I/O here: downloading files and asking the Bot API about admins happen in the adapter; these
functions only read what an update already carries, so they are unit-tested without a server.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import PurePosixPath

from telegram import Chat, Message, MessageEntity, ReactionType, ReactionTypeEmoji, User
from telegram.constants import ChatID, ChatMemberStatus, ChatType, InlineKeyboardButtonLimit

from bot.core.commands import COMMANDS
from bot.core.events import ChatRef, Sender

PLATFORM = "telegram"
KNOWN_COMMANDS = frozenset(spec.name for spec in COMMANDS)
ADMIN_STATUSES = frozenset({ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR})
IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".jpe", ".png", ".webp", ".heic", ".heif", ".bmp", ".tif", ".tiff"}
)
CALLBACK_SEPARATOR = ":"


def chat_ref(chat: Chat) -> ChatRef:
    """The core's view of a chat; private chats carry no title (it would be the user's name)."""
    private = chat.type == ChatType.PRIVATE
    return ChatRef(
        platform=PLATFORM,
        chat_id=str(chat.id),
        title=None if private else chat.effective_name,
        is_private=private,
    )


def sender_of(user: User) -> Sender:
    return Sender(
        platform=PLATFORM,
        user_id=str(user.id),
        display_name=user.full_name,
        username=user.username,
        language=user.language_code,
    )


def sender_of_message(message: Message) -> Sender | None:
    """Who sent `message`, or None for senders the game cannot attribute to a person.

    An anonymous group admin posts as the group itself (`sender_chat` is the chat); the group
    then stands in as the sender so admin commands still work. Other bots, channels and
    automatic forwards are not players.
    """
    user = message.from_user
    if is_anonymous_admin(message):
        chat = message.chat
        return Sender(PLATFORM, str(chat.id), chat.effective_name or str(chat.id))
    if user is None or user.is_bot or message.sender_chat is not None:
        return None
    return sender_of(user)


def is_anonymous_admin(message: Message) -> bool:
    sender_chat = message.sender_chat
    return (
        sender_chat is not None
        and sender_chat.id == message.chat.id
        and (message.from_user is None or message.from_user.id == ChatID.ANONYMOUS_ADMIN)
    )


@dataclass(frozen=True)
class ParsedCommand:
    """`/name@bot arg1 arg2`, name lower-cased without slash or bot suffix."""

    name: str
    args: tuple[str, ...] = ()


def parse_command(message: Message, bot_username: str | None) -> ParsedCommand | None:
    """The command at the start of the text or caption, if it is addressed to this bot.

    `/cmd@other_bot` belongs to another bot in the group and is ignored.
    """
    text = message.text if message.text is not None else message.caption
    entities = message.entities if message.text is not None else message.caption_entities
    if not text:
        return None
    head = next(
        (e for e in entities if e.type == MessageEntity.BOT_COMMAND and e.offset == 0), None
    )
    if head is None:
        return None
    token = _utf16_slice(text, 0, head.length)[1:]
    name, _, target = token.partition("@")
    if target and (bot_username is None or target.lower() != bot_username.lower()):
        return None
    rest = _utf16_slice(text, head.length, None)
    return ParsedCommand(name=name.lower(), args=tuple(rest.split()))


def _utf16_slice(text: str, start: int, end: int | None) -> str:
    """Entity offsets count UTF-16 code units, not Python characters."""
    encoded = text.encode("utf-16-le")
    stop = None if end is None else end * 2
    return encoded[start * 2 : stop].decode("utf-16-le")


def mentioned_people(message: Message, bot_id: int | None) -> tuple[Sender, ...]:
    """People the message points at: `text_mention` entities and the author it replies to.

    Plain `@username` mentions stay in the command's args for the core to look up by handle;
    the Bot API cannot resolve a username to a user.
    """
    found: list[Sender] = []
    entities = message.entities or message.caption_entities
    for entity in entities:
        if entity.type == MessageEntity.TEXT_MENTION and entity.user is not None:
            found.append(sender_of(entity.user))
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None:
        author = replied.from_user
        if (
            not author.is_bot
            and author.id != bot_id
            and (message.from_user is None or author.id != message.from_user.id)
        ):
            found.append(sender_of(author))
    unique: dict[str, Sender] = {}
    for person in found:
        unique.setdefault(person.user_id, person)
    return tuple(unique.values())


@dataclass(frozen=True)
class ImageFile:
    """A picture attached to a message, not yet downloaded."""

    file_id: str
    file_size: int | None
    filename: str | None
    mime_type: str | None


@dataclass(frozen=True)
class NotAnImage:
    """A file attached to a message that is not a picture (PDF, video, GIF...)."""

    filename: str | None
    mime_type: str | None


def image_in(message: Message) -> ImageFile | NotAnImage | None:
    """The picture the message carries: the largest photo size, or an image document.

    Telegram recompresses photos to JPEG and offers several sizes; the largest keeps the most
    detail for the face. A live photo (what phone cameras take by default) is scored by its
    static photo. Uncompressed files (documents) count when their MIME type or file extension
    says image, which covers HEIC from phones that report no MIME type. Videos, voice and
    audio are files too, just not pictures: they are named so the user hears why.
    """
    live = message.live_photo
    sizes = message.photo or (live.photo if live is not None else ())
    if sizes:
        largest = max(sizes, key=lambda size: (size.width * size.height, size.file_size or 0))
        return ImageFile(largest.file_id, largest.file_size, None, "image/jpeg")
    if message.animation is not None:
        return NotAnImage(message.animation.file_name, message.animation.mime_type)
    if message.video is not None:
        return NotAnImage(message.video.file_name, message.video.mime_type)
    if message.audio is not None:
        return NotAnImage(message.audio.file_name, message.audio.mime_type)
    if message.voice is not None:
        return NotAnImage(None, message.voice.mime_type)
    if live is not None:  # a live photo that came without its static photo: only video left
        return NotAnImage(None, live.mime_type)
    if message.video_note is not None:
        return NotAnImage(None, "video/mp4")  # round videos are always MP4
    document = message.document
    if document is None:
        return None
    if _looks_like_image(document.file_name, document.mime_type):
        mime = document.mime_type or _guess_mime(document.file_name)
        return ImageFile(document.file_id, document.file_size, document.file_name, mime)
    return NotAnImage(document.file_name, document.mime_type)


def _looks_like_image(filename: str | None, mime_type: str | None) -> bool:
    if mime_type and mime_type.lower().startswith("image/"):
        return True
    return filename is not None and PurePosixPath(filename.lower()).suffix in IMAGE_EXTENSIONS


def _guess_mime(filename: str | None) -> str | None:
    if not filename:
        return None
    suffix = PurePosixPath(filename.lower()).suffix
    if suffix in (".heic", ".heif"):
        return f"image/{suffix[1:]}"
    return mimetypes.guess_type(filename)[0]


def encode_button(action: str, payload: str) -> str | None:
    """`action:payload` as callback data, or None when it exceeds Telegram's 64-byte limit."""
    data = f"{action}{CALLBACK_SEPARATOR}{payload}"
    if len(data.encode("utf-8")) > InlineKeyboardButtonLimit.MAX_CALLBACK_DATA:
        return None
    return data


def decode_button(data: str | None) -> tuple[str, str] | None:
    """The `(action, payload)` a button carries, or None for data this bot did not create."""
    if not data or CALLBACK_SEPARATOR not in data:
        return None
    action, _, payload = data.partition(CALLBACK_SEPARATOR)
    return (action, payload) if action else None


def reaction_key(reaction: ReactionType) -> str | None:
    """The emoji of a reaction; custom emoji become `custom:<id>`, paid stars are skipped."""
    if isinstance(reaction, ReactionTypeEmoji):
        return reaction.emoji
    custom_id = getattr(reaction, "custom_emoji_id", None)
    return f"custom:{custom_id}" if custom_id else None


def reaction_changes(
    old: tuple[ReactionType, ...], new: tuple[ReactionType, ...]
) -> list[tuple[str, bool]]:
    """`(emoji, added)` for every reaction taken off (first) or put on by this update."""
    before = [key for key in map(reaction_key, old) if key]
    after = [key for key in map(reaction_key, new) if key]
    removed = [(key, False) for key in before if key not in after]
    added = [(key, True) for key in after if key not in before]
    return removed + added


def event_key(update_id: int, index: int) -> str:
    """Idempotency key of the `index`-th core event made from one update."""
    return str(update_id) if index == 0 else f"{update_id}.{index}"
