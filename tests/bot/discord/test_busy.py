"""Busy channels on Discord: a burst of photos in one auto-scored channel is answered with a
handful of cards and one digest embed edited in place that lists everyone's score, while the
fake Discord enforces a per-channel rate limit as Discord does (timing:
benchmarks/bench_busy_group.py --platform discord). The policy is shared with Telegram
(bot/core/busy.py, tests/bot/core/test_busy.py)."""

from __future__ import annotations

import asyncio
import dataclasses
import random
import re

import pytest

from bot.core.events import Event
from bot.core.replies import Attachment, Reply
from bot.discord import busy
from tests.bot.discord.test_adapter import _png
from tests.fakes.discord.harness import ScriptedGame, discord_settings, fake_discord, logged_in
from tests.fakes.discord.limits import ChannelLimits
from tests.fakes.discord.people import CHANNEL_ID, Person
from tests.fakes.discord.server import FakeDiscord, Message

__all__ = ["fake_discord"]

BURST = 60
PICTURE = _png()
DIGEST_LINE = re.compile(r"• (\S+): \*\*(\d+)\*\*/100")
CARD = re.compile(r"\*\*(\S+)\*\*: \*\*(\d+)/100\*\*")


def scored(scores: dict[str, int]) -> ScriptedGame:
    """A game that gives each sender their score, as a result card with the core's data."""

    def script(event: Event) -> list[Reply]:
        name = event.sender.display_name
        return [
            Reply(
                f"**{name}**: **{scores[name]}/100**",
                attachments=(Attachment(PICTURE, "result.png", "image/png"),),
                tag=f"submission:{event.update_id}",
                data={"analysis": {}, "score": scores[name]},
            )
        ]

    game = ScriptedGame(script=script)
    game.auto_channels.add(str(CHANNEL_ID))
    return game


def digests(fake: FakeDiscord) -> list[list[tuple[str, int]]]:
    """Each digest message's lines as it reads now (posted, then edited), oldest first."""
    shown = [m for m in fake.visible() if m.text.startswith("📸 **Scores just in**")]
    return [[(n, int(s)) for n, s in DIGEST_LINE.findall(m.text)] for m in shown]


def cards(fake: FakeDiscord) -> list[Message]:
    return [m for m in fake.visible() if m.kind == "channel" and m.files]


def shown(fake: FakeDiscord) -> set[str]:
    """Everyone whose score is on a card or a digest line."""
    listed = {name for digest in digests(fake) for name, _ in digest}
    return listed | {name for m in cards(fake) for name, _ in CARD.findall(m.text)}


async def test_a_burst_in_one_channel_is_coalesced_into_one_edited_digest(
    fake_discord: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Shorter pauses and windows only shorten the test; no timing is asserted.
    monkeypatch.setattr(
        busy, "PACE", dataclasses.replace(busy.PACE, edit_every_s=0.2, gather_s=0.05)
    )
    fake_discord.channel_limits = ChannelLimits(limit=5, per=0.5)
    people = [Person(650_000_000_000_000_000 + n, f"p{n:02d}", f"P{n:02d}") for n in range(BURST)]
    rng = random.Random(7)
    scores = {person.global_name or "": rng.randint(20, 95) for person in people}
    game = scored(scores)

    async with logged_in(fake_discord, game, discord_settings()) as (_, world):
        for person in people:
            world.post(person, [world.attachment_json("me.png", PICTURE, "image/png")])
        await world.settle()
        for _ in range(400):  # the last lines' edit is scheduled after the sends settle
            if shown(fake_discord) == set(scores):
                break
            await asyncio.sleep(0.05)

    lines = [line for digest in digests(fake_discord) for line in digest]
    listed = dict(lines)
    carded = {name: int(score) for m in cards(fake_discord) for name, score in CARD.findall(m.text)}
    assert len(listed) == len(lines) and set(listed) | set(carded) == set(scores)
    assert all(listed[name] == scores[name] for name in listed)
    assert len(carded) < BURST // 4, "cards only for the first results and new bests"
    posts = fake_discord.calls("POST", rf"/channels/{CHANNEL_ID}/messages")
    edits = fake_discord.calls("PATCH", rf"/channels/{CHANNEL_ID}/messages/\d+")
    assert len(posts) + len(edits) < BURST // 2, "a fraction of one message per photo"
    sizes = [len(digest) for digest in digests(fake_discord)]
    assert sizes[:-1] == [busy.PACE.digest_lines] * (len(sizes) - 1)
    # A card in the busy period (its sender is listed too) beats everything listed before it.
    for digest in digests(fake_discord):
        names = [name for name, _ in digest]
        for position, name in enumerate(names):
            if name in carded and position > 0:
                assert carded[name] > max(listed[n] for n in names[:position]), name
    # Each photo was reported to the game once, with the message that shows its score.
    assert len({tag for _, tag, _ in game.sent}) == BURST
    assert all(message_id for _, _, message_id in game.sent)


async def test_photos_scored_by_slash_command_are_answered_in_their_interaction(
    fake_discord: FakeDiscord,
) -> None:
    """Coalescing applies to the bot's channel posts, never to an interaction's own answer."""
    people = [Person(660_000_000_000_000_000 + n, f"q{n:02d}", f"Q{n:02d}") for n in range(8)]
    game = scored({person.global_name or "": 50 + n for n, person in enumerate(people)})
    async with logged_in(fake_discord, game, discord_settings()) as (_, world):
        for person in people:
            world.slash_score(person, world.attachment_json("me.png", PICTURE, "image/png"))
        await world.settle()
    answered = [m for m in fake_discord.visible() if m.interaction_token is not None]
    assert len(answered) == len(people) and digests(fake_discord) == []
