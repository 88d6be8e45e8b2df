"""The message catalogue: every user-facing sentence, per language, looked up by key.

Handlers never hold literal text; they call a `Translator` for the reply's language (picked by
`languages.personal_language` / `languages.chat_language`). Sentences are gettext messages
(`locales/`, see README.md there): the English source and one `.po` per language, with each
language's plural rules and number and date formats from Babel. A sentence a language lacks
reads in English, so a partial translation never shows a raw key.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from bot.core.i18n.catalogues import Source, english, translations
from bot.core.i18n.languages import (
    BY_CODE,
    DEFAULT_LANGUAGE,
    LANGUAGES,
    Language,
    chat_language,
    new_chat_language,
    normalize,
    personal_language,
    supported_languages,
)

if TYPE_CHECKING:
    from babel import Locale

__all__ = [
    "BY_CODE",
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "Language",
    "Translator",
    "chat_language",
    "new_chat_language",
    "normalize",
    "personal_language",
    "source_messages",
    "supported_languages",
]


def source_messages() -> Mapping[str, Source]:
    """Every key with its English text: the reference every language must cover."""
    return english()


def placeholders(template: str) -> set[str]:
    """The `{names}` a sentence fills in (a translation must keep exactly these)."""
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


class Translator:
    """Formats catalogue entries for one language (`str.format` placeholders).

    Numbers and dates passed as values are written the language's way (`72,5`, `30 нояб.`),
    so callers hand over raw values and never format them themselves.

    With a `platform`, a key `KEY@PLATFORM` (such as `photo.rank@web`) is said instead of `KEY`
    where the catalogue has one: the web page has no chat, so the sentences written for chats
    get a web wording without any flow knowing where it is heard.
    """

    def __init__(self, language: str | None = None, platform: str | None = None) -> None:
        from babel import Locale

        self.platform = platform
        self.language = normalize(language) or DEFAULT_LANGUAGE
        self.locale: Locale = Locale.parse(self.language)
        self._sources = english()
        self._gettext = translations(self.language)

    def __call__(self, key: str, /, **values: Any) -> str:
        return self.template(key).format(**self._localized(values))

    def __contains__(self, key: object) -> bool:
        return key in self._sources

    def template(self, key: str, /) -> str:
        """The unformatted sentence, for a client that fills `{placeholders}` itself (the web
        page's script)."""
        key = self._variant(key)
        return self._gettext.pgettext(key, self._sources[key].singular)

    def _variant(self, key: str) -> str:
        """The platform's own wording of `key` when the catalogue has one, else `key`."""
        if self.platform is None:
            return key
        variant = f"{key}@{self.platform}"
        return variant if variant in self._sources else key

    def plural(self, key: str, count: int, /, **values: Any) -> str:
        """The form of a counted sentence that fits `count` under this language's plural rule
        (English one/other, Russian one/few/many...); `{count}` is filled in too."""
        key = self._variant(key)
        source = self._sources[key]
        if source.plural is None:
            raise KeyError(f"{key} is not a counted sentence")
        template = self._gettext.npgettext(key, source.singular, source.plural, count)
        return template.format(**self._localized({"count": count, **values}))

    def number(self, value: float, digits: int = 1) -> str:
        """A decimal number with this language's separators (`1,234.5`, `1 234,5`)."""
        from babel.numbers import format_decimal

        pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
        return format_decimal(value, format=pattern, locale=self.locale)

    def moment(self, value: datetime) -> str:
        """A time people read at a glance ("Sun, Nov 30 14:05", "вс, 30 нояб. 14:05")."""
        from babel.dates import format_skeleton

        day = format_skeleton("MMMEd", value, locale=self.locale)
        clock = format_skeleton("Hm", value, tzinfo=value.tzinfo, locale=self.locale)
        return f"{day} {clock}"

    def day(self, value: date) -> str:
        """A calendar date in this language's medium style."""
        from babel.dates import format_date

        return format_date(value, format="medium", locale=self.locale)

    def _localized(self, values: dict[str, Any]) -> dict[str, Any]:
        return {name: self._localize(value) for name, value in values.items()}

    def _localize(self, value: Any) -> Any:
        if isinstance(value, datetime):
            return self.moment(value)
        if isinstance(value, date):
            return self.day(value)
        if isinstance(value, float):
            return self.number(value)
        return value
