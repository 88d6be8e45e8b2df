"""Migrations: they build exactly the schema the models declare (on both databases), run at
start-up and from `selfiebot db upgrade`, and tolerate several processes starting at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, select, text
from typer.testing import CliRunner

from bot.cli import app
from storage import Store
from storage.engine import create_engine
from storage.migrate import MIGRATIONS_DIR, current_revision, head_revision, upgrade
from storage.schema import chats, metadata, standings, submissions, users
from tests.paths import REPO_ROOT
from tests.storage.support import BACKENDS, create_postgres_database, drop_postgres_database


@pytest.fixture(params=BACKENDS)
async def empty_url(request: pytest.FixtureRequest, tmp_path: Path):
    """A database nobody has migrated yet."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'nested' / 'fresh.db'}"
        return
    url = await create_postgres_database("selfiebot_mig")
    yield url
    await drop_postgres_database(url)


def _diffs(sync_conn) -> list:
    context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
    return compare_metadata(context, metadata)


async def test_migrations_match_the_models(empty_url: str):
    engine = create_engine(empty_url)
    try:
        assert await current_revision(engine) is None
        assert await upgrade(engine) == head_revision()
        async with engine.connect() as conn:
            diffs = await conn.run_sync(_diffs)
        assert diffs == [], f"models and migrations drifted apart: {diffs}"
    finally:
        await engine.dispose()


async def test_concurrent_startups_migrate_once(empty_url: str):
    stores = await asyncio.gather(*(Store.open(empty_url) for _ in range(4)))
    try:
        chat = await stores[1].chats.upsert("web", "board")
        assert (await stores[3].chats.get(chat.id)).platform_chat_id == "board"
        assert await current_revision(stores[0]._engine) == head_revision()
    finally:
        for store in stores:
            await store.close()


async def test_sqlite_connections_are_tuned(tmp_path: Path):
    store = await Store.open(f"sqlite:///{tmp_path / 'tuned.db'}")
    try:
        async with store._engine.connect() as conn:
            pragmas = {
                name: (await conn.execute(text(f"PRAGMA {name}"))).scalar_one()
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            }
        assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 30000}
        assert store.dialect == "sqlite"
    finally:
        await store.close()


async def test_standings_are_backfilled_from_existing_photos(empty_url: str):
    """A database from before revision 0002 gets standings built from the photos it holds."""
    engine = create_engine(empty_url)
    try:
        assert await upgrade(engine, "0001") == "0001"
        stamp = datetime(2026, 3, 1, 12, tzinfo=UTC)
        async with engine.begin() as conn:
            await conn.execute(
                insert(chats),
                [
                    {
                        "platform": "t",
                        "platform_chat_id": "c",
                        "title": None,
                        "is_private": False,
                        "season_days": 7,
                        "language": "en",
                        "duels_enabled": True,
                        "rate_limit_photos": 10,
                        "rate_limit_window_minutes": 10,
                        "auto_score": True,
                        "created_at": stamp,
                    }
                ],
            )
            await conn.execute(
                insert(users),
                [
                    {
                        "platform": "t",
                        "platform_user_id": f"u{i}",
                        "display_name": f"U{i}",
                        "username": None,
                        "username_key": None,
                        "language": None,
                        "created_at": stamp,
                        "updated_at": stamp,
                    }
                    for i in (1, 2)
                ],
            )
            rows = [
                (1, 40.0, 0, "scored"),
                (1, 80.0, 1, "scored"),
                (1, 80.0, 2, "scored"),
                (2, 60.0, 3, "scored"),
                (2, 99.0, 4, "no_face"),
            ]
            await conn.execute(
                insert(submissions),
                [
                    {
                        "chat_id": 1,
                        "user_id": user,
                        "platform": "t",
                        "update_id": str(n),
                        "status": status,
                        "created_at": stamp + timedelta(minutes=n),
                        "score": score,
                        "emotions": {},
                        "quality": {},
                        "face_count": 1,
                        "model_version": "m",
                    }
                    for n, (user, score, _, status) in enumerate(rows)
                ],
            )
        assert await upgrade(engine) == head_revision()
        async with engine.connect() as conn:
            got = (await conn.execute(select(standings).order_by(standings.c.user_id))).all()
        assert [(r.user_id, r.best, r.best_at, r.photos, r.total, r.last_at) for r in got] == [
            (1, 80.0, stamp + timedelta(minutes=1), 3, 200.0, stamp + timedelta(minutes=2)),
            (2, 60.0, stamp + timedelta(minutes=3), 1, 60.0, stamp + timedelta(minutes=3)),
        ]
    finally:
        await engine.dispose()


async def test_in_memory_sqlite_keeps_one_database():
    """`sqlite:///:memory:` (handy for trying things) is one shared connection, not a pool of
    separate empty databases."""
    store = await Store.open("sqlite+aiosqlite:///:memory:")
    try:
        chat = await store.chats.upsert("web", "scratch")
        assert (await store.chats.get(chat.id)).platform_chat_id == "scratch"
    finally:
        await store.close()


def test_unsupported_database_is_refused():
    with pytest.raises(ValueError, match="unsupported database"):
        create_engine("mysql+aiomysql://u@h/db")


def test_migrations_ship_inside_the_package():
    assert (MIGRATIONS_DIR / "env.py").is_file()
    assert Path(MIGRATIONS_DIR).is_relative_to(REPO_ROOT / "storage")
    newest = max(path.name.split("_")[0] for path in (MIGRATIONS_DIR / "versions").glob("0*.py"))
    assert head_revision() == newest


def test_db_upgrade_command_creates_the_default_database(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("SELFIEBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("SELFIEBOT_DATABASE_URL", raising=False)
    from bot.settings import get_settings

    get_settings.cache_clear()
    runner = CliRunner()
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "data" / "selfiebot.db").is_file()
    assert f"revision {head_revision()}" in result.output

    current = runner.invoke(app, ["db", "current"])
    assert current.exit_code == 0
    assert f"database: {head_revision()}" in current.output


def test_db_upgrade_reports_an_unreachable_server_without_leaking_the_password():
    result = CliRunner().invoke(
        app, ["db", "upgrade", "--url", "postgresql://bot:hunter2@127.0.0.1:1/selfiebot"]
    )
    assert result.exit_code == 1
    assert "Could not upgrade" in result.output
    assert "hunter2" not in result.output
