"""SQLite through aiosqlite, with one trip to the connection's thread per statement.

aiosqlite runs every sqlite3 call on the connection's own thread and hands each result back
through the event loop. SQLAlchemy's adapter makes four such calls for every statement (open a
cursor, execute, fetch the rows, close it), and one trip costs about 50 µs of CPU across the
two threads, far more than SQLite itself spends on the game's statements: a photo's three
transactions paid about 7 ms for them (`benchmarks/bench_web_photo_cost.py`). The cursor here
does the four in one trip and keeps what SQLAlchemy reads afterwards (rows, description, row
count, last row id).

It relies on `aiosqlite.Connection._execute` (run a function on the connection's thread),
which aiosqlite's own cursor uses and SQLAlchemy's adapter already reaches past the public API
for; `pyproject.toml` pins the aiosqlite versions this was checked against, and the whole test
suite runs through it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

import aiosqlite

_Outcome = tuple[list[Any], Any, int, int | None]
"""(rows, description, rowcount, lastrowid) of one execution."""


def _run(connection: sqlite3.Connection, execute: Callable[[sqlite3.Cursor], object]) -> _Outcome:
    """On the connection's thread: execute, fetch everything, close the cursor."""
    cursor = connection.cursor()
    try:
        execute(cursor)
        rows = cursor.fetchall() if cursor.description else []
        return rows, cursor.description, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneTripCursor:
    """What SQLAlchemy's aiosqlite adapter calls on a cursor, each statement one trip."""

    def __init__(self, connection: OneTripConnection) -> None:
        self._connection = connection
        self._rows: list[Any] = []
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    async def __aenter__(self) -> OneTripCursor:
        """SQLAlchemy enters each new cursor (aiosqlite's opens its sqlite3 cursor there)."""
        return self

    async def _trip(self, execute: Callable[[sqlite3.Cursor], object]) -> OneTripCursor:
        connection = self._connection
        outcome: _Outcome = await connection._execute(  # type: ignore[no-untyped-call]
            lambda: _run(connection._conn, execute)
        )
        self._rows, self.description, self.rowcount, self.lastrowid = outcome
        return self

    async def execute(self, sql: str, parameters: Any = None) -> OneTripCursor:
        return await self._trip(lambda cursor: cursor.execute(sql, parameters or ()))

    async def executemany(self, sql: str, parameters: Sequence[Any]) -> OneTripCursor:
        return await self._trip(lambda cursor: cursor.executemany(sql, parameters))

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        count = self.arraysize if size is None else size
        taken, self._rows = self._rows[:count], self._rows[count:]
        return taken

    async def fetchall(self) -> list[Any]:
        taken, self._rows = self._rows, []
        return taken

    async def close(self) -> None:
        self._rows = []


class OneTripConnection(aiosqlite.Connection):
    """An aiosqlite connection whose cursors run each statement in one trip."""

    def cursor(self) -> OneTripCursor:  # type: ignore[override]
        return OneTripCursor(self)


def connect(database: str, **kwargs: Any) -> OneTripConnection:
    """Like `aiosqlite.connect`: `kwargs` go to `sqlite3.connect` on the connection's thread."""

    def connector() -> sqlite3.Connection:
        connection: sqlite3.Connection = sqlite3.connect(database, **kwargs)
        return connection

    connection = OneTripConnection(connector, iter_chunk_size=64)
    # As SQLAlchemy does for aiosqlite's own connections: a forgotten connection must not
    # keep the process alive at exit.
    connection._thread.daemon = True
    return connection
