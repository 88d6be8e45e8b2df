"""The one-trip SQLite cursor gives SQLAlchemy what aiosqlite's own cursor would: rows, row
counts, last row ids, errors, and one trip to the connection's thread per statement."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from storage import sqlite_driver
from storage.engine import create_engine

_metadata = MetaData()
_things = Table(
    "things",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(20), unique=True),
)


@pytest.fixture
async def engine(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(_metadata.create_all)
    yield engine
    await engine.dispose()


async def test_the_engine_runs_on_the_one_trip_connection(engine) -> None:
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        assert isinstance(raw.driver_connection, sqlite_driver.OneTripConnection)


async def test_rows_counts_and_ids_come_back_as_sqlalchemy_expects(engine) -> None:
    async with engine.begin() as conn:
        first = await conn.execute(insert(_things).values(name="ann"))
        assert first.inserted_primary_key == (1,)
        many = await conn.execute(insert(_things), [{"name": "bob"}, {"name": "cat"}])
        assert many.rowcount == 2
        changed = await conn.execute(
            update(_things).where(_things.c.name != "ann").values(name=_things.c.name + "!")
        )
        assert changed.rowcount == 2
        rows = (await conn.execute(select(_things.c.name).order_by(_things.c.id))).all()
        assert [row.name for row in rows] == ["ann", "bob!", "cat!"]
        assert (await conn.execute(text("SELECT 1 WHERE 0"))).first() is None
        streamed = await conn.stream(select(_things.c.id).order_by(_things.c.id))
        assert [row.id async for row in streamed] == [1, 2, 3]


async def test_a_statement_error_is_raised_and_the_connection_goes_on(engine) -> None:
    async with engine.connect() as conn:
        with pytest.raises(IntegrityError):
            async with conn.begin():
                await conn.execute(insert(_things).values(name="ann"))
                await conn.execute(insert(_things).values(name="ann"))
        assert (await conn.execute(select(_things.c.id))).all() == []


async def test_each_statement_is_one_trip_to_the_connection_thread(engine, monkeypatch) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
        trips = 0
        execute = sqlite_driver.OneTripConnection._execute

        async def counted(self, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
            nonlocal trips
            trips += 1
            return await execute(self, fn, *args, **kwargs)

        monkeypatch.setattr(sqlite_driver.OneTripConnection, "_execute", counted)
        for _ in range(5):
            await conn.execute(select(_things.c.id))
        assert trips == 5


def test_connect_passes_sqlite_options(tmp_path) -> None:
    connection = sqlite_driver.connect(str(tmp_path / "x.db"), timeout=1.5)
    assert connection._thread.daemon
    opened = connection._connector()
    try:
        assert isinstance(opened, sqlite3.Connection)
    finally:
        opened.close()
