"""Seasons, streaks and badges through the whole game: real Analyzer, models and SQLite, a fake
adapter and a controllable clock (helpers: tests/bot/core/support.py)."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageOps

from bot.core.events import ChatRef
from bot.core.game import Game
from bot.core.markup import to_plain
from tests.bot.core.support import (
    ASTRONAUT,
    TOP_SELFIE,
    analyzer,
    bot,
    game_settings,
    mirrored_astronaut,
    score_of,
    selfie,
    selfies,
    three_astronauts,
)
from tests.conftest import needs_shared
from tests.fakes.adapter import PLATFORM, FakeAdapter, FakeClock

pytestmark = needs_shared
__all__ = ["analyzer", "bot"]


# --- seasons and streaks ----------------------------------------------------------------------


async def test_season_rollover_posts_final_board_and_winner_once_and_starts_a_new_season(
    bot: FakeAdapter,
) -> None:
    await score_of(bot, "ann", selfie(TOP_SELFIE))
    await score_of(bot, "bob", ASTRONAUT)
    assert await bot.announcements() == []
    bot.clock.advance(days=7)
    announcements = await bot.announcements()
    assert len(announcements) == 1
    results = announcements[0]
    assert results.platform == PLATFORM and results.chat_id == bot.chat.chat_id
    text = to_plain(results.reply.text)
    assert "Season 1 is over!" in text
    assert "Champion: Ann with 96" in text
    assert "New badge for Ann: 🏆 Season champion · finish a season at #1" in text
    assert "2. Bob" in text
    assert "Season 2 starts now" in text
    assert results.reply.image is not None
    assert await bot.announcements() == []  # exactly once
    await bot.command("ann", "/me")
    assert "🏆 Season champion" in bot.pop().text
    await bot.command("bob", "/top")
    board = bot.pop().text
    assert "season 2" in board and "No scores yet" in board


async def test_announcements_go_to_their_own_platform_only(bot: FakeAdapter) -> None:
    elsewhere = ChatRef("discord", "guild-channel", "Server")
    await score_of(bot, "ann", ASTRONAUT)
    await bot.photo("ann", ASTRONAUT, chat=elsewhere)
    bot.pop()
    bot.clock.advance(days=7)
    (mine,) = await bot.announcements()
    assert mine.chat_id == bot.chat.chat_id
    (theirs,) = await bot.game.due_announcements("discord")
    assert theirs.platform == "discord" and theirs.chat_id == "guild-channel"
    assert await bot.game.due_announcements("discord") == []


async def test_admin_season_length_and_reset(bot: FakeAdapter) -> None:
    await score_of(bot, "ann", ASTRONAUT)
    await bot.command("boss", "/seasonlength 3")
    assert "3 days" in bot.pop().text
    await bot.command("boss", "/resetseason")
    assert "Season 1 was ended by an admin" in bot.pop().text
    (results,) = await bot.announcements()
    assert "Champion: Ann" in to_plain(results.reply.text)
    await bot.command("ann", "/settings")
    settings = to_plain(bot.pop().text)
    assert "Season length: 3 days (season 2 ends Thu, Mar 5 09:00 UTC)" in settings


async def test_streak_badges_after_three_and_seven_days(bot: FakeAdapter) -> None:
    await bot.command("boss", "/seasonlength 30")
    bot.pop()
    photos = selfies(7)
    earned = []
    for day, data in enumerate(photos, start=1):
        earned.append((await score_of(bot, "ann", data))["badges"])
        if day < 7:
            bot.clock.advance(days=1)
    assert "streak_3" in earned[2] and "streak_3" not in earned[1]
    assert "streak_7" in earned[6] and not any("streak_7" in e for e in earned[:6])
    await bot.command("ann", "/me")
    assert "Streak: 7 days (longest 7)" in bot.pop().text


async def test_streak_reminder_names_who_posted_yesterday_but_not_today(
    analyzer, tmp_path: Path
) -> None:
    clock = FakeClock()
    game = await Game.open(
        game_settings(tmp_path).model_copy(update={"streak_reminders": True}),
        analyzer,
        clock=clock,
    )
    bot = FakeAdapter(game, clock=clock)
    try:
        photos = selfies(3)
        await score_of(bot, "ann", photos[0])
        await score_of(bot, "bob", photos[1])
        clock.advance(days=1)
        await score_of(bot, "ann", photos[2])  # ann: 2-day streak, safe today
        clock.advance(days=1, hours=-9)  # yesterday for bob was day 1... move to day 3 18:00
        clock.now = clock.now.replace(hour=17)
        assert await bot.announcements() == []  # before the reminder hour
        clock.now = clock.now.replace(hour=19)
        (reminder,) = await bot.announcements()
        assert "Ann: your streak ends at midnight UTC" in to_plain(reminder.reply.text)
        assert await bot.announcements() == []
    finally:
        await game.close()


async def test_most_improved_of_the_week_is_announced_and_badged(bot: FakeAdapter) -> None:
    await bot.command("boss", "/seasonlength 30")
    bot.pop()
    await score_of(bot, "ann", selfie("03d27058678811e394b70a1cf42a31d4_6.jpg"))  # 6
    await score_of(bot, "bob", mirrored_astronaut())  # 37
    bot.clock.advance(days=7)
    await score_of(bot, "ann", selfie(TOP_SELFIE))  # 96: +90
    await score_of(bot, "bob", selfie("0ce4ee9abe1911e386f10002c955f0ae_6.jpg"))  # 48: +11
    bot.clock.advance(days=7)
    announcements = await bot.announcements()
    texts = [to_plain(a.reply.text) for a in announcements]
    assert "🚀 Most improved this week: Ann, best up 90 points (from 6 to 96)." in texts
    assert await bot.announcements() == []
    await bot.command("ann", "/me")
    assert "🚀 Most improved" in bot.pop().text


# --- badges through the whole flow --------------------------------------------------------------


async def test_score_and_group_badges(bot: FakeAdapter) -> None:
    group = await score_of(bot, "ann", three_astronauts())
    assert group["score"] >= 80
    assert {"first_selfie", "score_80", "squad"} <= set(group["badges"])
    top = await score_of(bot, "ann", selfie(TOP_SELFIE))
    assert {"score_90", "level_up"} <= set(top["badges"])
    assert "first_selfie" not in top["badges"]  # a badge is earned once


async def test_poker_face_badge(bot: FakeAdapter) -> None:
    straight = Image.open(io.BytesIO(selfie("05db7b34b9aa11e1a9f71231382044a1_6.jpg")))
    buffer = io.BytesIO()
    ImageOps.mirror(straight.convert("RGB")).save(buffer, "PNG")  # read as neutral 0.92
    assert "poker_face" in (await score_of(bot, "ann", buffer.getvalue()))["badges"]


async def test_regular_badge_on_the_tenth_photo(bot: FakeAdapter) -> None:
    photos = selfies(10)
    for i, data in enumerate(photos, start=1):
        badges = (await score_of(bot, "ann", data))["badges"]
        assert ("regular" in badges) == (i == 10)
        bot.clock.advance(minutes=2)


async def test_chat_leader_badge_needs_three_players(bot: FakeAdapter) -> None:
    low = selfies(2)
    first = await score_of(bot, "ann", selfie(TOP_SELFIE))
    assert "chat_leader" not in first["badges"]  # alone at the top
    await score_of(bot, "bob", low[0])
    await score_of(bot, "cat", low[1])
    second = await score_of(bot, "ann", three_astronauts())
    assert "chat_leader" in second["badges"]


async def test_badges_command_lists_every_badge(bot: FakeAdapter) -> None:
    from bot.core.badges import BADGES

    await bot.command("ann", "/badges")
    text = bot.pop().text
    for badge in BADGES:
        assert badge.icon in text
