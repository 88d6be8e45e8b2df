"""How storage work reaches the database: each call in its own transaction, or all inside one.

Every repository (`storage.submissions`, `storage.seasons`, ...) runs its queries through a
`Runner`. A runner over the engine gives each call its own transaction (retried from scratch on
transient errors); a runner bound to an open connection runs every call in that transaction, so
a caller can group several repositories' work into one commit (`Store.transaction`) without the
repositories knowing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Executable, Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.engine import WRITE_OPTION, run_in_transaction, write_turn
from storage.records import as_utc, utcnow

T = TypeVar("T")
Params = Mapping[str, Any]
"""Values for a statement's bound parameters: hot statements are built once (see
`storage.boards`) and run with these."""


def now_or(now: datetime | None) -> datetime:
    """`now` in UTC, or the current time: every store call lets tests drive the clock."""
    return as_utc(now) if now is not None else utcnow()


class Runner:
    """Runs storage work on `engine`, or inside `connection`'s open transaction when given."""

    def __init__(
        self,
        engine: AsyncEngine,
        connection: AsyncConnection | None = None,
        *,
        writer: AsyncEngine | None = None,
    ) -> None:
        self.engine = engine
        self._connection = connection
        # Made once per store: each `execution_options` copy joins the engine's event
        # listeners again, which a runner bound to every transaction would pay per photo.
        self._writer = writer or engine.execution_options(**{WRITE_OPTION: True})

    async def read(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """Run `work` in a read transaction (or the open one)."""
        if self._connection is not None:
            return await work(self._connection)
        return await run_in_transaction(self.engine, work)

    async def write(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """Run `work` in a write transaction (or the open one); on SQLite it locks up front."""
        if self._connection is not None:
            return await work(self._connection)
        async with write_turn(self.engine):
            return await run_in_transaction(self._writer, work)

    async def atomic(self, work: Callable[[Runner], Awaitable[T]], *, ahead: bool = False) -> T:
        """Run `work` with a runner whose every call shares one write transaction.

        On a transient error the whole of `work` runs again, so it must not have effects
        outside the database that cannot be repeated. Nested calls join the open transaction.
        `ahead`: a short transaction others wait on, run before the queued ones
        (`storage.engine.WriteTurns`).
        """
        if self._connection is not None:
            return await work(self)

        async def bound(conn: AsyncConnection) -> T:
            return await work(Runner(self.engine, conn, writer=self._writer))

        async with write_turn(self.engine, ahead=ahead):
            return await run_in_transaction(self._writer, bound)

    async def first(self, query: Executable, params: Params | None = None) -> Row[Any] | None:
        async def work(conn: AsyncConnection) -> Row[Any] | None:
            return (await conn.execute(query, params)).first()

        return await self.read(work)

    async def all(self, query: Executable, params: Params | None = None) -> list[Row[Any]]:
        async def work(conn: AsyncConnection) -> list[Row[Any]]:
            return list((await conn.execute(query, params)).all())

        return await self.read(work)

    async def scalar(self, query: Executable, params: Params | None = None) -> Any:
        async def work(conn: AsyncConnection) -> Any:
            return (await conn.execute(query, params)).scalar_one()

        return await self.read(work)
