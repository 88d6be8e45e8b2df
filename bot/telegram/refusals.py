"""refusals: what the adapter says before the core sees a file, worded by the catalogue.

The contract (bot/core/CONTRACT.md) gives adapter-side refusals the `upload.*` keys (a crash
gets `error.generic` from the core's error boundary, `bot.core.boundary`), so they read the same
on every platform and follow the catalogue when a
language is added. The adapter never learns a chat's configured language, so it uses the
sender's Telegram language, as the Discord adapter uses the interaction's locale.
"""

from __future__ import annotations

import mimetypes

from bot.core.i18n import Translator
from bot.core.markup import literal
from inference.units import megabytes


def file_label(filename: str | None, mime_type: str | None) -> str:
    """A name to show for a file: its own, or one made from its type (compressed photos,
    voice notes and round videos have none)."""
    if filename:
        return literal(filename)
    if not mime_type:
        return "file"
    extension = mimetypes.guess_extension(mime_type) or ""
    return f"{mime_type.split('/')[0]}{extension}"


def not_an_image(language: str | None, filename: str | None, mime_type: str | None) -> str:
    return Translator(language)("upload.not_image", filename=file_label(filename, mime_type))


def too_large(
    language: str | None, filename: str | None, mime_type: str | None, size: int | None, limit: int
) -> str:
    """Sizes in the one unit every message uses (`inference.units`); an unknown size (Telegram
    only said "too big") shows as over the limit."""
    limit_mb = megabytes(limit, limit=True)
    return Translator(language)(
        "upload.too_large",
        filename=file_label(filename, mime_type),
        size_mb=megabytes(size) if size is not None else f"> {limit_mb}",
        limit_mb=limit_mb,
    )


def download_failed(language: str | None, filename: str | None, mime_type: str | None) -> str:
    return Translator(language)("upload.download_failed", filename=file_label(filename, mime_type))
