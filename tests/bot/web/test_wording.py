"""The page speaks of the web board, never of "this chat": the catalogue's `KEY@web` variants
replace the sentences written for chats wherever the game talks to the web platform."""

from __future__ import annotations

import pytest

from bot.core.i18n import LANGUAGES, Translator, source_messages

CHAT_WORDS = ("chat", "Chat", "чат", "obrolan", "sohbet")


def web_variants() -> list[str]:
    return sorted(key for key in source_messages() if key.endswith("@web"))


def test_sentences_for_chats_have_a_web_wording() -> None:
    talking_of_chats = [
        key
        for key in source_messages()
        if key.startswith(("photo.", "card.", "badge.")) and "chat" in _example(key)
    ]
    assert talking_of_chats, "the check found the chat sentences"
    assert sorted(f"{key}@web" for key in talking_of_chats) == web_variants()


def _example(key: str) -> str:
    """The sentence with every placeholder filled, to read its words."""
    import string

    template = Translator("en").template(key)
    fields = {field for _, field, _, _ in string.Formatter().parse(template) if field}
    return template.format(**dict.fromkeys(fields, "x"))


@pytest.mark.parametrize("code", [language.code for language in LANGUAGES])
def test_the_web_hears_its_own_wording_in_every_language(code: str) -> None:
    web, chat = Translator(code, "web"), Translator(code, "telegram")
    for variant in web_variants():
        key = variant.removesuffix("@web")
        assert web.template(key) == Translator(code).template(variant)
        assert chat.template(key) == Translator(code).template(key), "chats keep theirs"
        assert not any(word in web.template(key) for word in CHAT_WORDS), (code, key)
