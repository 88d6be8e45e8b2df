"""The storage API on SQLite and PostgreSQL: every game operation, its edge cases and its
exactly-once guarantees (single process here; racing processes in test_storage_concurrency)."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.rules import DUELS, SEASONS, streaks
from storage import (
    ChatSettings,
    DuelStatus,
    Metric,
    NewSubmission,
    Store,
    SubmissionStatus,
    UpdateState,
    Window,
)
from tests.storage.support import (
    BACKENDS,
    begin_update,
    count_submissions,
    daily_scores,
    database_url,
    duel_ratings,
    get_submission_by_bot_message,
    get_user_by_platform_id,
    last_submission,
    reaction_counts,
    reactions,
    record_kwargs,
    seasons,
)

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday noon
_updates = itertools.count(1)


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path):
    opened = await Store.open(await database_url(request.param, tmp_path))
    yield opened
    await opened.close()


async def setup_chat(store: Store, *names: str, platform: str = "telegram"):
    chat = await store.chats.upsert(platform, "chat-1", title="Selfie club", now=T0)
    users = [
        await store.users.upsert(
            platform, f"id-{name}", name.title(), username=name, chat_id=chat.id
        )
        for name in names
    ]
    return chat, users


async def add(
    store: Store,
    chat_id: int,
    user_id: int,
    score: float,
    at: datetime,
    *,
    status: SubmissionStatus = SubmissionStatus.SCORED,
    phash: int | None = None,
    update_id: str | None = None,
    analysis: dict[str, object] | None = None,
):
    result = await store.submissions.record(
        NewSubmission(
            chat_id=chat_id,
            user_id=user_id,
            platform="telegram",
            update_id=update_id or f"u{next(_updates)}",
            status=status,
            score=score,
            phash=phash,
            created_at=at,
            analysis=analysis,
            **record_kwargs(),
        ),
    )
    return result


# --- users and chats ------------------------------------------------------------------------


async def test_users_are_upserted_and_found_by_handle(store: Store):
    chat, (ann,) = await setup_chat(store, "ann")
    again = await store.users.upsert("telegram", "id-ann", "Ann B", language="de")
    assert again.id == ann.id
    assert (again.display_name, again.username, again.language) == ("Ann B", "ann", "de")
    assert again.created_at.tzinfo is not None

    assert (await store.users.find_by_username("telegram", "@ANN")).id == ann.id
    assert (await store.users.find_by_username("telegram", "ann", chat_id=chat.id)).id == ann.id
    assert await store.users.find_by_username("discord", "ann") is None
    other_chat = await store.chats.upsert("telegram", "chat-2")
    assert await store.users.find_by_username("telegram", "ann", chat_id=other_chat.id) is None
    assert await store.users.find_by_username("telegram", "@") is None

    by_ids = await store.users.by_ids([ann.id, 999])
    assert list(by_ids) == [ann.id]
    assert (await get_user_by_platform_id(store, "telegram", "id-ann")).id == ann.id


async def test_chat_defaults_apply_once_and_settings_change_one_at_a_time(store: Store):
    chat = await store.chats.upsert(
        "discord", "c9", title="Old", defaults=ChatSettings(season_days=14, auto_score=False)
    )
    assert chat.settings.season_days == 14 and chat.settings.auto_score is False
    renamed = await store.chats.upsert(
        "discord", "c9", title="New", defaults=ChatSettings(season_days=3)
    )
    assert renamed.id == chat.id and renamed.title == "New"
    assert renamed.settings.season_days == 14

    changed = await store.chats.update_settings(chat.id, rate_limit_photos=3, duels_enabled=False)
    assert changed.settings.rate_limit_photos == 3
    assert changed.settings.duels_enabled is False
    assert changed.settings.season_days == 14
    assert (await store.chats.by_platform_id("discord", "c9")).settings == changed.settings

    with pytest.raises(ValueError, match="season length"):
        await store.chats.update_settings(chat.id, season_days=0)
    with pytest.raises(LookupError):
        await store.chats.update_settings(12345, language="fr")


# --- submissions ----------------------------------------------------------------------------


async def test_redelivered_update_returns_the_original_row(store: Store):
    chat, (ann,) = await setup_chat(store, "ann")
    first = await add(store, chat.id, ann.id, 71.5, T0, update_id="upd-1", phash=(1 << 64) - 1)
    again = await add(store, chat.id, ann.id, 10.0, T0 + timedelta(minutes=1), update_id="upd-1")
    assert first.created and not again.created
    assert again.submission == first.submission
    assert first.submission.score == 71.5
    assert first.submission.phash == (1 << 64) - 1
    assert first.submission.emotions == {"happy": 0.7, "neutral": 0.3}
    assert first.submission.created_at == T0
    assert await count_submissions(store, chat.id, ann.id) == 1
    assert (await store.submissions.by_update("telegram", "upd-1")).id == first.submission.id

    other_platform = await store.submissions.record(
        NewSubmission(chat.id, ann.id, "discord", "upd-1", score=5.0, created_at=T0)
    )
    assert other_platform.created


async def test_recent_photo_times_and_counts_see_only_scored_photos(store: Store):
    chat, (ann,) = await setup_chat(store, "ann")
    await add(store, chat.id, ann.id, 50, T0)
    await add(store, chat.id, ann.id, 0, T0, status=SubmissionStatus.NO_FACE)
    await add(store, chat.id, ann.id, 60, T0 + timedelta(minutes=2))
    await add(store, chat.id, ann.id, 70, T0 + timedelta(minutes=10))
    times = await store.submissions.times(chat.id, ann.id, since=T0 + timedelta(minutes=1))
    assert times == [T0 + timedelta(minutes=2), T0 + timedelta(minutes=10)]
    assert await count_submissions(store, chat.id, ann.id) == 3
    assert await count_submissions(store, chat.id, ann.id, since=T0 + timedelta(minutes=1)) == 2
    every = tuple(SubmissionStatus)
    assert await count_submissions(store, chat.id, ann.id, statuses=every) == 4


async def test_last_submission_and_bot_message_lookup(store: Store):
    chat, (ann,) = await setup_chat(store, "ann")
    assert await last_submission(store, chat.id, ann.id) is None
    await add(store, chat.id, ann.id, 40, T0)
    newest = (await add(store, chat.id, ann.id, 45, T0 + timedelta(hours=1))).submission
    await add(store, chat.id, ann.id, 0, T0 + timedelta(hours=2), status=SubmissionStatus.NO_FACE)
    assert (await last_submission(store, chat.id, ann.id)).id == newest.id
    any_status = await last_submission(store, chat.id, ann.id, statuses=tuple(SubmissionStatus))
    assert any_status.status is SubmissionStatus.NO_FACE

    await store.submissions.set_bot_message_id(newest.id, "bot-77")
    found = await get_submission_by_bot_message(store, chat.id, "bot-77")
    assert found.id == newest.id and found.bot_message_id == "bot-77"
    assert await get_submission_by_bot_message(store, chat.id, "bot-78") is None


async def test_near_duplicates_by_hamming_distance(store: Store):
    chat, (ann, bob) = await setup_chat(store, "ann", "bob")
    base = 0xF0F0_F0F0_F0F0_F0F0
    far = (await add(store, chat.id, ann.id, 50, T0, phash=base ^ 0xFF)).submission
    near = (
        await add(store, chat.id, bob.id, 50, T0 + timedelta(hours=1), phash=base ^ 1)
    ).submission
    old = (await add(store, chat.id, bob.id, 50, T0 - timedelta(days=30), phash=base)).submission
    await add(store, chat.id, ann.id, 0, T0, status=SubmissionStatus.NO_FACE, phash=base)

    matches = await store.submissions.near_duplicates(chat.id, base, max_distance=6)
    assert [(m.submission.id, m.distance) for m in matches] == [(old.id, 0), (near.id, 1)]
    recent = await store.submissions.near_duplicates(
        chat.id, base, max_distance=8, window=Window(since=T0 - timedelta(days=1))
    )
    assert [(m.submission.id, m.distance) for m in recent] == [(near.id, 1), (far.id, 8)]
    assert (
        len(await store.submissions.near_duplicates(chat.id, base, max_distance=64, limit=2)) == 2
    )
    with pytest.raises(ValueError):
        await store.submissions.near_duplicates(chat.id, base, max_distance=65)


async def test_the_database_measures_the_same_distance_as_python(store: Store):
    """The distance is computed in SQL (both signs of the stored BIGINT, every bit position),
    and only the photos within reach come back."""
    chat, (ann,) = await setup_chat(store, "ann")
    rng = random.Random(7)
    probe = rng.getrandbits(64) | 1 << 63
    stored = [probe ^ (1 << rng.randrange(64)) ^ rng.getrandbits(64) for _ in range(40)]
    stored += [probe ^ (1 << bit) for bit in (0, 31, 32, 62, 63)]
    by_id = {}
    for minutes, phash in enumerate(stored):
        row = await add(store, chat.id, ann.id, 50, T0 + timedelta(minutes=minutes), phash=phash)
        by_id[row.submission.id] = phash
    for reach in (1, 24, 32, 64):
        found = await store.submissions.near_duplicates(
            chat.id, probe, max_distance=reach, limit=len(stored)
        )
        expected = sorted(
            (((probe ^ phash) & (2**64 - 1)).bit_count(), id_)
            for id_, phash in by_id.items()
            if ((probe ^ phash) & (2**64 - 1)).bit_count() <= reach
        )
        assert [(m.distance, m.submission.id) for m in found] == expected
        assert all(by_id[m.submission.id] == m.submission.phash for m in found)


# --- boards and stats -----------------------------------------------------------------------


async def test_leaderboard_best_ties_go_to_whoever_was_first(store: Store):
    chat, (ann, bob, cat, dan) = await setup_chat(store, "ann", "bob", "cat", "dan")
    await add(store, chat.id, bob.id, 80, T0 + timedelta(minutes=5))
    await add(store, chat.id, ann.id, 80, T0 + timedelta(minutes=9))
    await add(store, chat.id, ann.id, 80, T0 + timedelta(minutes=1))  # Ann reached 80 first
    await add(store, chat.id, cat.id, 90, T0 + timedelta(minutes=20))
    await add(store, chat.id, dan.id, 10, T0)
    await add(store, chat.id, dan.id, 99, T0, status=SubmissionStatus.DUPLICATE)

    board = await store.standings.leaderboard(chat.id, limit=2, viewer_user_id=dan.id)
    assert [(e.rank, e.user_id, e.value) for e in board.entries] == [
        (1, cat.id, 90.0),
        (2, ann.id, 80.0),
    ]
    assert board.entries[1].achieved_at == T0 + timedelta(minutes=1)
    assert board.entries[1].photos == 2
    assert (board.viewer.rank, board.viewer.value, board.viewer.display_name) == (4, 10.0, "Dan")
    assert board.players == 4


async def test_leaderboard_windows_and_metrics(store: Store):
    chat, (ann, bob) = await setup_chat(store, "ann", "bob")
    last_week = T0 - timedelta(days=3)
    await add(store, chat.id, ann.id, 95, last_week)
    for minutes, score in ((1, 60), (2, 70), (3, 80), (4, 20)):
        await add(store, chat.id, ann.id, score, T0 + timedelta(minutes=minutes))
    for minutes, score in ((5, 75), (6, 75)):
        await add(store, chat.id, bob.id, score, T0 + timedelta(minutes=minutes))

    week = Window.week_of(T0 + timedelta(days=2))
    assert week.since == T0.replace(hour=0)
    best_week = await store.standings.leaderboard(chat.id, window=week)
    assert [(e.user_id, e.value) for e in best_week.entries] == [(ann.id, 80.0), (bob.id, 75.0)]
    best_all = await store.standings.leaderboard(chat.id)
    assert best_all.entries[0].value == 95.0

    average = await store.standings.leaderboard(
        chat.id, window=week, metric=Metric.AVERAGE, top_n=2
    )
    assert [(e.user_id, e.value) for e in average.entries] == [(ann.id, 75.0), (bob.id, 75.0)]
    assert average.entries[0].achieved_at == T0 + timedelta(minutes=3)

    count = await store.standings.leaderboard(chat.id, window=week, metric=Metric.COUNT)
    assert [(e.user_id, e.value) for e in count.entries] == [(ann.id, 4.0), (bob.id, 2.0)]

    empty = await store.standings.leaderboard(chat.id, window=Window(since=T0 + timedelta(days=30)))
    assert empty.entries == () and empty.viewer is None and empty.players == 0
    nobody_shown = await store.standings.leaderboard(chat.id, limit=0, viewer_user_id=bob.id)
    assert nobody_shown.entries == () and nobody_shown.viewer.rank == 2


@pytest.mark.parametrize("metric", list(Metric))
async def test_windowed_board_ties_and_the_viewer_outside_the_top(store: Store, metric: Metric):
    """Week and season boards are built from the photos, not the running totals: the same
    rules must hold there for every metric. Equal values rank by who got there first, and the
    asker sees their own line (rank and value) even far below the shown top."""
    chat, (ann, bob, cat, dan) = await setup_chat(store, "ann", "bob", "cat", "dan")
    await add(store, chat.id, dan.id, 99, T0 - timedelta(days=3))  # last week: not counted
    await add(store, chat.id, bob.id, 80, T0 + timedelta(minutes=5))
    await add(store, chat.id, ann.id, 80, T0 + timedelta(minutes=1))  # same value, earlier
    await add(store, chat.id, cat.id, 80, T0 + timedelta(minutes=9))
    await add(store, chat.id, dan.id, 10, T0 + timedelta(minutes=2))
    week = Window.week_of(T0)

    board = await store.standings.leaderboard(
        chat.id, window=week, metric=metric, limit=1, viewer_user_id=dan.id, top_n=1
    )
    if metric is Metric.COUNT:
        # One photo each this week: first to reach one photo wins, Dan (minute 2) is second.
        assert [e.user_id for e in board.entries] == [ann.id]
        assert (board.viewer.rank, board.viewer.value) == (2, 1.0)
    else:
        assert [(e.user_id, e.value) for e in board.entries] == [(ann.id, 80.0)]
        assert (board.viewer.rank, board.viewer.value, board.viewer.photos) == (4, 10.0, 1)
    assert board.players == 4
    again = await store.standings.leaderboard(chat.id, window=week, metric=metric, limit=4, top_n=1)
    assert [e.rank for e in again.entries] == [1, 2, 3, 4]
    if metric is Metric.COUNT:
        assert [e.user_id for e in again.entries] == [ann.id, dan.id, bob.id, cat.id]
    else:
        assert [e.user_id for e in again.entries] == [ann.id, bob.id, cat.id, dan.id]
        stats = await store.standings.user_stats(chat.id, dan.id, window=week)
        assert stats.rank == 4


async def test_user_stats_days_played_and_rank(store: Store):
    chat, (ann, bob) = await setup_chat(store, "ann", "bob")
    days = [0, 1, 2, 5, 6]  # a 3-day run, a gap, then a 2-day run ending "yesterday"
    for day in days:
        await add(store, chat.id, ann.id, 50 + day, T0 + timedelta(days=day))
    await add(store, chat.id, ann.id, 10, T0 + timedelta(days=6, hours=1))
    await add(store, chat.id, bob.id, 90, T0)
    await store.badges.award(ann.id, chat.id, "first_selfie", now=T0)

    stats = await store.standings.user_stats(chat.id, ann.id)
    assert (stats.count, stats.best, stats.rank, stats.players) == (6, 56.0, 2, 2)
    assert stats.average == pytest.approx((50 + 51 + 52 + 55 + 56 + 10) / 6)
    assert [day - T0.date() for day in stats.days] == [timedelta(days=d) for d in days]
    assert streaks(stats.days, (T0 + timedelta(days=7, hours=3)).date()) == (2, 3)
    assert stats.last_at == T0 + timedelta(days=6, hours=1)
    assert [b.code for b in stats.badges] == ["first_selfie"]

    assert streaks(stats.days, (T0 + timedelta(days=8, hours=1)).date()) == (0, 3), "lapsed"

    nobody = await store.standings.user_stats(chat.id, 424242)
    assert (nobody.count, nobody.best, nobody.rank, nobody.players) == (0, None, None, 2)

    daily = await daily_scores(store, chat.id, ann.id)
    assert [(d.day.isoformat(), d.best, d.count) for d in daily][-1] == ("2026-03-08", 56.0, 2)
    assert len(daily) == 5
    best = await store.standings.best_per_user(chat.id, window=Window(since=T0 + timedelta(days=1)))
    assert best == {ann.id: 56.0}


async def test_all_time_totals_agree_with_counting_every_photo(store: Store):
    """All-time BEST/COUNT boards read running totals; a window wider than all history makes
    the same board from the photos themselves. They must agree line for line, ties included,
    even when photos arrive out of time order."""
    chat, users = await setup_chat(store, *(f"p{i}" for i in range(8)))
    rng = random.Random(3)
    for _ in range(120):
        user = users[rng.randrange(len(users))]
        at = T0 + timedelta(seconds=rng.randrange(40))
        status = SubmissionStatus.SCORED if rng.random() < 0.9 else SubmissionStatus.NO_FACE
        await add(store, chat.id, user.id, float(rng.choice([10, 55, 70, 90])), at, status=status)
    everything = Window(since=T0 - timedelta(days=1))
    for metric in (Metric.BEST, Metric.COUNT):
        totals = await store.standings.leaderboard(chat.id, metric=metric, limit=100)
        counted = await store.standings.leaderboard(
            chat.id, metric=metric, limit=100, window=everything
        )
        assert totals.entries == counted.entries
        assert totals.players == counted.players == len(users)
        for entry in totals.entries:
            viewer = await store.standings.leaderboard(
                chat.id, metric=metric, limit=1, viewer_user_id=entry.user_id
            )
            assert viewer.viewer == entry
            if metric is Metric.BEST:
                stats = await store.standings.user_stats(chat.id, entry.user_id)
                windowed = await store.standings.user_stats(
                    chat.id, entry.user_id, window=everything
                )
                assert stats.rank == windowed.rank == entry.rank
                assert stats.best == entry.best and stats.count == entry.photos


# --- seasons --------------------------------------------------------------------------------


async def test_season_rollover_happens_once_and_queues_results(store: Store):
    chat, (ann, bob) = await setup_chat(store, "ann", "bob")
    season = await store.seasons.current(chat.id, rules=SEASONS, now=T0)
    assert (season.number, season.starts_at, season.ends_at) == (1, T0, T0 + timedelta(days=7))
    assert (
        await store.seasons.current(chat.id, rules=SEASONS, now=T0 + timedelta(days=1))
    ).id == season.id
    await add(store, chat.id, ann.id, 60, T0 + timedelta(days=1))
    await add(store, chat.id, bob.id, 70, T0 + timedelta(days=2))
    await add(store, chat.id, ann.id, 99, T0 + timedelta(days=8))  # after the planned end

    assert (
        await store.seasons.rollover(season.id, rules=SEASONS, now=T0 + timedelta(days=6)) is None
    )
    assert await store.seasons.due(now=T0 + timedelta(days=6)) == []
    due_at = T0 + timedelta(days=8, hours=1)
    assert [s.id for s in await store.seasons.due(now=due_at)] == [season.id]

    done = await store.seasons.rollover(season.id, rules=SEASONS, now=due_at)
    assert done is not None
    assert done.closed.winner_user_id == bob.id
    assert done.closed.closed_at == season.ends_at
    assert [e.user_id for e in done.board.entries] == [bob.id, ann.id]
    assert done.next.number == 2 and done.next.starts_at == season.ends_at
    assert done.next.ends_at == season.ends_at + timedelta(days=7)
    assert await store.seasons.rollover(season.id, rules=SEASONS, now=due_at) is None
    assert (await store.seasons.current(chat.id, rules=SEASONS, now=due_at)).id == done.next.id
    assert [s.number for s in await seasons(store, chat.id)] == [2, 1]

    claimed = await store.outbox.claim("w1", now=due_at)
    assert [a.id for a in claimed] == [done.announcement_id]
    payload = claimed[0].payload
    assert payload["winner_user_id"] == bob.id and payload["next_number"] == 2
    assert [row["user_id"] for row in payload["board"]] == [bob.id, ann.id]


async def test_forced_rollover_and_long_downtime(store: Store):
    chat, _ = await setup_chat(store)
    season = await store.seasons.current(chat.id, rules=SEASONS, now=T0)
    forced = await store.seasons.rollover(
        season.id, rules=SEASONS, now=T0 + timedelta(days=1), force=True
    )
    assert forced.closed.closed_at == T0 + timedelta(days=1)
    assert forced.closed.winner_user_id is None and forced.board.entries == ()
    late = T0 + timedelta(days=40)
    after_downtime = await store.seasons.rollover(forced.next.id, rules=SEASONS, now=late)
    assert after_downtime.next.ends_at == late + timedelta(days=7)


# --- achievements, reactions ----------------------------------------------------------------


async def test_badges_are_awarded_once_per_chat(store: Store):
    chat, (ann,) = await setup_chat(store, "ann")
    other = await store.chats.upsert("telegram", "chat-2")
    first = await store.badges.award(ann.id, chat.id, "score_80", details={"score": 81}, now=T0)
    assert first.code == "score_80" and first.details == {"score": 81} and first.earned_at == T0
    assert await store.badges.award(ann.id, chat.id, "score_80") is None
    assert await store.badges.award(ann.id, other.id, "score_80") is not None
    assert [b.code for b in await store.badges.held(ann.id, chat.id)] == ["score_80"]


async def test_reactions(store: Store):
    chat, (ann, bob) = await setup_chat(store, "ann", "bob")
    photo = (await add(store, chat.id, ann.id, 50, T0)).submission
    assert await store.reactions.add(photo.id, bob.id, "🔥", now=T0)
    assert not await store.reactions.add(photo.id, bob.id, "🔥")
    assert await store.reactions.add(photo.id, ann.id, "🔥")
    assert await store.reactions.add(photo.id, bob.id, "😂")
    assert await reaction_counts(store, photo.id) == {"🔥": 2, "😂": 1}
    assert await store.reactions.remove(photo.id, bob.id, "🔥")
    assert not await store.reactions.remove(photo.id, bob.id, "🔥")
    remaining = [(r.user_id, r.emoji) for r in await reactions(store, photo.id)]
    assert sorted(remaining) == sorted([(ann.id, "🔥"), (bob.id, "😂")])


# --- duels ----------------------------------------------------------------------------------


async def test_duel_lifecycle_and_ratings(store: Store):
    chat, (ann, bob) = await setup_chat(store, "ann", "bob")
    deadline = T0 + timedelta(hours=24)
    duel = await store.duels.create(chat.id, ann.id, bob.id, expires_at=deadline, now=T0)
    assert duel.status is DuelStatus.PENDING
    assert await store.duels.create(chat.id, bob.id, ann.id, expires_at=deadline, now=T0) is None
    with pytest.raises(ValueError):
        await store.duels.create(chat.id, ann.id, ann.id, expires_at=deadline)
    assert [d.id for d in await store.duels.open_for(chat.id, bob.id)] == [duel.id]

    active = await store.duels.accept(duel.id, expires_at=deadline, now=T0 + timedelta(minutes=1))
    assert active.status is DuelStatus.ACTIVE
    assert await store.duels.accept(duel.id, expires_at=deadline) is None
    assert await store.duels.decline(duel.id) is None

    ann_photo = (await add(store, chat.id, ann.id, 62.5, T0 + timedelta(minutes=2))).submission
    first = await store.duels.record_entry(duel.id, ann.id, ann_photo.id, 62.5, now=T0, rules=DUELS)
    assert first.counted and first.outcome is None
    second = await store.duels.record_entry(
        duel.id, ann.id, ann_photo.id, 99.0, now=T0, rules=DUELS
    )
    assert not second.counted and second.duel.challenger_score == 62.5
    with pytest.raises(ValueError):
        await store.duels.record_entry(duel.id, 777, ann_photo.id, 1.0, now=T0, rules=DUELS)

    bob_photo = (await add(store, chat.id, bob.id, 40.0, T0 + timedelta(minutes=3))).submission
    final = await store.duels.record_entry(duel.id, bob.id, bob_photo.id, 40.0, now=T0, rules=DUELS)
    assert final.outcome is not None
    assert final.outcome.duel.status is DuelStatus.FINISHED
    assert final.outcome.duel.winner_user_id == ann.id
    assert final.outcome.ratings == {ann.id: (1000.0, 1016.0), bob.id: (1000.0, 984.0)}
    ratings = await duel_ratings(store, chat.id)
    assert [(r.user_id, r.wins, r.losses) for r in ratings] == [(ann.id, 1, 0), (bob.id, 0, 1)]
    assert (await store.duels.rating(chat.id, 31337)).rating == 1000.0
    assert await store.duels.open_for(chat.id, ann.id) == []

    rematch = await store.duels.create(chat.id, bob.id, ann.id, expires_at=deadline, now=T0)
    assert rematch is not None
    assert (await store.duels.decline(rematch.id, now=T0)).status is DuelStatus.DECLINED


async def test_duel_draw_and_expiry(store: Store):
    chat, (ann, bob, cat) = await setup_chat(store, "ann", "bob", "cat")
    deadline = T0 + timedelta(hours=1)
    draw = await store.duels.create(chat.id, ann.id, bob.id, expires_at=deadline, now=T0)
    await store.duels.accept(draw.id, expires_at=deadline, now=T0)
    photo = (await add(store, chat.id, ann.id, 50, T0)).submission
    await store.duels.record_entry(draw.id, ann.id, photo.id, 50.0, now=T0, rules=DUELS)
    result = await store.duels.record_entry(draw.id, bob.id, photo.id, 50.0, now=T0, rules=DUELS)
    assert result.outcome.duel.winner_user_id is None
    assert result.outcome.ratings == {ann.id: (1000.0, 1000.0), bob.id: (1000.0, 1000.0)}
    assert (await store.duels.rating(chat.id, ann.id)).draws == 1

    ignored = await store.duels.create(chat.id, cat.id, ann.id, expires_at=deadline, now=T0)
    forfeit = await store.duels.create(chat.id, bob.id, cat.id, expires_at=deadline, now=T0)
    await store.duels.accept(forfeit.id, expires_at=deadline, now=T0)
    await store.duels.record_entry(forfeit.id, cat.id, photo.id, 30.0, now=T0, rules=DUELS)
    late = await store.duels.record_entry(
        forfeit.id, bob.id, photo.id, 90.0, now=deadline, rules=DUELS
    )
    assert not late.counted

    outcomes = await store.duels.expire(now=deadline, rules=DUELS)
    by_id = {o.duel.id: o for o in outcomes}
    assert by_id[ignored.id].duel.status is DuelStatus.EXPIRED and by_id[ignored.id].ratings == {}
    assert by_id[forfeit.id].duel.winner_user_id == cat.id
    assert by_id[forfeit.id].ratings[cat.id][1] > 1000.0
    assert await store.duels.expire(now=deadline, rules=DUELS) == []
    total = sum(r.rating for r in await duel_ratings(store, chat.id))
    assert total == pytest.approx(3000.0)


# --- announcements --------------------------------------------------------------------------


async def test_announcements_are_claimed_by_one_worker_until_sent(store: Store):
    chat, _ = await setup_chat(store)
    first = await store.outbox.enqueue(chat.id, "reminder", {"n": 1}, dedupe_key="k1", due_at=T0)
    assert await store.outbox.enqueue(chat.id, "reminder", {}, dedupe_key="k1") is None
    later = await store.outbox.enqueue(
        chat.id, "reminder", {"n": 2}, dedupe_key="k2", due_at=T0 + timedelta(hours=1)
    )
    claimed = await store.outbox.claim("w1", now=T0)
    assert [(a.id, a.payload, a.platform_chat_id, a.attempts) for a in claimed] == [
        (first, {"n": 1}, "chat-1", 1)
    ]
    assert await store.outbox.claim("w2", now=T0 + timedelta(minutes=1)) == []
    # w1 died: after the lease the row is offered again.
    retaken = await store.outbox.claim("w2", now=T0 + timedelta(minutes=6))
    assert [a.id for a in retaken] == [first]
    assert retaken[0].attempts == 2
    await store.outbox.mark_sent(first, now=T0 + timedelta(minutes=6))
    hour = T0 + timedelta(hours=1)
    assert [a.id for a in await store.outbox.claim("w1", now=hour)] == [later]
    await store.outbox.release(later, error="telegram 500", retry_at=hour + timedelta(minutes=5))
    assert await store.outbox.claim("w1", now=hour + timedelta(minutes=1)) == []
    assert [a.id for a in await store.outbox.claim("w1", now=hour + timedelta(minutes=5))] == [
        later
    ]


async def test_naive_times_are_refused(store: Store):
    chat, (ann,) = await setup_chat(store, "ann")
    with pytest.raises(ValueError, match="naive"):
        await add(store, chat.id, ann.id, 50, datetime(2026, 1, 1))


# --- processed updates, active chats, per-platform claims -------------------------------------


async def test_updates_are_answered_once(store: Store):
    assert await begin_update(store, "telegram", "900", now=T0) is UpdateState.NEW
    assert await begin_update(store, "telegram", "900", now=T0) is UpdateState.PENDING
    assert await begin_update(store, "discord", "900", now=T0) is UpdateState.NEW
    await store.updates.mark_answered("telegram", "900", now=T0)
    await store.updates.mark_answered("telegram", "900", now=T0 + timedelta(hours=1))
    assert await begin_update(store, "telegram", "900") is UpdateState.ANSWERED
    await store.updates.mark_answered("web", "never-begun", now=T0)
    assert await begin_update(store, "web", "never-begun") is UpdateState.ANSWERED


async def test_active_chats_and_per_platform_claims(store: Store):
    chat, (ann,) = await setup_chat(store, "ann")
    quiet = await store.chats.upsert("telegram", "quiet")
    elsewhere = await store.chats.upsert("discord", "chan")
    await add(store, chat.id, ann.id, 50, T0)
    await add(store, quiet.id, ann.id, 0, T0, status=SubmissionStatus.NO_FACE)
    await add(store, elsewhere.id, ann.id, 50, T0 - timedelta(days=3))
    assert [c.id for c in await store.chats.active(since=T0 - timedelta(days=1))] == [chat.id]
    everywhere = await store.chats.active(since=T0 - timedelta(days=7))
    assert [c.id for c in everywhere] == [chat.id, elsewhere.id]
    on_discord = await store.chats.active(since=T0 - timedelta(days=7), platform="discord")
    assert [c.id for c in on_discord] == [elsewhere.id]

    for target in (chat, elsewhere):
        await store.outbox.enqueue(target.id, "news", {}, dedupe_key=f"n{target.id}", due_at=T0)
    discord = await store.outbox.claim("d", now=T0, platform="discord")
    assert [a.platform for a in discord] == ["discord"]
    rest = await store.outbox.claim("t", now=T0, platform="telegram")
    assert [a.platform_chat_id for a in rest] == ["chat-1"]
    assert await store.outbox.claim("any", now=T0) == []
