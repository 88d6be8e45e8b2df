"""The page's wording: every sentence the web adapter shows comes from the game's catalogue, in
the visitor's language (`bot.web.language` picks it per request).

`t` is the one translator code and templates use (the `t` template global); it speaks the
language of the request being served, English outside one. The small script gets its sentences
through `data-msg-*` attributes, so no text lives in code.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from bot.core.i18n import LANGUAGES, Language, Translator

_ENGLISH = Translator()
_current: ContextVar[Translator | None] = ContextVar("page_translator", default=None)


def _translator() -> Translator:
    return _current.get() or _ENGLISH


class PageTranslator:
    """The current request's `Translator`, behind one module-level name."""

    def __call__(self, key: str, /, **values: Any) -> str:
        return _translator()(key, **values)

    def __contains__(self, key: object) -> bool:
        return key in _translator()

    def template(self, key: str, /) -> str:
        return _translator().template(key)

    def plural(self, key: str, count: int, /, **values: Any) -> str:
        return _translator().plural(key, count, **values)

    @property
    def language(self) -> str:
        return _translator().language

    @property
    def languages(self) -> tuple[Language, ...]:
        """Every language the switcher offers."""
        return LANGUAGES


t = PageTranslator()


@contextmanager
def speaking(language: str) -> Iterator[Translator]:
    """Within the block, `t` speaks `language`."""
    translator = Translator(language)
    token = _current.set(translator)
    try:
        yield translator
    finally:
        _current.reset(token)
