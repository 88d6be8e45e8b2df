"""End to end: the real discord.py client, the real game (models, SQLite), a local Discord.

A simulated member uses slash commands, buttons, channel uploads and reactions; each arrives
as a raw gateway payload through the client's parsers, every HTTP call the bot makes lands on
the local fake, and the assertions are on the embeds, files and buttons it sent.
"""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator

import pytest
from PIL import Image

from bot.core.game import Game
from bot.discord.adapter import SelfieBotClient
from inference.errors import PREFIX as UNREADABLE_PREFIX
from tests.conftest import SELFIES_DEV, needs_shared
from tests.fakes.discord.harness import ANN, BOB, bot, discord_settings, fake_discord
from tests.fakes.discord.people import DiscordWorld
from tests.fakes.discord.server import FakeDiscord, Message
from tests.paths import TEST_DATA
from tests.storage.support import (
    count_submissions,
    counting_transactions,
    get_submission_by_bot_message,
    get_user_by_platform_id,
    reaction_counts,
)

__all__ = ["bot", "fake_discord"]

pytestmark = needs_shared

DATA = TEST_DATA
ASTRONAUT = (DATA / "astronaut.jpg").read_bytes()


@pytest.fixture
async def game() -> AsyncIterator[Game]:
    game = await Game.open(discord_settings())
    yield game
    await game.close()


def _image_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        image.verify()
        return image.size


async def _score(world: DiscordWorld, photo: bytes, filename: str = "me.jpg") -> Message:
    world.slash_score(ANN, world.attachment_json(filename, photo, "image/jpeg"))
    await world.settle()
    return world.fake.visible()[-1]


def _assert_result(message: Message) -> None:
    """A scored photo: embed titled with the score, the card shown inline, three buttons."""
    (embed,) = message.embeds
    assert "/100" in embed["title"]
    assert "Rank in this chat" in embed["description"]
    assert embed["image"]["url"] == "attachment://result.png"
    (card,) = message.files
    assert card.filename == "result.png" and _image_size(card.data)[0] > 100
    assert [b["custom_id"] for b in message.buttons] == ["tips:", "top:season", "me:"]
    assert not message.ephemeral


async def test_a_selfie_via_slash_score_gets_an_embed_card_and_buttons(
    bot: tuple[SelfieBotClient, DiscordWorld], fake_discord: FakeDiscord, game: Game
) -> None:
    _, world = bot
    message = await _score(world, ASTRONAUT)
    _assert_result(message)
    assert message.kind == "response"
    assert len(fake_discord.downloads) == 1


async def test_a_selfie_costs_three_store_transactions(
    bot: tuple[SelfieBotClient, DiscordWorld], game: Game
) -> None:
    """One photo, one pass (tests/bot/core/test_transactions.py), through the real client: the
    claim registers and reads the arrival, the count records the reply going out, the sent
    reply is recorded; a channel upload in a DM costs the same."""
    _, world = bot
    with counting_transactions(game.store.engine) as begun:
        _assert_result(await _score(world, ASTRONAUT))
    assert begun == ["write", "write", "write"], begun

    with counting_transactions(game.store.engine) as begun:
        world.post(BOB, [world.attachment_json("b.jpg", ASTRONAUT, "image/jpeg")], dm=True)
        await world.settle()
    (embed,) = world.fake.visible()[-1].embeds
    assert "/100" in embed["title"]
    assert begun == ["write", "write", "write"], begun


async def test_a_dev_selfie_is_scored_too(bot: tuple[SelfieBotClient, DiscordWorld]) -> None:
    photo = sorted(SELFIES_DEV.glob("*.jpg"))[0].read_bytes()
    _, world = bot
    _assert_result(await _score(world, photo, "dev.jpg"))


async def test_a_redelivered_interaction_is_not_answered_twice(
    bot: tuple[SelfieBotClient, DiscordWorld], fake_discord: FakeDiscord
) -> None:
    _, world = bot
    await _score(world, ASTRONAUT)
    before = len(fake_discord.visible())
    world.redeliver_last("INTERACTION_CREATE")  # same interaction id: already answered
    await world.settle()
    assert len(fake_discord.visible()) == before


async def test_racing_copies_of_an_interaction_get_one_response_and_the_score(
    bot: tuple[SelfieBotClient, DiscordWorld],
    fake_discord: FakeDiscord,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, world = bot
    world.slash_score(ANN, world.attachment_json("me.jpg", ASTRONAUT, "image/jpeg"))
    world.redeliver_last("INTERACTION_CREATE")  # a second copy while the first is in flight
    await world.settle()

    (message,) = fake_discord.visible()
    _assert_result(message)
    assert fake_discord.second_responses == 0, "the copy never tried a second initial response"
    assert "already scored" not in message.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_non_image_is_refused_without_download(
    bot: tuple[SelfieBotClient, DiscordWorld], fake_discord: FakeDiscord
) -> None:
    _, world = bot
    world.slash_score(ANN, world.attachment_json("cv.pdf", b"%PDF-1.7\n", "application/pdf"))
    await world.settle()
    (message,) = fake_discord.visible()
    assert message.ephemeral and "cv.pdf** isn't a picture" in message.text
    assert fake_discord.downloads == []


async def test_a_corrupt_image_gets_a_clear_message_and_no_score(
    bot: tuple[SelfieBotClient, DiscordWorld], fake_discord: FakeDiscord
) -> None:
    _, world = bot
    message = await _score(world, ASTRONAUT[:300], "broken.jpg")
    assert message.text.startswith(UNREADABLE_PREFIX)
    assert message.files == [] and "/100" not in message.text
    world.slash("top", ANN)
    await world.settle()
    assert "Ann" not in fake_discord.visible()[-1].text


async def test_top_lists_the_scored_player(
    bot: tuple[SelfieBotClient, DiscordWorld], fake_discord: FakeDiscord
) -> None:
    _, world = bot
    await _score(world, ASTRONAUT)
    world.slash("top", ANN, [{"name": "window", "type": 3, "value": "week"}])
    await world.settle()
    board = fake_discord.visible()[-1]
    assert "Ann" in board.text
    assert board.embeds[0].get("image", {}).get("url", "").startswith("attachment://")


async def test_the_tips_button_answers_with_measured_edits(
    bot: tuple[SelfieBotClient, DiscordWorld], fake_discord: FakeDiscord
) -> None:
    _, world = bot
    result = await _score(world, ASTRONAUT)
    world.press(result, "tips:", ANN)
    await world.settle()
    tips = fake_discord.visible()[-1]
    assert tips.id != result.id
    assert "Tips for your last photo" in tips.text
    for upload in tips.files:
        _image_size(upload.data)


async def test_forgetme_is_confirmed_with_a_button(
    bot: tuple[SelfieBotClient, DiscordWorld], fake_discord: FakeDiscord
) -> None:
    _, world = bot
    await _score(world, ASTRONAUT)
    world.slash("forgetme", ANN)
    await world.settle()
    question = fake_discord.visible()[-1]
    assert question.ephemeral
    assert [b["custom_id"].split(":")[0] for b in question.buttons] == [
        "forget_confirm",
        "forget_cancel",
    ]
    confirm = question.buttons[0]["custom_id"]
    world.press(question, confirm, ANN, dm=False)
    await world.settle()
    done = fake_discord.visible()[-1]
    assert done.ephemeral and "records about you were deleted" in done.text
    world.slash("top", ANN)
    await world.settle()
    assert "Ann" not in fake_discord.visible()[-1].text


async def test_an_admin_command_from_a_non_admin_is_refused(
    bot: tuple[SelfieBotClient, DiscordWorld], fake_discord: FakeDiscord
) -> None:
    _, world = bot
    world.slash("resetseason", BOB)
    await world.settle()
    assert "Only chat admins can use /resetseason" in fake_discord.visible()[-1].text
    world.slash("duels", BOB, [{"name": "state", "type": 3, "value": "off"}], admin=True)
    await world.settle()
    assert fake_discord.visible()[-1].text == "Duels are off."


async def test_autoscore_opt_in_then_channel_uploads_are_scored(
    bot: tuple[SelfieBotClient, DiscordWorld], fake_discord: FakeDiscord, game: Game
) -> None:
    """Before the opt-in a posted photo costs one read and is never downloaded; after it, a
    posted photo costs the three transactions of any photo (the claim asks the channel)."""
    _, world = bot
    with counting_transactions(game.store.engine) as begun:
        world.post(ANN, [world.attachment_json("a.jpg", ASTRONAUT, "image/jpeg")])
        await world.settle()
    assert fake_discord.visible() == [] and fake_discord.downloads == []
    assert len(begun) == 1, begun

    world.slash("autoscore", BOB, [{"name": "state", "type": 3, "value": "on"}], admin=True)
    await world.settle()
    assert "Every photo posted here is scored" in fake_discord.visible()[-1].text

    with counting_transactions(game.store.engine) as begun:
        message_id = world.post(ANN, [world.attachment_json("a.jpg", ASTRONAUT, "image/jpeg")])
        await world.settle()
    result = fake_discord.visible()[-1]
    assert (result.kind, result.reference_id) == ("channel", message_id)
    _assert_result(result)
    assert begun == ["write", "write", "write"], begun


async def test_a_redelivered_channel_upload_is_scored_once(
    bot: tuple[SelfieBotClient, DiscordWorld], fake_discord: FakeDiscord, game: Game
) -> None:
    _, world = bot
    world.slash("autoscore", BOB, [{"name": "state", "type": 3, "value": "on"}], admin=True)
    await world.settle()
    world.post(ANN, [world.attachment_json("a.jpg", ASTRONAUT, "image/jpeg")])
    await world.settle()
    before = fake_discord.visible()
    world.redeliver_last("MESSAGE_CREATE")  # a gateway resume replays the dispatch
    await world.settle()

    assert fake_discord.visible() == before, "no second answer"
    chat = await game.store.chats.by_platform_id("discord", str(before[-1].channel_id))
    player = await get_user_by_platform_id(game.store, "discord", str(ANN.id))
    assert chat is not None and player is not None
    assert await count_submissions(game.store, chat.id, player.id) == 1


async def test_reactions_on_a_result_are_recorded(
    bot: tuple[SelfieBotClient, DiscordWorld], game: Game
) -> None:
    _, world = bot
    result = await _score(world, ASTRONAUT)
    world.react(result.id, BOB, "🔥")
    world.react(result.id, ANN, "😍")
    world.react(result.id, ANN, "😍", added=False)
    await world.settle()
    chat = await game.store.chats.by_platform_id("discord", str(result.channel_id))
    assert chat is not None
    submission = await get_submission_by_bot_message(game.store, chat.id, str(result.id))
    assert submission is not None
    assert await reaction_counts(game.store, submission.id) == {"🔥": 1}


async def test_duel_challenge_names_the_opponent_and_offers_buttons(
    bot: tuple[SelfieBotClient, DiscordWorld], fake_discord: FakeDiscord
) -> None:
    _, world = bot
    world.slash_duel(ANN, BOB)
    await world.settle()
    challenge = fake_discord.visible()[-1]
    assert "Bob" in challenge.text
    assert {b["custom_id"].split(":")[0] for b in challenge.buttons} == {
        "duel_accept",
        "duel_decline",
    }
