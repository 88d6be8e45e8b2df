"""Simulated Telegram users and chats: build real Bot API update JSON and queue it."""

from __future__ import annotations

import io
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from tests.fakes.telegram.server import FakeBotApi

_user_ids = itertools.count(501)
_group_ids = itertools.count(1_001_000_000_001)


def private_chat(api: FakeBotApi, person: Person) -> dict[str, Any]:
    return api.register_chat({"id": person.user_id, "type": "private", **person.names()})


def group_chat(api: FakeBotApi, title: str = "Selfie Club") -> dict[str, Any]:
    return api.register_chat({"id": -next(_group_ids), "type": "supergroup", "title": title})


def thumbnail(data: bytes, side: int = 90) -> bytes:
    """The small JPEG preview Telegram adds next to every photo."""
    with Image.open(io.BytesIO(data)) as image:
        image = image.convert("RGB")
        image.thumbnail((side, side))
        out = io.BytesIO()
        image.save(out, "JPEG")
    return out.getvalue()


@dataclass
class Person:
    """Someone using Telegram; every action queues one update on the fake server."""

    api: FakeBotApi
    first_name: str
    username: str | None = None
    language: str = "en"
    user_id: int = field(default_factory=lambda: next(_user_ids))

    def names(self) -> dict[str, Any]:
        names: dict[str, Any] = {"first_name": self.first_name}
        if self.username:
            names["username"] = self.username
        return names

    def as_user(self) -> dict[str, Any]:
        return {"id": self.user_id, "is_bot": False, "language_code": self.language, **self.names()}

    def _message(self, chat: dict[str, Any], reply_to: dict[str, Any] | None) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self.api.next_message_id(chat["id"]),
            "date": int(time.time()),
            "chat": chat,
            "from": self.as_user(),
        }
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        return message

    def _push(self, key: str, payload: dict[str, Any]) -> dict[str, Any]:
        return self.api.push({key: payload})

    def send_text(
        self, chat: dict[str, Any], text: str, *, reply_to: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """A text message; a leading `/command` gets its bot_command entity like Telegram's."""
        message = self._message(chat, reply_to)
        _put_text(message, text, "text", "entities")
        return self._push("message", message)

    def send_photo(
        self, chat: dict[str, Any], data: bytes, *, caption: str | None = None
    ) -> dict[str, Any]:
        """A compressed photo: a thumbnail plus the full size, as Telegram delivers them."""
        message = self._message(chat, None)
        small = self.api.add_file(thumbnail(data), "thumb.jpg")
        large = self.api.add_file(data, "photo.jpg")
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
        message["photo"] = [
            {**small, "width": 90, "height": 90},
            {**large, "width": width, "height": height},
        ]
        _put_text(message, caption, "caption", "caption_entities")
        return self._push("message", message)

    def send_document(
        self,
        chat: dict[str, Any],
        data: bytes,
        filename: str,
        mime_type: str | None,
        *,
        caption: str | None = None,
        reported_size: int | None = None,
    ) -> dict[str, Any]:
        """An uncompressed file; `reported_size` fakes the size Telegram announces."""
        message = self._message(chat, None)
        stored = self.api.add_file(data, filename, size=reported_size)
        document: dict[str, Any] = {**stored, "file_name": filename}
        if mime_type:
            document["mime_type"] = mime_type
        message["document"] = document
        _put_text(message, caption, "caption", "caption_entities")
        return self._push("message", message)

    def send_content(self, chat: dict[str, Any], **content: Any) -> dict[str, Any]:
        """A message carrying raw Bot API content, e.g. `sticker={...}` or `live_photo={...}`."""
        message = self._message(chat, None)
        message.update(content)
        return self._push("message", message)

    def press(self, bot_message: dict[str, Any], label: str) -> dict[str, Any]:
        """Press the inline button labelled `label` under a message the bot sent."""
        rows = bot_message["reply_markup"]["inline_keyboard"]
        button = next(b for row in rows for b in row if b["text"] == label)
        query = {
            "id": f"Q{self.user_id}{bot_message['message_id']}{time.monotonic_ns()}",
            "from": self.as_user(),
            "chat_instance": "ci-1",
            "message": bot_message,
            "data": button["callback_data"],
        }
        return self._push("callback_query", query)

    def react(
        self,
        chat: dict[str, Any],
        message_id: int,
        emoji: str,
        *,
        previous: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        """Put `emoji` on a message (replacing `previous` reactions)."""
        reaction = {
            "chat": chat,
            "message_id": message_id,
            "user": self.as_user(),
            "date": int(time.time()),
            "old_reaction": [{"type": "emoji", "emoji": e} for e in previous],
            "new_reaction": [{"type": "emoji", "emoji": emoji}],
        }
        return self._push("message_reaction", reaction)


def anonymous_reactions(
    api: FakeBotApi, chat: dict[str, Any], message_id: int, counts: dict[str, int]
) -> dict[str, Any]:
    """Telegram's update for reactions nobody is named for: the message's totals per emoji."""
    counted = {
        "chat": chat,
        "message_id": message_id,
        "date": int(time.time()),
        "reactions": [
            {"type": {"type": "emoji", "emoji": emoji}, "total_count": total}
            for emoji, total in counts.items()
        ],
    }
    return api.push({"message_reaction_count": counted})


def _put_text(message: dict[str, Any], text: str | None, key: str, entities_key: str) -> None:
    """Add a text or caption; a leading `/command` gets its bot_command entity like Telegram's."""
    if not text:
        return
    message[key] = text
    if text.startswith("/"):
        command = text.split()[0]
        length = len(command.encode("utf-16-le")) // 2  # Telegram counts UTF-16 code units
        message[entities_key] = [{"type": "bot_command", "offset": 0, "length": length}]
