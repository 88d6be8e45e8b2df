"""Names people choose are shown as typed on every platform and never act as markup.

Unit tests for the core's literals, then end to end: the real discord.py client against the
local Discord, the real PTB bot against the local Bot API (which refuses HTML Telegram would
refuse), and the web page, each with the real game and models.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import discord
import pytest

from bot.core.game import Game
from bot.core.markup import literal, to_plain
from bot.discord.adapter import SelfieBotClient
from bot.discord.render import to_discord, to_discord_plain
from bot.settings import Settings
from bot.telegram.render import to_telegram_html
from tests.bot.web.test_app import analyzer, client, play, settings, text_of
from tests.conftest import ROOT, needs_shared
from tests.fakes.discord.harness import bot, fake_discord
from tests.fakes.discord.people import DiscordWorld, Person
from tests.fakes.discord.server import FakeDiscord
from tests.fakes.telegram.harness import api, bot_settings, running_bot
from tests.fakes.telegram.people import Person as TelegramPerson
from tests.fakes.telegram.people import private_chat
from tests.fakes.telegram.server import FakeBotApi

__all__ = ["analyzer", "api", "bot", "client", "fake_discord", "settings"]

SELFIE = (ROOT / "tests" / "data" / "astronaut.jpg").read_bytes()
MASKED_LINK = "[free nitro](https://evil.ex/a)"
HOSTILE = f"{MASKED_LINK} **x** ||y|| @everyone `z`"
MALLORY = Person(600_000_000_000_000_066, "mallory", HOSTILE)


# --- the core's literals ------------------------------------------------------------------


def test_a_literal_is_never_markup_on_any_platform() -> None:
    text = f"**{literal('**<b>Ann</b>** & `x`')}**: **{literal(MASKED_LINK)}** `/top`"
    assert to_telegram_html(text) == (
        "<b>**&lt;b&gt;Ann&lt;/b&gt;** &amp; `x`</b>: <b>[free nitro](https://evil.ex/a)</b>"
        " <code>/top</code>"
    )
    assert to_plain(text) == f"**<b>Ann</b>** & `x`: {MASKED_LINK} /top"
    assert to_discord(text) == (
        r"**\*\*<b>Ann</b>\*\* & \`x\`**: **\[free nitro](https://evil.ex/a)** `/top`"
    )
    assert to_discord_plain(text).startswith(r"\*\*<b>Ann</b>\*\*")


def test_literals_cannot_be_forged_or_left_open() -> None:
    forged = literal("a\ue001**b**\ue000c\ue002" + "9\ue003\nnext line")
    assert to_telegram_html(f"**{forged}**") == "<b>a**b**c9 next line</b>"
    cut = "**Ann** " + literal("**bold** tail")[:-4]  # a caption cut inside a literal
    assert to_telegram_html(cut) == "<b>Ann</b> **bold** t"
    assert to_discord("@everyone " + literal("@everyone")) == "@everyone @\u200beveryone"


# --- Discord, end to end ------------------------------------------------------------------


@pytest.fixture
async def game(settings: Settings, analyzer) -> AsyncIterator[Game]:
    """One real game (temp SQLite, the seed model) for whichever platform a test drives."""
    opened = await Game.open(settings, analyzer=analyzer)
    yield opened
    await opened.close()


@needs_shared
async def test_discord_embeds_show_a_hostile_nickname_inert(
    bot: tuple[SelfieBotClient, DiscordWorld], fake_discord: FakeDiscord
) -> None:
    _, world = bot
    world.slash_score(MALLORY, world.attachment_json("me.jpg", SELFIE, "image/jpeg"))
    await world.settle()
    world.slash("top", MALLORY, [{"name": "window", "type": 3, "value": "week"}])
    await world.settle()
    result, board = fake_discord.visible()[-2:]

    title = result.embeds[0]["title"]
    escaped = discord.utils.escape_mentions(discord.utils.escape_markdown(HOSTILE))
    assert title.startswith(escaped + ": ")
    assert escaped in board.embeds[0]["description"]
    for shown in (title, board.embeds[0]["description"]):
        assert not re.search(r"(?<!\\)\[free nitro\]", shown), "a masked link would render"
        assert "@everyone" not in shown and "||y||" not in shown
    sent = [r.json for r in fake_discord.requests if r.method in ("POST", "PATCH") and r.json]
    parts = [part for body in sent for part in (body, body.get("data")) if isinstance(part, dict)]
    mentions = [part["allowed_mentions"] for part in parts if "allowed_mentions" in part]
    assert mentions and all(m["parse"] == [] for m in mentions), "nobody can be pinged"


# --- Telegram, end to end -----------------------------------------------------------------


@pytest.fixture
def telegram_settings(api: FakeBotApi, monkeypatch: pytest.MonkeyPatch) -> Settings:
    return bot_settings(api, monkeypatch, SELFIEBOT_STREAK_REMINDERS="false")


@needs_shared
async def test_telegram_html_shows_a_hostile_name_as_typed(
    api: FakeBotApi, telegram_settings: Settings, game: Game
) -> None:
    name = "<b>Ann</b> & **bold** `c` <a href='x'>"
    person = TelegramPerson(api, name)
    chat = private_chat(api, person)
    async with running_bot(game, telegram_settings, api):
        person.send_photo(chat, SELFIE)
        [card] = await api.wait_for(api.sent, what="the result card")
        person.send_text(chat, "/top")
        await api.wait_for(lambda: len(api.sent()) >= 2, what="the leaderboard")
    board = api.sent()[1]
    assert card.result["caption"].startswith(f"{name}: ")
    assert name in (board.result.get("text") or board.result.get("caption") or "")
    assert "&lt;b&gt;Ann" in card.params["caption"]


# --- the web page -------------------------------------------------------------------------


@needs_shared
async def test_the_page_escapes_a_hostile_nickname(client) -> None:
    nickname = "<img src=x onerror=1>**"
    response = await play(client, SELFIE, nickname=nickname)
    assert response.status_code == 200
    assert "<img src=x" not in response.text
    assert "&lt;img src=x onerror=1&gt;**" in response.text
    assert nickname in text_of(response.text)
