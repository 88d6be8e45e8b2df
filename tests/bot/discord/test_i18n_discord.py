"""Discord in the players' languages, end to end: discord.py against the fake Discord, the real
game. A member's client locale picks their replies; the channel's posts follow the server's
preferred locale (`en-US` in the fake world) until an admin runs /language."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.core.game import Game
from bot.core.i18n import Translator
from bot.discord.adapter import SelfieBotClient
from tests.conftest import needs_shared
from tests.fakes.discord.harness import bot, discord_settings, fake_discord
from tests.fakes.discord.people import DiscordWorld, Person

__all__ = ["bot", "fake_discord"]

pytestmark = needs_shared

BRUNA = Person(600_000_000_000_000_101, "bruna", "Bruna", locale="pt-BR")
OLGA = Person(600_000_000_000_000_102, "olga", "Olga", locale="ru")


@pytest.fixture
async def game() -> AsyncIterator[Game]:
    game = await Game.open(discord_settings())
    yield game
    await game.close()


async def _answer(world: DiscordWorld, command: str, person: Person, **options: object) -> str:
    world.slash(command, person, **options)
    await world.settle()
    (embed,) = world.fake.visible()[-1].embeds
    return f"{embed.get('title', '')}\n{embed.get('description', '')}"


async def test_members_read_their_language_and_the_channel_the_servers(
    bot: tuple[SelfieBotClient, DiscordWorld],
) -> None:
    _, world = bot
    me = await _answer(world, "me", BRUNA)
    assert "Nenhuma foto pontuada ainda" in me, "Bruna's client speaks Brazilian Portuguese"
    board = await _answer(world, "top", OLGA)
    assert Translator("en")("top.empty") in board, "the server's preferred locale: en-US"
    russian = [{"name": "code", "type": 3, "value": "ru"}]
    await _answer(world, "language", OLGA, options=russian, admin=True)
    board = await _answer(world, "top", BRUNA)
    assert Translator("ru")("top.empty") in board, "the channel's language, set by an admin"
