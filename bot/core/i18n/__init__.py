"""The message catalogue: every user-facing sentence, per language, looked up by key.

Handlers never hold literal text; they call a `Translator` for the chat's language. A new
language is one module with the same keys as `en`; a key it lacks falls back to English so a
partial translation never shows a raw key.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from bot.core.i18n import en

DEFAULT_LANGUAGE = "en"

CATALOGUES: Mapping[str, Mapping[str, str]] = MappingProxyType({"en": en.MESSAGES})


def supported_languages() -> tuple[str, ...]:
    """Language codes the admin `/language` command accepts."""
    return tuple(sorted(CATALOGUES))


class Translator:
    """Formats catalogue entries for one language (`str.format` placeholders)."""

    def __init__(self, language: str | None = None) -> None:
        code = (language or DEFAULT_LANGUAGE).lower()
        self.language = code if code in CATALOGUES else DEFAULT_LANGUAGE
        self._messages = CATALOGUES[self.language]
        self._fallback = CATALOGUES[DEFAULT_LANGUAGE]

    def __call__(self, key: str, /, **values: Any) -> str:
        return self.template(key).format(**values)

    def template(self, key: str, /) -> str:
        """The unformatted sentence, for a client that fills `{placeholders}` itself (the web
        page's script)."""
        template = self._messages.get(key)
        return self._fallback[key] if template is None else template

    def plural(self, key: str, count: int, /, **values: Any) -> str:
        """`key.one` for a count of 1, else `key.other`: sentences like "1 photo" read right.

        English needs only these two forms; a language with more adds its own rule here.
        """
        form = "one" if count == 1 else "other"
        return self(f"{key}.{form}", count=count, **values)
