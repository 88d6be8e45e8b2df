"""Claims on platform deliveries, on SQLite and PostgreSQL: exactly one racer wins, a live claim
turns copies away, a dead owner's claim is retaken only if no reply can have gone out, and the
fence refuses an owner that lost its claim. Several Stores stand in for several processes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from storage import Store
from storage.claims import ClaimState, new_owner
from tests.storage.support import BACKENDS, separate_stores

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)
PROCESSES = 4


@pytest.fixture(params=BACKENDS)
async def stores(request: pytest.FixtureRequest, tmp_path):
    async with separate_stores(request.param, tmp_path, PROCESSES) as opened:
        yield opened


async def test_of_many_racing_copies_exactly_one_takes_each_update(stores: list[Store]) -> None:
    claims = [store.claims for store in stores]

    async def copy(update: int, n: int):
        return await claims[n % PROCESSES].claim(
            "telegram", str(update), new_owner(f"p{n}"), lease=LEASE, now=T0
        )

    results = await asyncio.gather(*(copy(u, n) for u in range(40) for n in range(3)))

    by_update: dict[str, list[ClaimState]] = {}
    for claim in results:
        by_update.setdefault(claim.update_id, []).append(claim.state)
    assert all(states.count(ClaimState.TAKEN) == 1 for states in by_update.values())
    assert all(states.count(ClaimState.BUSY) == 2 for states in by_update.values())


async def test_a_dead_owners_claim_is_retaken_after_its_lease_unless_a_reply_went_out(
    stores: list[Store],
) -> None:
    first, second = stores[0].claims, stores[1].claims
    dead = await first.claim("discord", "silent", "dead:1", lease=LEASE, now=T0)
    assert dead.taken
    early = await second.claim("discord", "silent", "live:1", lease=LEASE, now=T0 + LEASE / 2)
    assert early.state is ClaimState.BUSY
    late = await second.claim("discord", "silent", "live:2", lease=LEASE, now=T0 + 2 * LEASE)
    assert late.taken and late.retaken
    assert not await first.start_sending("discord", "silent", "dead:1", now=T0 + 2 * LEASE)
    assert await second.start_sending("discord", "silent", "live:2", now=T0 + 2 * LEASE)

    # The owner that started sending and then died: its reply may be posted, never retake it.
    sent = await first.claim("discord", "spoke", "dead:2", lease=LEASE, now=T0)
    assert sent.taken and await first.start_sending("discord", "spoke", "dead:2", now=T0)
    after = await second.claim("discord", "spoke", "live:3", lease=LEASE, now=T0 + 10 * LEASE)
    assert after.state is ClaimState.DONE


async def test_answered_updates_are_done_and_released_ones_are_free_at_once(
    stores: list[Store],
) -> None:
    claims = stores[0].claims
    assert (await claims.claim("web", "a", "p:1", lease=LEASE, now=T0)).taken
    await stores[1].updates.mark_answered("web", "a", now=T0)
    done = await claims.claim("web", "a", "p:2", lease=LEASE, now=T0 + 10 * LEASE)
    assert done.state is ClaimState.DONE

    assert (await claims.claim("web", "b", "p:3", lease=LEASE, now=T0)).taken
    await claims.release("web", "b", "someone-else")
    assert (await claims.claim("web", "b", "p:4", lease=LEASE, now=T0)).state is ClaimState.BUSY
    await claims.release("web", "b", "p:3")
    assert (await claims.claim("web", "b", "p:5", lease=LEASE, now=T0)).taken


async def test_last_photo_handles_are_kept_per_user_and_forgotten(stores: list[Store]) -> None:
    photos, other = stores[0].last_photos, stores[2].last_photos
    assert await photos.get("telegram", "42") is None
    await photos.remember("telegram", "42", "FILE-1", now=T0)
    await other.remember("telegram", "42", "FILE-2", now=T0 + LEASE)
    kept = await photos.get("telegram", "42")
    assert kept is not None and (kept.handle, kept.stored_at) == ("FILE-2", T0 + LEASE)
    assert kept.analysis is None, "no submission named"
    await other.forget("telegram", "42")
    assert await photos.get("telegram", "42") is None
