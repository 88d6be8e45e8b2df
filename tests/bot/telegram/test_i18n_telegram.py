"""Telegram in the players' languages, end to end: the real PTB client against the fake Bot API,
the real game. Each person's `language_code` picks their replies; the group's posts follow the
language its admin sets."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.game import Game
from bot.core.i18n import Translator
from bot.settings import Settings
from tests.conftest import needs_shared
from tests.fakes.telegram.harness import api, bot_settings, game, running_bot, shown_text
from tests.fakes.telegram.people import Person, group_chat, private_chat
from tests.fakes.telegram.server import FakeBotApi

__all__ = ["api", "game"]

pytestmark = needs_shared


@pytest.fixture
def settings(api: FakeBotApi, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    return bot_settings(
        api, monkeypatch, SELFIEBOT_CACHE_DIR=str(tmp_path), SELFIEBOT_STREAK_REMINDERS="false"
    )


async def test_each_person_in_their_language_and_the_group_in_its_own(
    api: FakeBotApi, game: Game, settings: Settings
) -> None:
    ivan = Person(api, "Ivan", "ivan", language="ru")
    bia = Person(api, "Bia", "bia", language="pt-br")
    group = group_chat(api)
    api.set_member_status(group["id"], bia.user_id, "creator")
    async with running_bot(game, settings, api):
        ivan.send_text(private_chat(api, ivan), "/help")
        await api.wait_for(api.sent, what="help in a private chat")
        ivan.send_text(group, "/me")
        await api.wait_for(lambda: len(api.sent()) >= 2, what="/me")
        ivan.send_text(group, "/top")
        await api.wait_for(lambda: len(api.sent()) >= 3, what="the English board")
        bia.send_text(group, "/language pt-br")
        await api.wait_for(lambda: len(api.sent()) >= 4, what="the change")
        ivan.send_text(group, "/top")
        await api.wait_for(lambda: len(api.sent()) >= 5, what="the Portuguese board")

    help_, me, english_board, changed, board = api.sent()
    assert shown_text(help_).startswith("📸 Игра в селфи")
    assert shown_text(me).startswith("👤 Ivan в этом чате")
    assert Translator("en")("top.title.season", number=1) in shown_text(english_board)
    assert shown_text(changed) == "Idioma alterado para pt_BR (Português (Brasil))."
    assert Translator("pt_BR")("top.title.season", number=1) in shown_text(board)
