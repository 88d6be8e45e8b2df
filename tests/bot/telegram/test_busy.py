"""Busy groups: a burst of 60 photos in one group is answered with a handful of cards and one
digest message edited in place, listing everyone's score (speed: benchmarks/bench_busy_group.py).
"""

from __future__ import annotations

import dataclasses
import random

import pytest

from bot.core.events import Event
from bot.core.replies import Attachment, Reply
from bot.telegram import busy
from tests.conftest import ROOT
from tests.fakes.telegram.harness import ScriptedGame, api, bot_settings, running_bot
from tests.fakes.telegram.people import Person, group_chat
from tests.fakes.telegram.server import ApiCall, FakeBotApi

__all__ = ["api"]

SELFIE = (ROOT / "tests" / "data" / "astronaut.jpg").read_bytes()
BURST = 60


def scored(scores: dict[str, int]) -> ScriptedGame:
    """A game that gives each sender their score, as a result card with the core's data."""

    def rule(event: Event) -> list[Reply]:
        score = scores[event.sender.display_name]
        return [
            Reply(
                f"**{event.sender.display_name}**: **{score}/100**",
                attachments=(Attachment(SELFIE, "result.jpg", "image/jpeg"),),
                tag=f"submission:{len(scores)}:{event.update_id}",
                data={"analysis": {}, "score": score},
            )
        ]

    return ScriptedGame(rule=rule)


def digest_texts(api: FakeBotApi, chat_id: int) -> dict[int, str]:
    """The latest text of each digest message (posted, then edited)."""
    latest: dict[int, str] = {}
    for call in api.calls("sendMessage", "editMessageText", chat_id=chat_id):
        if call.error is None and call.result["text"].startswith("📸 Scores just in"):
            latest[call.result["message_id"]] = call.result["text"]
    return latest


def cards(api: FakeBotApi, chat_id: int) -> list[ApiCall]:
    return [c for c in api.calls("sendPhoto", chat_id=chat_id) if c.error is None]


async def test_a_burst_in_one_group_is_coalesced_into_one_edited_digest(
    api: FakeBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only shortens the test; no timing asserted.
    monkeypatch.setattr(
        busy, "PACE", dataclasses.replace(busy.PACE, edit_every_s=0.2, gather_s=0.05)
    )
    group = group_chat(api)
    people = [Person(api, f"P{n:02d}") for n in range(BURST)]
    rng = random.Random(7)
    scores = {person.first_name: rng.randint(20, 95) for person in people}
    game = scored(scores)
    settings = bot_settings(api, monkeypatch)

    def everyone_shown() -> bool:
        shown = "\n".join(digest_texts(api, group["id"]).values())
        carded = {card_name(c) for c in cards(api, group["id"])}
        return all(
            f"{name}: {score}/100" in shown or name in carded for name, score in scores.items()
        )

    async with running_bot(game, settings, api):
        for person in people:
            person.send_photo(group, SELFIE)
        await api.wait_for(lambda: len(game.sent_tags) == BURST, what="every result reported")
        await api.wait_for(everyone_shown, what="every score on a card or the digest")

    posted = api.sent(chat_id=group["id"])
    edits = [c for c in api.calls("editMessageText") if c.error is None]
    digests = [text.splitlines()[1:] for _, text in sorted(digest_texts(api, group["id"]).items())]
    lines = [line for digest in digests for line in digest]
    listed = {name: int(score.split("/")[0]) for name, score in map(split_line, lines)}
    carded = {card_name(c): card_score(c) for c in cards(api, group["id"])}
    assert len(listed) == len(lines) and set(listed) | set(carded) == set(scores)
    assert all(listed[name] == scores[name] for name in listed)
    assert len(carded) < BURST // 4, "cards only for the first results and new bests"
    assert len(posted) + len(edits) < BURST // 2, "a fraction of one message per photo"
    assert [len(digest) for digest in digests[:-1]] == [busy.PACE.digest_lines] * (len(digests) - 1)
    # A card in the busy period (its sender is listed too) beats everything listed before it.
    for digest in digests:
        names = [split_line(line)[0] for line in digest]
        for position, name in enumerate(names):
            if name in carded and position > 0:
                assert carded[name] > max(listed[n] for n in names[:position]), name
    # Each update was reported to the game once, with the message that shows its score.
    assert len({tag for _, tag, _ in game.sent_tags}) == BURST
    assert all(message_id for _, _, message_id in game.sent_tags)


def split_line(line: str) -> tuple[str, str]:
    name, score = line.removeprefix("• ").rsplit(": ", 1)
    return name, score


def card_name(call: ApiCall) -> str:
    return call.result["caption"].split(": ")[0]


def card_score(call: ApiCall) -> int:
    return int(call.result["caption"].split(": ")[1].split("/")[0])
