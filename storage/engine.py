"""Engines tuned per database: SQLite gets WAL, foreign keys, a busy timeout and up-front write
locks; both get a retry for the transient errors concurrency can raise."""

from __future__ import annotations

import asyncio
import contextlib
import random
import weakref
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from storage import sqlite_driver
from storage.convert import SQLITE_HAMMING, sqlite_hamming

T = TypeVar("T")

WRITE_OPTION = "selfiebot_write"
"""Execution option marking transactions that will write: on SQLite they BEGIN IMMEDIATE."""

SCHEMA_CHANGE_OPTION = "selfiebot_schema_change"
"""Execution option for migrations: on SQLite foreign keys are off for that transaction, because
rebuilding a parent table (the only way to change some of its DDL) would otherwise cascade the
implicit DELETE of its DROP into every child table. `storage.migrate` checks every foreign key
before committing, and the connection gets them back when it returns to the pool."""

SQLITE_BUSY_TIMEOUT_MS = 30_000
RETRY_ATTEMPTS = 8
_PG_TRANSIENT = {"40001", "40P01"}  # serialization failure, deadlock detected


def normalize_url(url: str) -> URL:
    """Accept `sqlite:///x`, `postgresql://...` and `postgres://...` by picking async drivers."""
    parsed = make_url(url)
    driver = parsed.drivername
    if driver == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif driver in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise ValueError(f"unsupported database {backend!r}: use SQLite or PostgreSQL")
    return parsed


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An async engine for `url`; for a SQLite file its folder is created first."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, echo=echo)
    return create_async_engine(parsed, echo=echo, pool_pre_ping=True)


def _sqlite_engine(url: URL, *, echo: bool) -> AsyncEngine:
    database = url.database or ""
    in_memory = database in ("", ":memory:") or "mode=memory" in database
    pool: dict[str, Any] = {}
    if not in_memory:
        if not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        # Writers queue for one lock anyway; a small pool and a long wait beat many threads.
        pool = {"pool_size": 5, "max_overflow": 5, "pool_timeout": 120}

    def open_connection() -> sqlite_driver.OneTripConnection:
        # The arguments SQLAlchemy would pass to aiosqlite for this URL.
        (database, *_), options = engine.sync_engine.dialect.create_connect_args(url)
        options["timeout"] = SQLITE_BUSY_TIMEOUT_MS / 1000
        return sqlite_driver.connect(database, **options)

    # No rollback when a connection goes back to the pool: every use is a `Connection`, which
    # ends its own transaction on close, so the pool's rollback was one more trip to the
    # connection's thread per transaction (taken inside the writers' turn), for nothing.
    engine = create_async_engine(
        url, echo=echo, async_creator=open_connection, pool_reset_on_return=None, **pool
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        dbapi_connection.create_function(SQLITE_HAMMING, 2, sqlite_hamming, deterministic=True)

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A writer that starts deferred and upgrades later can fail with SQLITE_BUSY at once
        # (the busy handler is skipped to avoid deadlock); taking the write lock at BEGIN makes
        # writers wait their turn under busy_timeout instead.
        options = conn.get_execution_options()
        if options.get(SCHEMA_CHANGE_OPTION, False):
            # PRAGMA foreign_keys is ignored inside a transaction, so it goes before BEGIN.
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.info[SCHEMA_CHANGE_OPTION] = True
        immediate = options.get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    @event.listens_for(engine.sync_engine, "checkin")
    def _on_checkin(dbapi_connection: Any, record: Any) -> None:
        if record is not None and record.info.pop(SCHEMA_CHANGE_OPTION, False):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

    return engine


class WriteTurns:
    """The turns of one process's SQLite writers: first come, first served, except that a
    transaction asked to go `ahead` passes the queue (it still waits for the one running).

    SQLite's busy handler makes a writer that finds the database locked sleep 1, 2, 5, ... up
    to 100 ms between tries, so with many writers waiting the lock often sits free while they
    sleep; queued here, the next writer begins as soon as the last one commits (other
    processes still meet the busy handler). PostgreSQL's writers run concurrently (row locks),
    so it has no turns.
    """

    def __init__(self) -> None:
        self._busy = False
        self._ahead: deque[asyncio.Future[None]] = deque()
        self._queue: deque[asyncio.Future[None]] = deque()

    @contextlib.asynccontextmanager
    async def turn(self, *, ahead: bool = False) -> AsyncIterator[None]:
        await self._take(ahead)
        try:
            yield
        finally:
            self._hand_on()

    async def _take(self, ahead: bool) -> None:
        if not self._busy:
            self._busy = True
            return
        waiting = asyncio.get_running_loop().create_future()
        (self._ahead if ahead else self._queue).append(waiting)
        try:
            await waiting
        except asyncio.CancelledError:
            if waiting.done() and not waiting.cancelled():
                self._hand_on()  # the turn came as the waiter was cancelled: pass it on
            raise

    def _hand_on(self) -> None:
        for lane in (self._ahead, self._queue):
            while lane:
                waiting = lane.popleft()
                if not waiting.done():  # a cancelled waiter is skipped
                    waiting.set_result(None)
                    return
        self._busy = False


_write_turns: weakref.WeakKeyDictionary[Any, tuple[asyncio.AbstractEventLoop, WriteTurns]] = (
    weakref.WeakKeyDictionary()
)


@contextlib.asynccontextmanager
async def write_turn(engine: AsyncEngine, *, ahead: bool = False) -> AsyncIterator[None]:
    """This process's turn to write on `engine` (`WriteTurns`); on PostgreSQL at once."""
    if engine.dialect.name != "sqlite":
        yield
        return
    loop = asyncio.get_running_loop()
    known = _write_turns.get(engine.sync_engine)
    if known is None or known[0] is not loop:
        known = _write_turns[engine.sync_engine] = (loop, WriteTurns())
    async with known[1].turn(ahead=ahead):
        yield


def is_transient(exc: BaseException) -> bool:
    """Errors a retry cures: SQLite lock contention, PostgreSQL serialization and deadlocks."""
    if not isinstance(exc, DBAPIError):
        return False
    message = str(exc.orig).lower()
    if "database is locked" in message or "database is busy" in message:
        return True
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return code in _PG_TRANSIENT or any(f"sqlstate={c}" in message for c in _PG_TRANSIENT)


async def run_in_transaction(
    engine: AsyncEngine, work: Callable[[AsyncConnection], Awaitable[T]]
) -> T:
    """Run `work` in one transaction, retrying it from scratch on transient errors."""
    for attempt in range(RETRY_ATTEMPTS):
        try:
            async with engine.begin() as conn:
                return await work(conn)
        except DBAPIError as exc:
            if attempt == RETRY_ATTEMPTS - 1 or not is_transient(exc):
                raise
            await asyncio.sleep(min(2.0, 0.02 * 2**attempt) * (0.5 + random.random()))
    raise AssertionError("unreachable")
