"""Duels through the whole game: challenge, accept, decline, expiry, draws, ratings and the
Duellist badge (helpers: tests/bot/core/support.py)."""

from __future__ import annotations

from bot.core.commands import ButtonAction
from bot.core.markup import to_plain
from tests.bot.core.support import (
    ASTRONAUT,
    TOP_SELFIE,
    analyzer,
    bot,
    score_of,
    selfie,
    selfies,
    three_astronauts,
)
from tests.conftest import needs_shared
from tests.fakes.adapter import FakeAdapter

pytestmark = needs_shared
__all__ = ["analyzer", "bot"]


# --- duels --------------------------------------------------------------------------------------


async def start_duel(bot: FakeAdapter) -> None:
    await bot.command("bob", "/help")  # bob has written here, so @bob is known
    bot.pop()
    await bot.command("ann", "/duel @bob")
    challenge = bot.pop()
    assert "Ann** challenges **Bob** to a duel" in challenge.text
    await bot.press("cat", challenge.button(ButtonAction.DUEL_ACCEPT))
    assert "Only Bob can answer" in bot.pop().text
    await bot.press("bob", challenge.button(ButtonAction.DUEL_ACCEPT))
    assert "Duel on: **Ann** vs **Bob**" in bot.pop().text
    await bot.press("bob", challenge.button(ButtonAction.DUEL_ACCEPT))
    assert "no longer open" in bot.pop().text


async def test_duel_lifecycle_higher_score_wins_and_ratings_move(bot: FakeAdapter) -> None:
    await start_duel(bot)
    await bot.photo("ann", selfie(TOP_SELFIE))
    result = bot.pop()
    assert "counts for your duel with Bob" in result.text and "Waiting for Bob" in result.text
    await bot.photo("bob", ASTRONAUT)
    bob_result, outcome = bot.pop(), bot.pop()
    assert "counts for your duel with Ann" in bob_result.text
    text = to_plain(outcome.text)
    assert "Duel result: Ann 96 vs Bob" in text
    assert "Ann wins! Ratings: Ann 1000 → 1016, Bob 1000 → 984" in text
    assert "New badge for Ann: ⚔️ Duellist · win a duel" in text
    await bot.command("ann", "/me")
    me = bot.pop().text
    assert "Duel rating: 1016 (1 W / 0 L / 0 D)" in me and "⚔️ Duellist" in me
    # Later photos do not count again.
    await bot.photo("bob", selfie("0ce4ee9abe1911e386f10002c955f0ae_6.jpg"))
    assert "duel" not in bot.pop().text


async def test_duel_decline_self_unknown_disabled_and_busy(bot: FakeAdapter) -> None:
    await bot.command("ann", "/duel")
    assert "Usage: /duel" in bot.pop().text
    await bot.command("ann", "/duel @ann")
    assert "can't duel yourself" in bot.pop().text
    await bot.command("ann", "/duel @nobody")
    assert "don't know @nobody" in bot.pop().text
    await bot.command("ann", "/duel", mentions=("bob",))
    challenge = bot.pop()
    await bot.command("ann", "/duel", mentions=("bob",))
    assert "already has an open duel" in bot.pop().text
    await bot.press("bob", challenge.button(ButtonAction.DUEL_DECLINE))
    assert "Bob declined the duel with Ann" in bot.pop().text
    await bot.command("boss", "/duels off")
    assert "Duels are off" in bot.pop().text
    await bot.command("ann", "/duel", mentions=("bob",))
    assert "Duels are turned off" in bot.pop().text


async def test_duel_expires_and_the_only_player_wins_by_forfeit(bot: FakeAdapter) -> None:
    await start_duel(bot)
    await score_of(bot, "bob", ASTRONAUT)
    bot.clock.advance(hours=25)
    texts = [to_plain(a.reply.text) for a in await bot.announcements()]
    assert any("Time's up: Bob wins the duel because Ann sent no photo" in t for t in texts)
    assert any("New badge for Bob: ⚔️ Duellist" in t for t in texts)
    assert await bot.announcements() == []


async def test_unanswered_challenge_expires(bot: FakeAdapter) -> None:
    await bot.command("ann", "/duel", mentions=("bob",))
    challenge = bot.pop()
    bot.clock.advance(hours=25)
    texts = [to_plain(a.reply.text) for a in await bot.announcements()]
    assert any("duel between Ann and Bob expired" in t for t in texts)
    await bot.press("bob", challenge.button(ButtonAction.DUEL_ACCEPT))
    assert "no longer open" in bot.pop().text


async def test_a_second_duel_win_announces_no_badge_again(bot: FakeAdapter) -> None:
    """The Duellist badge is earned once per chat, so only the first win announces it."""
    (low,) = selfies(1)
    await start_duel(bot)
    await score_of(bot, "ann", selfie(TOP_SELFIE))
    await bot.photo("bob", ASTRONAUT)
    bot.pop()
    assert "New badge for Ann" in bot.pop().text
    await bot.command("ann", "/duel @bob")
    await bot.press("bob", bot.pop().button(ButtonAction.DUEL_ACCEPT))
    bot.pop()
    await score_of(bot, "ann", three_astronauts())
    await bot.photo("bob", low)
    bot.pop()
    second = to_plain(bot.pop().text)
    assert "Duel result" in second and "New badge" not in second


async def test_equal_scores_make_a_draw_with_no_winner_badge(bot: FakeAdapter) -> None:
    first = selfie("07e0f2f2ae0d11e3a3831276c6841a0e_6.jpg")  # both score 3
    second = selfie("09c32e5ca83911e3a5ea0a7cffb7c5e1_6.jpg")
    await start_duel(bot)
    assert (await score_of(bot, "ann", first))["score"] == 3
    await bot.photo("bob", second)
    assert bot.pop().reply.data["score"] == 3
    text = to_plain(bot.pop().text)
    assert "Duel result: Ann 3 vs Bob 3" in text
    assert "It's a draw! Ratings: Ann 1000 → 1000, Bob 1000 → 1000" in text
    assert "New badge" not in text
    await bot.command("ann", "/me")
    me = bot.pop().text
    assert "Duel rating: 1000 (0 W / 0 L / 1 D)" in me and "Duellist" not in me
