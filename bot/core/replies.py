"""What the game tells adapters: replies made of light-markup text, an image, files and buttons.

Text uses a tiny markup every platform can render: `**bold**` and `` `code` `` only; adapters
convert it (`bot.core.markup`). Everything else is plain text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Button:
    """A button under a reply; pressing it comes back as `ButtonEvent(action, payload)`."""

    label: str
    action: str
    payload: str = ""


@dataclass(frozen=True)
class Attachment:
    """A picture (PNG/JPEG) or file (e.g. the JSON of `/export`)."""

    data: bytes
    filename: str
    mime_type: str
    description: str = ""

    @property
    def is_image(self) -> bool:
        return self.mime_type.startswith("image/")


@dataclass(frozen=True)
class Reply:
    """One message to send back.

    `private`: only the asker should see it (Discord ephemeral; Telegram sends it in the
    private chat when possible, otherwise in place). `tag`: set on messages the core wants to
    recognise later (e.g. `submission:42` for reactions); adapters report the platform message
    id they got for it through `Game.reply_sent`. `reply_to_event`: answer the triggering
    message (a quote/reply) rather than post a free-standing message. `data`: the structured
    facts behind the text (for a scored photo: `{"analysis": ..., "rank": ...}`) for adapters
    that draw their own view, such as the web page and the JSON API.
    """

    text: str
    attachments: tuple[Attachment, ...] = ()
    buttons: tuple[Button, ...] = ()
    private: bool = False
    tag: str | None = None
    reply_to_event: bool = True
    data: Mapping[str, Any] | None = field(default=None, compare=False)

    @property
    def image(self) -> Attachment | None:
        """The first picture, which adapters show inline (Telegram photo, Discord embed image)."""
        return next((a for a in self.attachments if a.is_image), None)


@dataclass(frozen=True)
class Announcement:
    """A message the core sends on its own (season results, duel outcome, streak reminder)."""

    platform: str
    chat_id: str
    reply: Reply
