"""refusals: from an attachment's metadata alone, whether it may be downloaded and scored.

Checking before downloading means a 200 MB video or a PDF costs nothing but one clear reply.
Whether the bytes really are a readable picture is the core's job (it answers corrupt files).
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass, field

import discord

from bot.core.i18n import Translator
from bot.core.markup import literal
from inference.units import megabytes


@dataclass(frozen=True)
class Refusal:
    """Why an attachment is not scored: a catalogue key and its placeholders."""

    key: str
    values: dict[str, str] = field(default_factory=dict)

    def text(self, language: str | None) -> str:
        return Translator(language)(self.key, **self.values)


def mime_type(attachment: discord.Attachment) -> str | None:
    """Discord's content type, else a guess from the file name (old uploads lack it)."""
    declared = (attachment.content_type or "").split(";")[0].strip().lower()
    return declared or mimetypes.guess_type(attachment.filename)[0]


def is_image(attachment: discord.Attachment) -> bool:
    return (mime_type(attachment) or "").startswith("image/")


def refusal_for(attachment: discord.Attachment, max_bytes: int) -> Refusal | None:
    """None when the attachment may be downloaded; otherwise the reason it may not."""
    if not is_image(attachment):
        return Refusal("upload.not_image", {"filename": literal(attachment.filename)})
    if attachment.size > max_bytes:
        return Refusal(
            "upload.too_large",
            {
                "filename": literal(attachment.filename),
                "size_mb": megabytes(attachment.size),
                "limit_mb": megabytes(max_bytes, limit=True),
            },
        )
    return None
