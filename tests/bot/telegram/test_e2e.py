"""End to end: the real PTB Application, the real game (models, SQLite) and a local Bot API.

A simulated user sends a real selfie, a PDF, a corrupt JPEG and commands, presses buttons,
reacts, and Telegram re-delivers updates; every assertion is on what the bot sent back over
HTTP to the local server (or on what the game stored), never on adapter internals.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from bot.core.game import Game
from bot.core.i18n import Translator
from bot.core.markup import to_plain
from bot.settings import Settings
from inference.errors import PREFIX as UNREADABLE_PREFIX
from storage.records import SubmissionRecord
from tests.conftest import ROOT, needs_shared
from tests.fakes.telegram.harness import api, bot_settings, game, running_bot, shown_text
from tests.fakes.telegram.people import Person, group_chat, private_chat
from tests.fakes.telegram.server import FakeBotApi
from tests.storage.support import (
    count_submissions,
    counting_transactions,
    get_submission_by_bot_message,
    get_user_by_platform_id,
    reaction_counts,
)

__all__ = ["api", "game"]

pytestmark = needs_shared

SELFIE = (ROOT / "tests" / "data" / "astronaut.jpg").read_bytes()


@pytest.fixture(scope="module")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for the module, so the seed model is converted to ONNX only once."""
    return tmp_path_factory.mktemp("telegram-model-cache")


@pytest.fixture
def settings(api: FakeBotApi, monkeypatch: pytest.MonkeyPatch, model_cache: Path) -> Settings:
    return bot_settings(
        api, monkeypatch, SELFIEBOT_CACHE_DIR=str(model_cache), SELFIEBOT_STREAK_REMINDERS="false"
    )


def image_format(data: bytes) -> str:
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return image.format or ""


def buttons_of(call_result: dict) -> dict[str, str]:
    rows = call_result.get("reply_markup", {}).get("inline_keyboard", [])
    return {b["text"]: b["callback_data"] for row in rows for b in row}


def corrupt_jpeg() -> bytes:
    """A JPEG header and the start of the data, then garbage: what a broken upload looks like."""
    return SELFIE[:3000] + bytes(range(256)) * 8


async def test_selfie_scored_then_top_tips_and_a_reaction(
    api: FakeBotApi, game: Game, settings: Settings
) -> None:
    expected = round(game.analyzer.analyze(SELFIE).score)
    ann = Person(api, "Ann", "ann")
    chat = private_chat(api, ann)
    async with running_bot(game, settings, api):
        photo_update = ann.send_photo(chat, SELFIE)
        [card] = await api.wait_for(api.sent, what="the result card")
        ann.send_text(chat, "/top")
        await api.wait_for(lambda: len(api.sent()) >= 2, what="the leaderboard")
        buttons = buttons_of(card.result)
        tips_label = next(label for label, data in buttons.items() if data.startswith("tips:"))
        ann.press(card.result, tips_label)
        await api.wait_for(lambda: api.calls("answerCallbackQuery"), timeout=90, what="tips")
        await api.wait_for(lambda: len(api.sent()) >= 3, timeout=90, what="the tips reply")
        ann.react(chat, card.result["message_id"], "🔥")
        submission = await api.wait_for(
            lambda: submission_of(game, ann.user_id, card.result["message_id"]),
            what="the card's id",
        )
        counts = await api.wait_for(
            lambda: reaction_counts(game.store, submission.id), what="reaction"
        )

    # The card: a photo replying to the selfie, score in the caption, buttons under it.
    assert card.method == "sendPhoto"
    assert card.params["reply_parameters"]["message_id"] == photo_update["message"]["message_id"]
    assert f"{expected}/100" in card.result["caption"]
    assert "<b>" in card.params["caption"] and card.params["parse_mode"] == "HTML"
    assert image_format(card.upload("photo").data) in {"PNG", "JPEG"}
    assert {data.split(":")[0] for data in buttons.values()} >= {"tips", "top", "me"}
    assert api.calls("sendChatAction")[0].params["action"] == "upload_photo"

    leaderboard = api.sent()[1]
    assert leaderboard.params["reply_parameters"]["message_id"] != card.result["message_id"]
    assert "Ann" in shown_text(leaderboard) and str(expected) in shown_text(leaderboard)

    [answered] = api.calls("answerCallbackQuery")
    assert answered.error is None
    tips = api.sent()[2]
    assert tips.params["reply_parameters"]["message_id"] == card.result["message_id"]
    assert f"score {expected}" in shown_text(tips)

    assert counts == {"🔥": 1}, "the reaction on the card was recorded"


async def submission_of(game: Game, user_id: int, message_id: int) -> SubmissionRecord | None:
    chat = await game.store.chats.by_platform_id("telegram", str(user_id))
    if chat is None:
        return None
    return await get_submission_by_bot_message(game.store, chat.id, str(message_id))


@pytest.mark.parametrize("where", ["private", "group"])
async def test_a_selfie_costs_three_store_transactions(
    api: FakeBotApi, game: Game, settings: Settings, where: str
) -> None:
    """One photo, one pass (tests/bot/core/test_transactions.py), through the real adapter: the
    claim before the download registers and reads the arrival, the count records the reply
    going out, the sent card is recorded. A group scores photos posted without /rate by
    default, and the claim itself asks the group, so such a photo costs no more."""
    ann = Person(api, "Ann")
    chat = private_chat(api, ann) if where == "private" else group_chat(api)
    with counting_transactions(game.store.engine) as begun:
        async with running_bot(game, settings, api):
            ann.send_photo(chat, SELFIE)
            await api.wait_for(api.sent, what="the result card")
            await api.wait_for(lambda: len(begun) >= 3, what="the card recorded")
    assert [c.method for c in api.sent()] == ["sendPhoto"]
    assert begun == ["write", "write", "write"], begun


async def test_non_photos_and_broken_photos_get_clear_replies(
    api: FakeBotApi, game: Game, settings: Settings
) -> None:
    ann = Person(api, "Ann")
    chat = private_chat(api, ann)
    async with running_bot(game, settings, api):
        ann.send_document(chat, b"%PDF-1.4\n%%EOF\n", "rules.pdf", "application/pdf")
        await api.wait_for(api.sent, what="the PDF refusal")
        ann.send_document(chat, b"just text\n", "notes.txt", "text/plain")
        await api.wait_for(lambda: len(api.sent()) >= 2, what="the text refusal")
        broken = ann.send_document(chat, corrupt_jpeg(), "broken.jpg", "image/jpeg")
        await api.wait_for(lambda: len(api.sent()) >= 3, what="the corrupt JPEG answer")

    pdf, txt, corrupt = api.sent()
    refusal = Translator("en")
    assert pdf.result["text"] == to_plain(refusal("upload.not_image", filename="rules.pdf"))
    assert txt.result["text"] == to_plain(refusal("upload.not_image", filename="notes.txt"))
    assert corrupt.method == "sendMessage"
    assert shown_text(corrupt).startswith(UNREADABLE_PREFIX)
    assert corrupt.params["reply_parameters"]["message_id"] == broken["message"]["message_id"]
    assert len(api.calls("getFile")) == 1, "refused files are never downloaded"
    assert not api.calls("sendPhoto")


async def test_an_update_is_answered_once_even_across_restarts(
    api: FakeBotApi, game: Game, settings: Settings
) -> None:
    ann = Person(api, "Ann")
    chat = private_chat(api, ann)
    async with running_bot(game, settings, api):
        update = ann.send_photo(chat, SELFIE)
        api.push(update)  # delivered twice in one batch
        await api.wait_for(api.sent, what="the card")
        ann.send_text(chat, "/me")
        await api.wait_for(lambda: len(api.sent()) >= 2, what="/me")

    # A fresh process (new Application, same database) receives the update again.
    api.push(update, ignore_offset=True)
    ann.send_text(chat, "/badges")
    async with running_bot(game, settings, api):
        await api.wait_for(lambda: len(api.sent()) >= 3, what="/badges after the restart")

    methods = [c.method for c in api.sent()]
    assert methods == ["sendPhoto", "sendMessage", "sendMessage"], methods
    assert len(api.calls("getFile")) == 1, "the re-delivery is dropped at its claim, unfetched"
    stored = await game.store.chats.by_platform_id("telegram", str(ann.user_id))
    player = await get_user_by_platform_id(game.store, "telegram", str(ann.user_id))
    assert stored is not None and player is not None
    assert await count_submissions(game.store, stored.id, player.id) == 1


async def test_group_rate_help_and_admin_commands(
    api: FakeBotApi, game: Game, settings: Settings
) -> None:
    ann, bob = Person(api, "Ann", "ann"), Person(api, "Bob", "bob")
    group = group_chat(api)
    api.set_member_status(group["id"], ann.user_id, "creator")
    async with running_bot(game, settings, api):
        ann.send_photo(group, SELFIE, caption="/rate")
        await api.wait_for(api.sent, what="the card")
        ann.send_text(group, "/help")
        await api.wait_for(lambda: len(api.sent()) >= 2, what="help")
        bob.send_text(group, "/seasonlength 14")
        await api.wait_for(lambda: len(api.sent()) >= 3, what="the refusal")
        ann.send_text(group, "/seasonlength 14")
        await api.wait_for(lambda: len(api.sent()) >= 4, what="the change")

    card, help_, refused, changed = api.sent()
    assert card.method == "sendPhoto"
    assert "/rate" in shown_text(help_) and "@BotFather" in shown_text(help_)
    assert shown_text(refused) != shown_text(changed)
    assert "14" in shown_text(changed)
    assert [c.params["user_id"] for c in api.calls("getChatMember")] == [bob.user_id, ann.user_id]
    stored = await game.store.chats.by_platform_id("telegram", str(group["id"]))
    assert stored is not None and stored.settings.season_days == 14
