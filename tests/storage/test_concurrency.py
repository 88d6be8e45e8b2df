"""Racing writers on SQLite and PostgreSQL: nothing lost, nothing doubled, no lock errors, and
"exactly once" operations done exactly once even by separate engines (stand-ins for separate
bot processes sharing the database)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.core.rules import DUELS, SEASONS, RateLimit, retry_at
from storage import NewSubmission, Store
from storage.schema import announcements, seasons, submissions
from tests.storage.support import BACKENDS, count_submissions, record_kwargs, separate_stores

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
PROCESSES = 4


@pytest.fixture(params=BACKENDS)
async def stores(request: pytest.FixtureRequest, tmp_path):
    """Several independent Stores (own engine and pool each) on one fresh database."""
    async with separate_stores(request.param, tmp_path, PROCESSES) as opened:
        yield opened


async def count_rows(store: Store, table) -> int:
    async with store._engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(table))).scalar_one()


async def test_fifty_concurrent_submissions_into_one_chat(stores: list[Store]):
    first = stores[0]
    chat = await first.chats.upsert("telegram", "busy-chat")
    users = [await first.users.upsert("telegram", f"u{i}", f"User {i}") for i in range(10)]

    async def submit(n: int, store: Store):
        return await store.submissions.record(
            NewSubmission(
                chat_id=chat.id,
                user_id=users[n % len(users)].id,
                platform="telegram",
                update_id=f"update-{n}",
                score=float(n),
                created_at=T0 + timedelta(milliseconds=n),
                **record_kwargs(),
            )
        )

    # Every update is delivered twice, through different "processes", all at once.
    calls = [submit(n, stores[(n + k) % len(stores)]) for n in range(50) for k in (0, 1)]
    results = await asyncio.gather(*calls)

    assert sum(r.created for r in results) == 50
    by_update: dict[str, set[int]] = {}
    for result in results:
        by_update.setdefault(result.submission.update_id, set()).add(result.submission.id)
    assert len(by_update) == 50
    assert all(len(ids) == 1 for ids in by_update.values())
    assert await count_rows(first, submissions) == 50
    board = await first.standings.leaderboard(chat.id, limit=100)
    assert sum(e.photos for e in board.entries) == 50


async def test_rate_limit_holds_under_concurrency(stores: list[Store]):
    """The game's rate-limit check and the insert share a transaction that holds the sender,
    so a burst across processes stores exactly the allowed number of photos."""
    first = stores[0]
    chat = await first.chats.upsert("telegram", "limited")
    ann = await first.users.upsert("telegram", "ann", "Ann", chat_id=chat.id)
    limit = RateLimit(photos=5, window=timedelta(minutes=10))

    async def submit(n: int) -> bool:
        async def work(tx: Store) -> bool:
            await tx.submissions.hold_sender(chat.id, ann.id, now=T0)
            recent = await tx.submissions.times(chat.id, ann.id, since=T0 - limit.window)
            if retry_at(recent, limit, T0) is not None:
                return False
            new = NewSubmission(
                chat.id, ann.id, "telegram", f"burst-{n}", score=50.0, created_at=T0
            )
            return (await tx.submissions.record(new)).created

        return await stores[n % len(stores)].transaction(work)

    results = await asyncio.gather(*(submit(n) for n in range(20)))
    assert sum(results) == 5
    assert await count_submissions(first, chat.id, ann.id) == 5


async def test_first_season_and_rollover_happen_once_across_processes(stores: list[Store]):
    chat = await stores[0].chats.upsert("telegram", "seasonal")
    opened = await asyncio.gather(
        *(s.seasons.current(chat.id, rules=SEASONS, now=T0) for s in stores * 3)
    )
    assert len({season.id for season in opened}) == 1

    due = T0 + timedelta(days=8)
    rollovers = await asyncio.gather(
        *(s.seasons.rollover(opened[0].id, rules=SEASONS, now=due) for s in stores * 3)
    )
    winners = [r for r in rollovers if r is not None]
    assert len(winners) == 1
    assert await count_rows(stores[0], seasons) == 2
    assert await count_rows(stores[0], announcements) == 1
    current = await asyncio.gather(
        *(s.seasons.current(chat.id, rules=SEASONS, now=due) for s in stores)
    )
    assert {season.id for season in current} == {winners[0].next.id}


async def test_announcements_are_delivered_by_exactly_one_worker(stores: list[Store]):
    chat = await stores[0].chats.upsert("telegram", "news")
    for n in range(30):
        await stores[0].outbox.enqueue(chat.id, "news", {"n": n}, dedupe_key=f"n{n}", due_at=T0)

    async def worker(index: int) -> list[int]:
        taken: list[int] = []
        while batch := await stores[index].outbox.claim(f"w{index}", now=T0, limit=3):
            for item in batch:
                await stores[index].outbox.mark_sent(item.id, now=T0)
                taken.append(item.id)
        return taken

    taken = await asyncio.gather(*(worker(i) for i in range(len(stores))))
    flat = [i for ids in taken for i in ids]
    assert len(flat) == 30 and len(set(flat)) == 30


async def test_duel_finishes_once_when_both_sides_play_together(stores: list[Store]):
    first = stores[0]
    chat = await first.chats.upsert("telegram", "arena")
    ann = await first.users.upsert("telegram", "ann", "Ann", chat_id=chat.id)
    bob = await first.users.upsert("telegram", "bob", "Bob", chat_id=chat.id)
    deadline = T0 + timedelta(days=1)
    photo = (
        await first.submissions.record(NewSubmission(chat.id, ann.id, "telegram", "p", score=1.0))
    ).submission
    for round_ in range(3):
        duel = await first.duels.create(chat.id, ann.id, bob.id, expires_at=deadline, now=T0)
        await first.duels.accept(duel.id, expires_at=deadline, now=T0)
        entries = await asyncio.gather(
            stores[1].duels.record_entry(
                duel.id, ann.id, photo.id, 60.0 + round_, now=T0, rules=DUELS
            ),
            stores[2].duels.record_entry(duel.id, bob.id, photo.id, 50.0, now=T0, rules=DUELS),
        )
        assert all(e.counted for e in entries)
        assert sum(e.outcome is not None for e in entries) == 1
    rating = await first.duels.rating(chat.id, ann.id)
    assert (rating.wins, rating.losses) == (3, 0)
