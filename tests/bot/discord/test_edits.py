"""Discord's transports edit what they sent (`Transport.edit`), through the real discord.py client
against the fake Discord: an interaction's response (`@original`) and followups through the
interaction's webhook (ephemeral ones included), channel messages with `Message.edit`; an edit
replaces the embed, the files and the buttons."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot.core.commands import ButtonAction
from bot.core.replies import Attachment, Button, Reply
from bot.discord.adapter import SelfieBotClient
from bot.discord.deliver import ChannelTransport, InteractionReplier, MessageTransport
from tests.fakes.discord.harness import (
    ANN,
    ScriptedGame,
    bot,
    discord_settings,
    fake_discord,
    logged_in,
)
from tests.fakes.discord.people import CHANNEL_ID, DiscordWorld
from tests.fakes.discord.server import FakeDiscord

__all__ = ["bot", "fake_discord"]


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 120, 90)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def game() -> ScriptedGame:
    return ScriptedGame()


@pytest.fixture
def repliers(monkeypatch: pytest.MonkeyPatch) -> list[InteractionReplier]:
    """The adapter's interaction transports, kept once they answered, for the test to edit."""
    kept: list[InteractionReplier] = []
    answer = InteractionReplier.answer

    async def answer_and_keep(self: InteractionReplier, replies: list[Reply]) -> None:
        await answer(self, replies)
        kept.append(self)

    monkeypatch.setattr(InteractionReplier, "answer", answer_and_keep)
    return kept


async def test_the_response_and_an_ephemeral_followup_are_edited_by_the_interaction(
    bot: tuple[SelfieBotClient, DiscordWorld],
    game: ScriptedGame,
    fake_discord: FakeDiscord,
    repliers: list[InteractionReplier],
) -> None:
    card = Attachment(_png(), "result.png", "image/png")
    game.script = lambda event: [
        Reply("Board", attachments=(card,), buttons=(Button("🏆", ButtonAction.TOP, "week"),)),
        Reply("Only you", private=True),
    ]
    _, world = bot
    world.slash("top", ANN)
    await world.settle()
    (replier,) = repliers
    response, followup = fake_discord.visible()
    assert (response.kind, followup.kind, followup.ephemeral) == ("response", "followup", True)

    assert await replier.edit(str(response.id), Reply("Board, edited"))
    assert await replier.edit(str(followup.id), Reply("Only you, edited"))

    assert response.embeds[0]["description"] == "Board, edited"
    assert response.files == [] and response.buttons == [], "the reply's content, all of it"
    assert followup.embeds[0]["description"] == "Only you, edited" and followup.ephemeral
    edits = fake_discord.calls("PATCH", r".*")
    assert [edit.path.rsplit("/", 1)[1] for edit in edits] == ["@original", str(followup.id)]


async def test_a_deferred_response_is_edited_as_the_original(
    game: ScriptedGame, fake_discord: FakeDiscord, repliers: list[InteractionReplier]
) -> None:
    game.hold = fake_discord.deferred.wait  # the work finishes only once it was deferred
    game.script = lambda event: [Reply("Thought about it")]
    settings = discord_settings(discord_defer_after_seconds=0.0)
    async with logged_in(fake_discord, game, settings) as (_, world):
        world.slash("top", ANN)
        await world.settle()
        (replier,) = repliers
        (response,) = fake_discord.visible()
        assert await replier.edit(str(response.id), Reply("Thought again"))
    assert response.text == "Thought again"
    assert fake_discord.calls("PATCH", r".*/messages/@original")[-1].json["embeds"]


async def test_an_interaction_edits_only_its_own_messages(
    bot: tuple[SelfieBotClient, DiscordWorld],
    game: ScriptedGame,
    fake_discord: FakeDiscord,
    repliers: list[InteractionReplier],
) -> None:
    _, world = bot
    world.slash("top", ANN)
    world.slash("me", ANN)
    await world.settle()
    me = next(r for r in repliers if (r.interaction.data or {}).get("name") == "me")
    top = next(m for m in fake_discord.visible() if m.interaction_token != me.interaction.token)
    assert not await me.edit(str(top.id), Reply("not mine"))
    assert top.text == "ok" and fake_discord.calls("PATCH", r".*") == []


async def test_channel_messages_are_edited_in_place(
    bot: tuple[SelfieBotClient, DiscordWorld], fake_discord: FakeDiscord
) -> None:
    client, _ = bot
    channel = client.get_partial_messageable(CHANNEL_ID)
    posts = ChannelTransport(channel)
    card = Attachment(_png(), "result.png", "image/png")
    posted_id = await posts.send(Reply("Scores just in", attachments=(card,)))
    assert await posts.edit(posted_id, Reply("Scores just in\n• Ann: 80/100"))
    posted = fake_discord.messages[int(posted_id)]
    assert posted.text == "Scores just in\n• Ann: 80/100" and posted.files == []

    answers = MessageTransport(posts.posted[posted_id])
    answer_id = await answers.send(Reply("An answer", buttons=(Button("💡", ButtonAction.TIPS),)))
    assert await answers.edit(answer_id, Reply("A better answer"))
    answer = fake_discord.messages[int(answer_id)]
    assert answer.reference_id == int(posted_id), "still the answer to that message"
    assert answer.text == "A better answer" and answer.buttons == []
    assert not await answers.edit(posted_id, Reply("not its own")), "posted by another one"
    assert not await posts.edit("12345", Reply("never posted"))
