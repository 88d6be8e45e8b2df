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
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage import schema
from storage.boards import scored_in, window_params
from storage.convert import (
    rating_record,
    reaction_record,
    season_record,
    submission_record,
    upsert_insert,
    user_record,
)
from storage.engine import WRITE_OPTION
from storage.records import (
    DailyScore,
    DuelRating,
    ReactionRecord,
    Season,
    SubmissionRecord,
    SubmissionStatus,
    UpdateState,
    UserRecord,
    Window,
    as_utc,
)
from storage.repository import Store
from storage.runner import now_or
from storage.schema import (
    metadata,
    processed_updates,
    submissions,
    users,
)
from storage.streaks import daily_summaries
from storage.submissions import of_user

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


@asynccontextmanager
async def separate_stores(backend: str, tmp_path: Path, count: int) -> AsyncIterator[list[Store]]:
    """`count` independent Stores (own engine and pool each) on one fresh database: stand-ins
    for separate bot processes. The first migrates it; all are closed on exit."""
    url = await database_url(backend, tmp_path)
    opened = [await Store.open(url)]
    try:
        opened += [await Store.open(url, migrate=False) for _ in range(count - 1)]
        yield opened
    finally:
        for store in opened:
            await store.close()


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


# --- queries only the tests make (the game itself never needs them) -----------------------


async def get_user_by_platform_id(
    store: Store, platform: str, platform_user_id: str
) -> UserRecord | None:
    row = await store.runner.first(
        select(users).where(
            users.c.platform == platform, users.c.platform_user_id == platform_user_id
        )
    )
    return user_record(row) if row is not None else None


async def get_submission_by_bot_message(
    store: Store, chat_id: int, bot_message_id: str
) -> SubmissionRecord | None:
    """The submission whose result message is `bot_message_id` in that chat."""
    row = await store.runner.first(
        select(submissions)
        .where(submissions.c.chat_id == chat_id, submissions.c.bot_message_id == bot_message_id)
        .order_by(submissions.c.id.desc())
        .limit(1)
    )
    return submission_record(row) if row is not None else None


async def count_submissions(
    store: Store,
    chat_id: int,
    user_id: int,
    *,
    since: datetime | None = None,
    statuses: Sequence[SubmissionStatus] = (SubmissionStatus.SCORED,),
) -> int:
    """How many of the user's submissions in the chat since `since` (rate limits)."""
    query = select(func.count()).where(*of_user(statuses))
    if since is not None:
        query = query.where(submissions.c.created_at >= as_utc(since))
    return int(await store.runner.scalar(query, {"chat_id": chat_id, "user_id": user_id}))


async def last_submission(
    store: Store,
    chat_id: int,
    user_id: int,
    *,
    statuses: Sequence[SubmissionStatus] = (SubmissionStatus.SCORED,),
) -> SubmissionRecord | None:
    """The user's most recent submission in the chat (for `/tips`)."""
    row = await store.runner.first(
        select(submissions)
        .where(*of_user(statuses))
        .order_by(submissions.c.created_at.desc(), submissions.c.id.desc())
        .limit(1),
        {"chat_id": chat_id, "user_id": user_id},
    )
    return submission_record(row) if row is not None else None


async def daily_scores(
    store: Store,
    chat_id: int,
    user_id: int,
    *,
    window: Window | None = None,
) -> list[DailyScore]:
    """The user's scored photos grouped per UTC day, oldest day first."""
    window = window or Window()
    rows = await store.runner.all(
        select(submissions.c.created_at, submissions.c.score)
        .where(*scored_in(window.bounds), submissions.c.user_id == user_id)
        .order_by(submissions.c.created_at),
        window_params(chat_id, window),
    )
    return daily_summaries((row.created_at, row.score) for row in rows)


async def seasons(store: Store, chat_id: int, *, limit: int = 20) -> list[Season]:
    """The chat's seasons, newest first."""
    rows = await store.runner.all(
        select(schema.seasons)
        .where(schema.seasons.c.chat_id == chat_id)
        .order_by(schema.seasons.c.number.desc())
        .limit(limit)
    )
    return [season_record(row) for row in rows]


async def duel_ratings(store: Store, chat_id: int, *, limit: int = 10) -> list[DuelRating]:
    """The chat's best duellists, highest rating first."""
    rows = await store.runner.all(
        select(schema.duel_ratings)
        .where(schema.duel_ratings.c.chat_id == chat_id)
        .order_by(schema.duel_ratings.c.rating.desc(), schema.duel_ratings.c.user_id)
        .limit(limit)
    )
    return [rating_record(row, chat_id, row.user_id) for row in rows]


async def reactions(store: Store, submission_id: int) -> list[ReactionRecord]:
    """Reactions on a submission, oldest first."""
    rows = await store.runner.all(
        select(schema.reactions)
        .where(schema.reactions.c.submission_id == submission_id)
        .order_by(
            schema.reactions.c.created_at, schema.reactions.c.user_id, schema.reactions.c.emoji
        )
    )
    return [reaction_record(row) for row in rows]


async def reaction_counts(store: Store, submission_id: int) -> dict[str, int]:
    """emoji -> how many people put it on the submission."""
    rows = await store.runner.all(
        select(schema.reactions.c.emoji, func.count().label("n"))
        .where(schema.reactions.c.submission_id == submission_id)
        .group_by(schema.reactions.c.emoji)
    )
    return {row.emoji: int(row.n) for row in rows}


async def begin_update(
    store: Store, platform: str, update_id: str, *, now: datetime | None = None
) -> UpdateState:
    """Note that the game starts on a delivery; say whether it is new, pending or answered.

    Racing deliveries of one update both see NEW at most once: the primary key decides.
    """
    now = now_or(now)
    p = processed_updates.c

    async def work(conn: AsyncConnection) -> UpdateState:
        inserted = (
            await conn.execute(
                upsert_insert(conn.dialect.name, processed_updates)
                .values(platform=platform, update_id=update_id, created_at=now)
                .on_conflict_do_nothing()
                .returning(p.update_id)
            )
        ).first()
        if inserted is not None:
            return UpdateState.NEW
        answered = (
            await conn.execute(
                select(p.answered_at).where(p.platform == platform, p.update_id == update_id)
            )
        ).scalar_one()
        return UpdateState.PENDING if answered is None else UpdateState.ANSWERED

    return await store.runner.write(work)


@contextmanager
def counting_transactions(engine: AsyncEngine) -> Iterator[list[str]]:
    """Count the transactions begun on `engine` while the block runs (one entry per BEGIN).

    SQLAlchemy fires `begin` once per transaction, retried ones included, whatever the driver.
    """
    begun: list[str] = []

    def on_begin(conn: Connection) -> None:
        begun.append("write" if conn.get_execution_options().get(WRITE_OPTION) else "read")

    event.listen(engine.sync_engine, "begin", on_begin)
    try:
        yield begun
    finally:
        event.remove(engine.sync_engine, "begin", on_begin)
