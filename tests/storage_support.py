"""Database fixtures for the storage tests: every test runs on SQLite and on PostgreSQL.

PostgreSQL comes from SELFIEBOT_TEST_POSTGRES_URL (`.ci/run` starts a throw-away server). Without
it the PostgreSQL variants skip, unless SELFIEBOT_REQUIRE_POSTGRES=1 (CI), where they fail.
Each test run gets its own database (created here, dropped at exit) and each test starts from
empty tables, so runs never see each other's rows.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import URL, make_url

from storage.schema import metadata

PG_URL_ENV = "SELFIEBOT_TEST_POSTGRES_URL"
REQUIRE_ENV = "SELFIEBOT_REQUIRE_POSTGRES"

BACKENDS = ("sqlite", pytest.param("postgresql", marks=pytest.mark.postgres))

_session_database: str | None = None


def postgres_base_url() -> URL:
    """The configured server, or skip (fail when CI requires PostgreSQL)."""
    raw = os.environ.get(PG_URL_ENV)
    if not raw:
        message = f"{PG_URL_ENV} is unset: PostgreSQL tests need a server"
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{message}, and {REQUIRE_ENV}=1 forbids skipping them")
        pytest.skip(message)
    return make_url(raw).set(drivername="postgresql+asyncpg")


def _dsn(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def _on_server(statement: str) -> None:
    """Run one statement on the configured server's own database (CREATE/DROP DATABASE)."""
    admin = await asyncpg.connect(_dsn(postgres_base_url()))
    try:
        await admin.execute(statement)
    finally:
        await admin.close()


async def create_postgres_database(prefix: str = "selfiebot_t") -> str:
    """A new empty database on the configured server; returns its SQLAlchemy URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    await _on_server(f'CREATE DATABASE "{name}"')
    return postgres_base_url().set(database=name).render_as_string(hide_password=False)


async def drop_postgres_database(url: str) -> None:
    await _on_server(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


def _drop_session_database() -> None:
    if _session_database is not None:
        asyncio.run(drop_postgres_database(_session_database))


async def _empty_tables(url: str) -> None:
    names = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
    conn = await asyncpg.connect(_dsn(make_url(url)))
    try:
        exists = await conn.fetchval("SELECT to_regclass('public.users') IS NOT NULL")
        if exists:
            await conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()


async def database_url(backend: str, tmp_path: Path) -> str:
    """An empty database for one test on `backend`."""
    global _session_database
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'game.db'}"
    if _session_database is None:
        _session_database = await create_postgres_database()
        atexit.register(_drop_session_database)
    await _empty_tables(_session_database)
    return _session_database


def record_kwargs(**overrides: Any) -> dict[str, Any]:
    """Analysis fields of a typical scored photo, for building NewSubmission."""
    values: dict[str, Any] = {
        "sha256": "ab" * 32,
        "popularity": 0.5,
        "emotions": {"happy": 0.7, "neutral": 0.3},
        "quality": {"brightness": 0.5, "sharpness": 0.8},
        "face_count": 1,
        "model_version": "test-1",
    }
    values.update(overrides)
    return values
