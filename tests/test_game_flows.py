"""The game core end to end through a fake adapter: real Analyzer, real models, real SQLite.

Each test pushes events as named people and pops what the core answers, with a controllable
clock for seasons, streaks and duels.
"""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image, ImageOps

from bot.core.commands import ButtonAction
from bot.core.events import ChatRef
from bot.core.game import Game
from bot.core.markup import to_plain
from bot.settings import Settings
from tests.conftest import SEED_MODEL, SELFIES_DEV, needs_shared
from tests.fake_adapter import PLATFORM, FakeAdapter, FakeClock
from tests.storage_support import reaction_counts

pytestmark = needs_shared

DATA = Path(__file__).parent / "data"
ASTRONAUT = (DATA / "astronaut.jpg").read_bytes()  # one face, happy 1.0, scores 28
ROCKET = (DATA / "rocket.jpg").read_bytes()  # no face
TOP_SELFIE = "04ed1c2ebffb11e38f8c0002c9dced72_6.jpg"  # scores 96


def jpeg(image: Image.Image, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def astronaut() -> Image.Image:
    return Image.open(io.BytesIO(ASTRONAUT)).convert("RGB")


def mirrored_astronaut() -> bytes:
    """A different photo to the duplicate check (32 bits apart) that still has one face."""
    return jpeg(ImageOps.mirror(astronaut()))


def three_astronauts() -> bytes:
    """Three faces side by side: a group photo (it scores 81)."""
    single = astronaut()
    row = Image.new("RGB", (single.width * 3, single.height))
    for i in range(3):
        row.paste(single, (i * single.width, 0))
    return jpeg(row)


def selfies(count: int) -> list[bytes]:
    """`count` distinct real selfies from ../shared (each with a detectable face)."""
    paths = sorted(SELFIES_DEV.glob("*.jpg")) if SELFIES_DEV.exists() else []
    usable = [p for p in paths if not p.name.startswith(("10004079_863", "10004084_743"))]
    if len(usable) < count:
        pytest.skip("../shared/selfies/dev is absent")
    return [p.read_bytes() for p in usable[:count]]


def selfie(name: str) -> bytes:
    path = SELFIES_DEV / name
    if not path.exists():
        pytest.skip("../shared/selfies/dev is absent")
    return path.read_bytes()


@pytest.fixture(scope="session")
def analyzer(tmp_path_factory: pytest.TempPathFactory):
    """One analyzer for the whole session: loading the models is the slow part."""
    from inference import Analyzer

    settings = Settings(
        popularity_model=SEED_MODEL, cache_dir=tmp_path_factory.mktemp("model-cache")
    )
    with Analyzer.from_config(settings.analyzer_config()) as loaded:
        yield loaded


def game_settings(tmp_path: Path, **changes: object) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        cache_dir=tmp_path / "cache",
        popularity_model=SEED_MODEL,
        leaderboard_size=3,
        streak_reminders=False,
        **changes,
    )


@pytest.fixture
async def bot(analyzer, tmp_path: Path) -> AsyncIterator[FakeAdapter]:
    clock = FakeClock()
    game = await Game.open(game_settings(tmp_path), analyzer, clock=clock)
    adapter = FakeAdapter(game, clock=clock, admins={"boss"})
    yield adapter
    await game.close()


async def score_of(bot: FakeAdapter, name: str, data: bytes) -> dict:
    """Send a photo that must be scored; returns the structured data of the result."""
    sent = await bot.photo(name, data)
    for _ in sent:
        bot.pop()
    result = sent[0].reply
    assert result.data is not None and "score" in result.data, result.text
    return dict(result.data)


# --- the photo flow ---------------------------------------------------------------------------


async def test_scored_photo_reply_has_score_expression_rank_card_buttons_and_badge(
    bot: FakeAdapter, analyzer
) -> None:
    await bot.photo("ann", ASTRONAUT)
    result = bot.pop()
    expected = analyzer.analyze(ASTRONAUT).score
    text = to_plain(result.text)
    assert f"Ann: {expected}/100 · Keep trying" in text
    assert "Expression: 😄 happy (100%)" in text
    assert "Rank in this chat this season: #1 of 1 (new on the board)" in text
    assert "New badge: 📸 First selfie" in text
    assert "Best smile" in text  # happy 1.0 >= 0.9
    data = result.reply.data
    assert data["score"] == expected and data["rank"] == 1 and data["previous_rank"] is None
    assert data["badges"] == ["first_selfie", "best_smile"]
    assert data["analysis"]["score"] == expected
    card = result.reply.image
    assert card is not None and card.data.startswith(b"\x89PNG")
    assert Image.open(io.BytesIO(card.data)).size[0] > 500
    assert [b.action for b in result.reply.buttons] == [
        ButtonAction.TIPS,
        ButtonAction.TOP,
        ButtonAction.ME,
    ]
    assert result.reply.tag and result.reply.tag.startswith("submission:")


async def test_rank_movement_is_reported(bot: FakeAdapter) -> None:
    low, high = selfie("03d27058678811e394b70a1cf42a31d4_6.jpg"), selfie(TOP_SELFIE)
    await score_of(bot, "ann", mirrored_astronaut())  # 37
    bob = await score_of(bot, "bob", low)  # 6: second
    assert bob["rank"] == 2 and bob["previous_rank"] is None
    (sent,) = await bot.photo("bob", high)  # 96: overtakes ann
    assert sent.reply.data["rank"] == 1 and sent.reply.data["previous_rank"] == 2
    assert "▲ up from #2" in sent.text and "New personal best! (was 6)" in sent.text


async def test_no_face_is_explained_and_not_counted(bot: FakeAdapter) -> None:
    await bot.photo("ann", ROCKET)
    assert "couldn't find a face" in bot.pop().text
    await bot.command("ann", "/me")
    assert "No scored photos yet" in bot.pop().text


@pytest.mark.parametrize(
    "data", [b"", b"definitely not a picture", ASTRONAUT[: len(ASTRONAUT) // 3]]
)
async def test_unreadable_file_gets_the_analyzer_message_and_nothing_counts(
    bot: FakeAdapter, data: bytes
) -> None:
    await bot.photo("ann", data)
    assert bot.pop().text.startswith("That file isn't a photo I can read")
    await bot.command("ann", "/top all")
    assert "No scores yet" in bot.pop().text


async def test_model_missing_message_reaches_the_user(tmp_path: Path) -> None:
    from models.registry import ModelMissingError

    class NoModel:
        async def analyze_photo_async(self, data: bytes):
            raise ModelMissingError()

    game = await Game.open(game_settings(tmp_path), NoModel())  # type: ignore[arg-type]
    try:
        bot = FakeAdapter(game)
        await bot.photo("ann", ASTRONAUT)
        assert bot.pop().text == str(ModelMissingError())
    finally:
        await game.close()


async def test_an_internal_failure_is_a_polite_message_and_nothing_counts(
    tmp_path: Path,
) -> None:
    class Broken:
        async def analyze_photo_async(self, data: bytes):
            raise RuntimeError("onnx exploded")

    game = await Game.open(game_settings(tmp_path), Broken())  # type: ignore[arg-type]
    try:
        bot = FakeAdapter(game)
        await bot.photo("ann", ASTRONAUT)
        assert "Something went wrong on my side; nothing was counted" in bot.pop().text
        await bot.command("ann", "/me")
        assert "No scored photos yet" in bot.pop().text
    finally:
        await game.close()


# --- duplicates and rate limit ----------------------------------------------------------------


async def test_near_duplicate_in_this_season_is_refused_naming_the_earlier_entry(
    bot: FakeAdapter,
) -> None:
    first = await score_of(bot, "ann", ASTRONAUT)
    recompressed = jpeg(astronaut().resize((300, 300)), quality=40)
    await bot.photo("bob", recompressed)
    refusal = bot.pop().text
    assert "looks like one already scored" in refusal
    assert f"Ann's photo from Mon, Mar 2 09:00 UTC (score {first['score']})" in refusal
    await bot.photo("ann", recompressed)
    own = bot.pop().text
    assert "You already scored this photo in this chat this season" in own
    assert f"(Mon, Mar 2 09:00 UTC, score {first['score']})" in own
    await bot.command("bob", "/me")
    assert "No scored photos yet" in bot.pop().text
    # A new season forgets old photos: the same picture may play again.
    bot.clock.advance(days=7, minutes=1)
    await bot.announcements()
    again = await score_of(bot, "bob", recompressed)
    assert again["rank"] == 1


async def test_rate_limit_per_user_and_chat_says_when_to_retry(bot: FakeAdapter) -> None:
    await bot.command("boss", "/ratelimit 2 10")
    assert "2 photos per 10 minutes" in bot.pop().text
    await score_of(bot, "ann", ASTRONAUT)
    bot.clock.advance(minutes=1)
    await score_of(bot, "ann", mirrored_astronaut())
    bot.clock.advance(minutes=1)
    await bot.photo("ann", three_astronauts())
    refusal = bot.pop().text
    assert "2 photos every 10 minutes" in refusal
    assert "Try again in 8 min (at 09:10 UTC)" in refusal
    # Other people and other chats are not affected.
    await score_of(bot, "bob", three_astronauts())
    bot.clock.advance(minutes=8)
    await score_of(bot, "ann", jpeg(astronaut().crop((60, 0, 400, 340))))


# --- idempotency ------------------------------------------------------------------------------


async def test_redelivered_update_that_was_answered_gets_no_second_reply(
    bot: FakeAdapter,
) -> None:
    await bot.photo("ann", ASTRONAUT, update_id="42")
    bot.pop()
    assert await bot.photo("ann", ASTRONAUT, update_id="42") == []
    await bot.command("ann", "/top", update_id="43")
    bot.pop()
    assert await bot.command("ann", "/top", update_id="43") == []


async def test_update_recorded_but_never_answered_is_answered_again_the_same_way(
    bot: FakeAdapter,
) -> None:
    first = await bot.photo("ann", ASTRONAUT, update_id="7", deliver=False)
    # A copy arriving while the first handler may still be sending is dropped; once its lease
    # is over (the adapter crashed before sending), the update is handled again.
    assert await bot.photo("ann", ASTRONAUT, update_id="7") == []
    bot.clock.advance(seconds=bot.game.settings.update_lease_seconds)
    again = await bot.photo("ann", ASTRONAUT, update_id="7")
    assert [s.text for s in again] == [s.text for s in first]
    assert again[0].reply.data["submission_id"] == first[0].reply.data["submission_id"]
    assert "First selfie" in again[0].text
    await bot.command("ann", "/me")
    assert "· 1 photo\n" in bot.outbox[-1].text
    assert await bot.photo("ann", ASTRONAUT, update_id="7") == []


async def test_redelivered_refusals_are_answered_from_the_stored_outcome(
    bot: FakeAdapter,
) -> None:
    lease = bot.game.settings.update_lease_seconds
    first = await bot.photo("ann", ROCKET, update_id="r1", deliver=False)
    bot.clock.advance(seconds=lease)
    assert [s.text for s in await bot.photo("ann", ROCKET, update_id="r1")] == [
        s.text for s in first
    ]
    await score_of(bot, "ann", ASTRONAUT)
    dup = await bot.photo("bob", ASTRONAUT, update_id="d1", deliver=False)
    bot.clock.advance(seconds=lease)
    assert [s.text for s in await bot.photo("bob", ASTRONAUT, update_id="d1")] == [
        s.text for s in dup
    ]


# --- boards and /me ---------------------------------------------------------------------------


async def test_leaderboards_week_season_all_with_the_askers_own_line(bot: FakeAdapter) -> None:
    photos = selfies(5)
    scores = {}
    for name, data in zip(("ann", "bob", "cat", "dan", "eve"), photos, strict=True):
        scores[name] = (await score_of(bot, name, data))["score"]
    ranked = sorted(scores, key=lambda n: -scores[n])
    last = ranked[-1]
    await bot.command(last, "/top week")
    board = bot.pop()
    lines = to_plain(board.text).splitlines()
    assert lines[0] == "🏆 Leaderboard · this week"
    assert lines[1] == f"🥇 1. {ranked[0].capitalize()} · {scores[ranked[0]]}"
    assert f"You: #5 {last.capitalize()} · {scores[last]}" in lines  # outside the top 3
    assert "5 players" in board.text
    image = board.reply.image
    assert image is not None and image.data.startswith(b"\x89PNG")
    assert board.reply.data["viewer_rank"] == 5
    assert [(b.action, b.payload) for b in board.reply.buttons] == [
        (ButtonAction.TOP, "season"),
        (ButtonAction.TOP, "all"),
    ]
    await bot.press(last, board.button(ButtonAction.TOP))
    assert "Leaderboard · season 1" in bot.pop().text
    for period, title in (("season", "season 1"), ("all", "all time")):
        await bot.command(last, f"/top {period}")
        assert title in bot.pop().text
    await bot.command(last, "/top yesterday")
    assert "Usage: /top" in bot.pop().text


async def test_best_score_per_user_counts_and_week_board_resets(bot: FakeAdapter) -> None:
    await score_of(bot, "ann", selfie(TOP_SELFIE))
    await score_of(bot, "ann", mirrored_astronaut())
    await bot.command("ann", "/top all")
    board = to_plain(bot.pop().text)
    assert "1. Ann · 96" in board and "2." not in board
    bot.clock.advance(days=7)
    await bot.command("ann", "/top week")
    assert "No scores yet" in bot.pop().text


async def test_me_shows_best_average_count_rank_streak_and_badges(bot: FakeAdapter) -> None:
    a = await score_of(bot, "ann", ASTRONAUT)
    b = await score_of(bot, "ann", mirrored_astronaut())
    await bot.command("ann", "/me")
    text = to_plain(bot.pop().text)
    assert (
        f"Best {max(a['score'], b['score'])} · average {(a['score'] + b['score']) / 2:.1f}" in text
    )
    assert "2 photos" in text
    assert "Season rank: #1 of 1" in text
    assert "Streak: 1 day (longest 1)" in text
    assert "📸 First selfie" in text and "😁 Best smile" in text


async def test_buttons_under_a_result_open_the_board_and_me(bot: FakeAdapter) -> None:
    await bot.photo("ann", ASTRONAUT)
    result = bot.pop()
    await bot.press("bob", result.button(ButtonAction.TOP))
    assert "Leaderboard · season 1" in bot.pop().text
    await bot.press("ann", result.button(ButtonAction.ME))
    assert "Ann** in this chat" in bot.pop().text


async def test_reactions_on_a_result_are_recorded(bot: FakeAdapter) -> None:
    await bot.photo("ann", ASTRONAUT)
    result = bot.pop()
    await bot.react("bob", result.message_id, "🔥")
    await bot.react("cat", result.message_id, "🔥")
    await bot.react("cat", result.message_id, "😂")
    await bot.react("cat", result.message_id, "😂", added=False)
    submission_id = result.reply.data["submission_id"]
    assert await reaction_counts(bot.game.store, submission_id) == {"🔥": 2}


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


# --- privacy ----------------------------------------------------------------------------------


async def test_privacy_says_photos_are_never_stored(bot: FakeAdapter) -> None:
    await bot.command("ann", "/privacy")
    text = bot.pop().text
    assert "Never stored: your photos" in text and "for 1 day I keep only" in text


async def test_forgetme_asks_first_then_deletes_everything_everywhere(bot: FakeAdapter) -> None:
    other_chat = ChatRef(PLATFORM, "chat-2", "Other chat")
    await score_of(bot, "ann", ASTRONAUT)
    await bot.photo("ann", mirrored_astronaut(), chat=other_chat)
    bot.pop()
    await score_of(bot, "bob", three_astronauts())
    await bot.command("ann", "/forgetme")
    ask = bot.pop()
    assert ask.reply.private and "Are you sure?" in ask.text
    await bot.press("bob", ask.button(ButtonAction.FORGET_CONFIRM))
    assert "Only the person who asked" in bot.pop().text
    await bot.press("ann", ask.button(ButtonAction.FORGET_CANCEL))
    assert "Nothing was deleted" in bot.pop().text
    await bot.press("ann", ask.button(ButtonAction.FORGET_CONFIRM))
    done = bot.pop()
    assert done.reply.private and "deleted everywhere" in done.text
    assert done.reply.data["removed"]
    for chat in (bot.chat, other_chat):
        await bot.command("bob", "/top all", chat=chat)
        assert "Ann" not in bot.pop().text
    await bot.command("ann", "/me")
    assert "No scored photos yet" in bot.pop().text
    await bot.command("ann", "/tips")
    assert "don't have a recent photo" in bot.pop().text


async def test_export_is_a_private_json_file(bot: FakeAdapter) -> None:
    await score_of(bot, "ann", ASTRONAUT)
    await bot.command("ann", "/export")
    sent = bot.pop()
    assert sent.reply.private
    (attachment,) = sent.reply.attachments
    assert attachment.mime_type == "application/json"
    data = json.loads(attachment.data)
    assert "ASTRONAUT" not in attachment.data.decode()
    assert json.dumps(data)  # plain JSON all the way down
    assert "submissions" in json.dumps(data)


# --- admin, help, settings ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        "/resetseason",
        "/seasonlength 3",
        "/ratelimit 1 1",
        "/language en",
        "/duels off",
        "/autoscore off",
    ],
)
async def test_admin_commands_refuse_non_admins(bot: FakeAdapter, command: str) -> None:
    await bot.command("ann", command)
    assert "Only chat admins can use" in bot.pop().text


async def test_admin_usage_errors_and_language(bot: FakeAdapter) -> None:
    for command, expected in (
        ("/seasonlength", "Usage: /seasonlength"),
        ("/seasonlength 0", "Usage: /seasonlength"),
        ("/ratelimit ten 10", "Usage: /ratelimit"),
        ("/language xx", "Available: de (Deutsch), en (English), es (Español)"),
        ("/duels maybe", "Usage: /duels"),
        ("/language en", "Language set to en (English)"),
        ("/autoscore off", "Only photos sent with /rate"),
    ):
        await bot.command("boss", command)
        assert expected in bot.pop().text


async def test_counts_from_settings_read_right_in_the_singular(bot: FakeAdapter) -> None:
    """Admins may set 1 photo per 1 minute and 1-day seasons: no "1 photos" anywhere."""
    await bot.command("boss", "/ratelimit 1 1")
    assert "Rate limit set: 1 photo per 1 minute per person." in bot.pop().text
    await bot.command("boss", "/seasonlength 1")
    assert "Seasons now last 1 day (from" in bot.pop().text
    await bot.command("ann", "/settings")
    settings = to_plain(bot.pop().text)
    assert "Season length: 1 day (" in settings and "Rate limit: 1 photo per 1 minute" in settings
    await score_of(bot, "ann", ASTRONAUT)
    await bot.photo("ann", mirrored_astronaut())
    refusal = bot.pop().text
    assert "you can send 1 photo every 1 minute. Try again in " in refusal
    await bot.command("ann", "/forgetme")
    await bot.press("ann", bot.pop().button(ButtonAction.FORGET_CONFIRM))
    done = bot.pop()
    total = sum(done.reply.data["removed"].values())
    assert total > 1 and f"Done: {total} records about you were deleted everywhere" in done.text


async def test_start_help_unknown_and_rate_without_photo(bot: FakeAdapter) -> None:
    for command in ("/start", "/help"):
        await bot.command("ann", command)
        text = bot.pop().text
        assert "Send a selfie" in text and "/rate" in text and "privacy mode" in text
        assert "/settings" in text and "/badges" in text and "/duel @name" in text
    await bot.command("ann", "/frobnicate")
    assert "I don't know /frobnicate" in bot.pop().text
    await bot.command("ann", "/rate")
    assert "Send /rate with a photo" in bot.pop().text


async def test_auto_score_defaults_per_platform(bot: FakeAdapter) -> None:
    assert await bot.game.auto_score_enabled(ChatRef("discord", "c1")) is False
    assert await bot.game.auto_score_enabled(bot.chat) is True
    await bot.command("boss", "/autoscore off")
    bot.pop()
    assert await bot.game.auto_score_enabled(bot.chat) is False
    discord = ChatRef("discord", "c1", "Server")
    await bot.command("ann", "/help", chat=discord)
    assert "send it with `/score`" in bot.pop().text
    await bot.command("ann", "/help")
    assert "send it with `/rate`" in bot.pop().text


# --- tips ---------------------------------------------------------------------------------------


async def test_tips_need_a_recent_photo(bot: FakeAdapter) -> None:
    await bot.command("ann", "/tips")
    assert "don't have a recent photo" in bot.pop().text
    await bot.photo("ann", ASTRONAUT)
    bot.pop()
    bot.clock.advance(days=1, seconds=1)
    await bot.command("ann", "/tips")
    assert "from the last 1 day only" in bot.pop().text


async def test_tips_button_claims_are_the_scores_of_the_returned_image(
    bot: FakeAdapter, analyzer
) -> None:
    await bot.photo("ann", ASTRONAUT)
    result = bot.pop()
    await bot.press("ann", result.button(ButtonAction.TIPS))
    tips = bot.pop()
    data = tips.reply.data
    assert "Tips for your last photo" in tips.text
    assert data["original_score"] == result.reply.data["score"]
    suggestions, best = data["tips"]["suggestions"], data["tips"]["best"]
    # The astronaut's face fills 3% of the frame: framing it is a believable edit that helps.
    assert best is not None, tips.text
    assert 1 <= len(suggestions) <= 3
    edit = suggestions[0]
    assert edit["kind"] == "edit" and edit["gain"] == best["score"] - data["original_score"] >= 2
    assert f"{edit['text']}: +{edit['gain']} → {best['score']}" in to_plain(tips.text)
    assert all(s["kind"] == "advice" for s in suggestions[1:])
    image, comparison = tips.reply.attachments
    assert image.filename == best["image"] == "best-edit.png" and comparison.filename == "tips.png"
    assert analyzer.analyze(image.data).score == best["score"]


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
