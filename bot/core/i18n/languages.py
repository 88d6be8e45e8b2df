"""Which languages the game speaks, and the one rule that picks the language of each reply.

Adapters only pass the platform's hint through (Telegram `language_code`, Discord
`interaction.locale` and `guild.preferred_locale`, the browser's Accept-Language, the terminal's
`--language`); what is done with a hint is decided here, so every platform behaves alike:

- a personal reply (a score, `/me`, `/tips`, an error) speaks the sender's language when the
  game has it, else the chat's;
- a group post (leaderboards, season results, duels, announcements) speaks the chat's language:
  the one an admin set with `/language`, which a new chat starts from its platform hint (a
  Discord server's preferred locale, or the person in a private chat) or the configured default;
- anything unknown falls back to English.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True)
class Language:
    """One language the catalogue holds.

    `code` names its folder under `locales/` and is what chats store; `telegram` is the
    two-letter code Telegram's `setMyCommands` takes; `discord` the locales Discord sends.
    """

    code: str
    name: str
    telegram: str
    discord: tuple[str, ...]


LANGUAGES: tuple[Language, ...] = (
    Language("en", "English", "en", ("en-US", "en-GB")),
    Language("es", "Español", "es", ("es-ES", "es-419")),
    Language("pt_BR", "Português (Brasil)", "pt", ("pt-BR",)),
    Language("ru", "Русский", "ru", ("ru",)),
    Language("de", "Deutsch", "de", ("de",)),
    Language("fr", "Français", "fr", ("fr",)),
    Language("it", "Italiano", "it", ("it",)),
    Language("tr", "Türkçe", "tr", ("tr",)),
    Language("id", "Bahasa Indonesia", "id", ("id",)),
)
BY_CODE = {language.code: language for language in LANGUAGES}

# Spellings of a language that its primary subtag alone would not find.
_ALIASES = {"pt": "pt_BR", "in": "id"}
_SEPARATORS = re.compile(r"[-_]")


def supported_languages() -> tuple[str, ...]:
    """Codes the admin `/language` command accepts, in a stable order."""
    return tuple(sorted(BY_CODE))


def normalize(hint: str | None) -> str | None:
    """The catalogue language for a platform's hint, or None when the game doesn't speak it.

    Accepts what platforms send: `pt-BR`, `pt_br`, `PT`, `es-419`, `en-US`, Accept-Language
    items such as `de-CH`. A regional variant the game lacks falls back to its language
    (`pt-PT` reads Brazilian Portuguese, `fr-CA` French).
    """
    if not hint:
        return None
    parts = [part for part in _SEPARATORS.split(hint.strip()) if part]
    if not parts:
        return None
    primary = parts[0].lower()
    if len(parts) > 1:
        regional = f"{primary}_{parts[1].upper()}"
        if regional in BY_CODE:
            return regional
    if primary in BY_CODE:
        return primary
    return _ALIASES.get(primary)


def first_supported(hints: Iterable[str | None]) -> str | None:
    """The first hint the game speaks (hints in order of preference)."""
    for hint in hints:
        code = normalize(hint)
        if code is not None:
            return code
    return None


def personal_language(sender_hint: str | None, chat_language: str | None) -> str:
    """The language of a reply meant for the sender: theirs, else the chat's, else English."""
    return first_supported((sender_hint, chat_language)) or DEFAULT_LANGUAGE


def chat_language(setting: str | None) -> str:
    """The language of a group post: the chat's setting, else English."""
    return normalize(setting) or DEFAULT_LANGUAGE


def new_chat_language(
    chat_hint: str | None, sender_hint: str | None, is_private: bool, default: str | None
) -> str:
    """The language a chat starts with, before any admin sets one.

    A Discord server says what it speaks; a private chat speaks its only person's language; a
    group with no hint starts in the configured default.
    """
    hints = (chat_hint, sender_hint if is_private else None, default)
    return first_supported(hints) or DEFAULT_LANGUAGE


def parse_accept_language(header: str | None) -> list[str]:
    """The language tags of an HTTP Accept-Language header, most preferred first."""
    weighted: list[tuple[float, int, str]] = []
    for index, item in enumerate((header or "").split(",")):
        tag, _, params = item.strip().partition(";")
        if not tag or tag == "*":
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            weighted.append((-quality, index, tag))
    return [tag for _, _, tag in sorted(weighted)]
