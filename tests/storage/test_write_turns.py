"""A process's SQLite writers take turns (`storage.engine.WriteTurns`): first come, first
served, except that a short transaction others wait on (an update's claim) passes the queue."""

from __future__ import annotations

import asyncio

from storage.engine import WriteTurns


async def test_writers_take_turns_and_a_write_asked_ahead_passes_the_queue() -> None:
    turns = WriteTurns()
    order: list[str] = []
    inside = 0
    most = 0
    running_may_end = asyncio.Event()

    async def write(name: str, *, ahead: bool = False, until: asyncio.Event | None = None) -> None:
        nonlocal inside, most
        async with turns.turn(ahead=ahead):
            inside += 1
            most = max(most, inside)
            order.append(name)
            if until is not None:
                await until.wait()
            await asyncio.sleep(0)
            inside -= 1

    running = asyncio.create_task(write("running", until=running_may_end))
    await asyncio.sleep(0)
    queued = [asyncio.create_task(write(f"count {n}")) for n in range(3)]
    await asyncio.sleep(0)
    gone = asyncio.create_task(write("cancelled while waiting"))
    await asyncio.sleep(0)
    gone.cancel()
    claim = asyncio.create_task(write("claim", ahead=True))
    await asyncio.sleep(0)
    running_may_end.set()
    await asyncio.gather(running, claim, *queued)
    assert order == ["running", "claim", "count 0", "count 1", "count 2"]
    assert most == 1, "one writer at a time"
    async with asyncio.timeout(1):
        await write("after all", ahead=False)  # the turns were all handed back


async def test_a_turn_handed_to_a_writer_cancelled_meanwhile_goes_to_the_next() -> None:
    turns = WriteTurns()
    order: list[str] = []
    first_may_end = asyncio.Event()

    async def write(name: str, until: asyncio.Event | None = None) -> None:
        async with turns.turn():
            order.append(name)
            if until is not None:
                await until.wait()

    first = asyncio.create_task(write("first", first_may_end))
    await asyncio.sleep(0)
    unlucky = asyncio.create_task(write("unlucky"))
    after = asyncio.create_task(write("after"))
    await asyncio.sleep(0)
    first_may_end.set()
    await asyncio.sleep(0)  # `first` ends and hands the turn to `unlucky`, not resumed yet
    assert first.done() and order == ["first"]
    unlucky.cancel()
    async with asyncio.timeout(1):
        await after
    assert order == ["first", "after"]
