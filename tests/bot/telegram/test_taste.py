"""Group taste over Telegram, end to end: the real PTB Application and game against the local
Bot API. Named reactions on the selfie and anonymous totals on the result reach the taste rows;
the audience is Telegram's member count less the author and the bot."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.game import Game
from bot.settings import Settings
from bot.telegram.runner import ALLOWED_UPDATES
from inference.taste.features import FEATURES_VERSION
from storage.taste import TastePhoto
from tests.conftest import ROOT, needs_shared
from tests.fakes.telegram.harness import api, bot_settings, game, running_bot
from tests.fakes.telegram.people import Person, anonymous_reactions, group_chat
from tests.fakes.telegram.server import FakeBotApi

__all__ = ["api", "game"]

pytestmark = needs_shared

SELFIE = (ROOT / "tests" / "data" / "astronaut.jpg").read_bytes()


@pytest.fixture
def settings(api: FakeBotApi, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    return bot_settings(
        api,
        monkeypatch,
        SELFIEBOT_CACHE_DIR=str(tmp_path / "cache"),
        SELFIEBOT_STREAK_REMINDERS="false",
    )


async def _taste_row(game: Game, chat_id: int, reactions: int) -> TastePhoto | None:
    chat = await game.store.chats.by_platform_id("telegram", str(chat_id))
    if chat is None:
        return None
    rows = await game.store.taste.photos(chat.id, version=FEATURES_VERSION)
    return rows[0] if rows and rows[0].reactions >= reactions else None


async def test_reactions_on_the_selfie_and_anonymous_totals_count(
    api: FakeBotApi, game: Game, settings: Settings
) -> None:
    assert "message_reaction_count" in ALLOWED_UPDATES
    ann, bob, cid = Person(api, "Ann", "ann"), Person(api, "Bob", "bob"), Person(api, "Cid")
    chat = group_chat(api)
    api.set_member_count(chat["id"], 9)
    async with running_bot(game, settings, api):
        selfie = ann.send_photo(chat, SELFIE)["message"]
        [card] = await api.wait_for(api.sent, what="the result card")
        bob.react(chat, selfie["message_id"], "❤️")
        cid.react(chat, card.result["message_id"], "🔥")
        ann.react(chat, selfie["message_id"], "👍")  # the author's own: not counted
        await api.wait_for(lambda: _taste_row(game, chat["id"], 2), what="named reactions")
        anonymous_reactions(api, chat, card.result["message_id"], {"👍": 3, "😂": 1})
        row = await api.wait_for(lambda: _taste_row(game, chat["id"], 6), what="anonymous ones")

    assert row.audience == 9 - 2
    assert row.reactions == 2 + 4
    assert len(api.calls("getChatMemberCount")) == 1
    assert "face_size" in row.features
