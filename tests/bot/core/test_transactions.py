"""One photo, one pass: how many store transactions a photo costs (counted on the engine: a
count, not a time), and that nothing analyses the same photo twice.

A photo is read once when its update is claimed and its sender registered (is it a re-delivery,
is the sender over the rate limit?), written once after the analysis (duplicate check, the
submission, standings, badges, streak, taste features, duel entries), and its reply is recorded
once: three transactions, whatever the outcome. Its analysis is stored with the submission, so
`/tips` (which decodes the photo for its edits) and a re-delivered photo's answer reuse it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from bot.core.events import ChatRef, EventFields, PhotoEvent, Sender
from bot.core.flows import photo
from bot.core.game import Game
from bot.core.markup import inline_literals
from tests.bot.core.support import (  # noqa: F401 (the session's analyzer fixture)
    ASTRONAUT,
    analyzer,
    game_settings,
    mirrored_astronaut,
    three_astronauts,
)
from tests.conftest import needs_shared
from tests.fakes.adapter import FakeAdapter, FakeClock
from tests.storage.support import (
    count_submissions,
    counting_transactions,
    get_user_by_platform_id,
)

pytestmark = needs_shared


@pytest.fixture
async def bot(analyzer, tmp_path: Path) -> AsyncIterator[FakeAdapter]:  # noqa: F811
    clock = FakeClock()
    game = await Game.open(game_settings(tmp_path, rate_limit_photos=2), analyzer, clock=clock)
    yield FakeAdapter(game, clock=clock)
    await game.close()


async def photo_transactions(bot: FakeAdapter, name: str, data: bytes) -> tuple[list[str], str]:
    with counting_transactions(bot.game.store.engine) as begun:
        sent = await bot.photo(name, data)
    return begun, sent[0].text


async def test_a_scored_photo_costs_three_transactions(bot: FakeAdapter) -> None:
    # The chat's first photo: the season opens, the sender is new and earns badges.
    begun, text = await photo_transactions(bot, "alice", ASTRONAUT)
    assert "28/100" in text
    assert len(begun) == 3, begun
    assert begun == ["write", "write", "write"]

    begun, text = await photo_transactions(bot, "alice", mirrored_astronaut())
    assert "/100" in text
    assert len(begun) == 3, begun


async def test_refused_photos_cost_no_more(bot: FakeAdapter) -> None:
    await bot.photo("alice", ASTRONAUT)
    begun, text = await photo_transactions(bot, "bob", ASTRONAUT)
    assert "already scored" in text
    assert len(begun) == 3, begun

    await bot.photo("bob", mirrored_astronaut())
    await bot.photo("bob", three_astronauts())
    begun, text = await photo_transactions(bot, "bob", ASTRONAUT)
    assert "2 photos" in text and "/100" not in text, text
    assert len(begun) == 2, "over the rate limit: no analysis, nothing counted"


async def test_a_redelivered_photo_is_answered_without_counting_it_again(
    bot: FakeAdapter,
) -> None:
    first = await bot.photo("alice", ASTRONAUT, update_id="same", deliver=False)
    bot.clock.advance(seconds=bot.game.settings.update_lease_seconds)  # its handler died
    with counting_transactions(bot.game.store.engine) as begun:
        again = await bot.photo("alice", ASTRONAUT, update_id="same")
    assert again[0].text == first[0].text
    assert len(begun) <= 3, begun


@contextmanager
def counting_analyses(monkeypatch: pytest.MonkeyPatch, analyzer) -> Iterator[list[int]]:  # noqa: F811
    """Count whole-photo analyses (what scoring a photo runs), not the tips engine's re-scoring
    of its edited variants."""
    calls: list[int] = []
    for name in ("analyze_async", "analyze_photo_async"):
        original = getattr(analyzer, name)

        async def counted(data: bytes, original=original):  # type: ignore[no-untyped-def]
            calls.append(len(data))
            return await original(data)

        monkeypatch.setattr(analyzer, name, counted)
    yield calls
    monkeypatch.undo()


async def test_tips_and_a_redelivery_reuse_the_stored_analysis(
    bot: FakeAdapter,
    analyzer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scored = await bot.photo("alice", ASTRONAUT, update_id="p1", deliver=False)
    with counting_analyses(monkeypatch, analyzer) as analyses:
        await bot.command("alice", "/tips")
        tips = bot.outbox[-1]
        bot.clock.advance(seconds=bot.game.settings.update_lease_seconds)
        again = await bot.photo("alice", ASTRONAUT, update_id="p1")
    assert "Tips for your last photo" in tips.text
    assert tips.reply.data is not None
    assert tips.reply.data["original_score"] == scored[0].reply.data["score"]
    assert again[0].text == scored[0].text
    assert again[0].reply.data == scored[0].reply.data, "the stored analysis is the same one"
    assert analyses == [], "nothing analysed the original photo again"


async def claimed_photo(game: Game, sender: Sender, update_id: str, chat: ChatRef) -> bool:
    """What Telegram and Discord do before downloading: claim the update with the event's
    chat and sender, which registers them and reads the photo's arrival in the same step."""
    fields: EventFields = {"chat": chat, "sender": sender, "update_id": update_id}
    return await game.claim_update(chat.platform, update_id, arriving=fields, is_photo=True)


def photo_event(chat: ChatRef, sender: Sender, update_id: str) -> PhotoEvent:
    return PhotoEvent(chat=chat, sender=sender, update_id=update_id, photo=ASTRONAUT)


async def test_an_adapter_that_claims_and_fences_costs_no_more(bot: FakeAdapter) -> None:
    """Telegram and Discord claim an update before downloading it (`Game.claim_update`, which
    registers and reads the arrival too) and fence every send (`Game.reply_starting`, recorded
    by the count's transaction): still three, and finishing adds none."""
    game, chat = bot.game, bot.chat
    sender = bot.person("alice")
    with counting_transactions(game.store.engine) as begun:
        assert await claimed_photo(game, sender, "tg-1", chat)
        replies = await game.handle(photo_event(chat, sender, "tg-1"))
        for number, reply in enumerate(replies):
            assert await game.reply_starting(chat.platform, "tg-1")
            assert reply.tag is not None
            await game.reply_sent(chat, reply.tag, f"bot-{number}")
        await game.finish_update(chat.platform, "tg-1")
    assert "28/100" in replies[0].text
    assert begun == ["write", "write", "write"]

    # Over the rate limit (two photos): nothing is counted, the fence is a step of its own.
    await bot.photo("alice", mirrored_astronaut())
    with counting_transactions(game.store.engine) as begun:
        assert await claimed_photo(game, sender, "tg-2", chat)
        (refused,) = await game.handle(photo_event(chat, sender, "tg-2"))
        assert await game.reply_starting(chat.platform, "tg-2")
        assert refused.tag is not None
        await game.reply_sent(chat, refused.tag, "bot-refused")
        await game.finish_update(chat.platform, "tg-2")
    assert "2 photos" in inline_literals(refused.text)
    assert len(begun) == 3, begun


@pytest.fixture
async def second_process(bot: FakeAdapter, analyzer) -> AsyncIterator[Game]:  # noqa: F811
    """Another process on the same database (and clock)."""
    other = await Game.open(bot.game.settings, analyzer, clock=bot.clock)
    yield other
    await other.close()


async def test_a_slow_owner_whose_claim_was_retaken_counts_and_sends_nothing(
    bot: FakeAdapter, second_process: Game
) -> None:
    """The owner's lease runs out while it analyses; another process retakes the update and
    answers it. The owner's count is refused by the fence in its transaction: rolled back,
    nothing sent, nothing marked, so the photo is counted and answered once."""
    slow, other, chat = bot.game, second_process, bot.chat
    sender = bot.person("alice")
    assert await claimed_photo(slow, sender, "u1", chat)
    bot.clock.advance(seconds=slow.settings.update_lease_seconds + 1)
    assert await claimed_photo(other, sender, "u1", chat), "retaken after the lease"
    (answer,) = await other.handle(photo_event(chat, sender, "u1"))
    assert await other.reply_starting(chat.platform, "u1")

    assert await slow.handle(photo_event(chat, sender, "u1")) == []
    assert not await slow.reply_starting(chat.platform, "u1")
    await slow.finish_update(chat.platform, "u1")

    assert answer.tag is not None
    await other.reply_sent(chat, answer.tag, "bot-1")
    assert "28/100" in answer.text
    record = await slow.store.chats.by_platform_id(chat.platform, chat.chat_id)
    user = await get_user_by_platform_id(slow.store, sender.platform, sender.user_id)
    assert record is not None and user is not None
    assert await count_submissions(slow.store, record.id, user.id) == 1


async def test_an_owner_past_its_lease_that_counted_first_keeps_the_update(
    bot: FakeAdapter, second_process: Game
) -> None:
    """Once the count's transaction recorded the reply going out, nobody retakes the update,
    however late the send: a copy arriving then is dropped, so it is answered once."""
    slow, other, chat = bot.game, second_process, bot.chat
    sender = bot.person("alice")
    assert await claimed_photo(slow, sender, "u2", chat)
    bot.clock.advance(seconds=slow.settings.update_lease_seconds + 1)
    (answer,) = await slow.handle(photo_event(chat, sender, "u2"))
    assert not await claimed_photo(other, sender, "u2", chat), "a reply is going out"
    assert await slow.reply_starting(chat.platform, "u2")
    assert "28/100" in answer.text


async def test_a_count_retried_after_a_transient_error_still_records_the_reply_going_out(
    bot: FakeAdapter, second_process: Game, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The count's transaction runs again from scratch on lock contention or a serialization
    failure, and the first attempt's record of the reply going out was rolled back with it:
    the attempt that commits must record it again, or a copy arriving after the lease retakes
    the update while the owner sends, and it is answered twice."""
    remember = photo._remember_photo
    failures = [OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))]

    async def contended_once(*args: Any, **kwargs: Any) -> None:
        if failures:
            raise failures.pop()
        await remember(*args, **kwargs)

    monkeypatch.setattr(photo, "_remember_photo", contended_once)
    owner, other, chat = bot.game, second_process, bot.chat
    sender = bot.person("alice")
    assert await claimed_photo(owner, sender, "u3", chat)
    (answer,) = await owner.handle(photo_event(chat, sender, "u3"))
    assert failures == [], "the count was retried"
    assert "28/100" in answer.text

    bot.clock.advance(seconds=owner.settings.update_lease_seconds + 1)
    assert not await claimed_photo(other, sender, "u3", chat), "a reply is going out"
