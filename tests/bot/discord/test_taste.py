"""Discord reactions for the group taste: on the bot's results everywhere, and on a member's own
photo where the channel scores posted photos (`/autoscore on`), never on other chatter."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot.core.events import PhotoEvent, ReactionEvent
from bot.discord.adapter import SelfieBotClient
from tests.fakes.discord.harness import ANN, BOB, ScriptedGame, bot, fake_discord, logged_in
from tests.fakes.discord.people import CHANNEL_ID, DiscordWorld

__all__ = ["bot", "fake_discord", "logged_in"]


@pytest.fixture
def game() -> ScriptedGame:
    return ScriptedGame()


async def test_reactions_on_a_members_photo_count_only_where_photos_are_scored(
    bot: tuple[SelfieBotClient, DiscordWorld], game: ScriptedGame
) -> None:
    game.script = lambda event: []
    _, world = bot
    world.react(501, BOB, "❤️", author=ANN)
    await world.settle()
    assert game.events == []
    game.auto_channels.add(str(CHANNEL_ID))
    world.react(501, BOB, "❤️", author=ANN)
    world.react(777, ANN, "🔥")
    await world.settle()
    photo, result = game.events
    assert isinstance(photo, ReactionEvent) and isinstance(result, ReactionEvent)
    assert (photo.message_id, photo.sender.user_id, photo.emoji) == ("501", str(BOB.id), "❤️")
    assert result.message_id == "777"


async def test_scored_photos_carry_the_servers_member_count(
    bot: tuple[SelfieBotClient, DiscordWorld], game: ScriptedGame
) -> None:
    game.auto_channels.add(str(CHANNEL_ID))
    game.script = lambda event: []
    _, world = bot
    image = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 120, 90)).save(image, "PNG")
    world.post(ANN, [world.attachment_json("me.png", image.getvalue(), "image/png")])
    world.slash_score(BOB, world.attachment_json("slash.png", image.getvalue(), "image/png"))
    await world.settle()
    posted, slashed = (event for event in game.events if isinstance(event, PhotoEvent))
    assert await posted.member_count() == 3  # the fake server's GUILD_CREATE says 3
    assert await slashed.member_count() == 3
