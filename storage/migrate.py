"""Alembic, configured in code so the migrations ship inside the package (no alembic.ini)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.engine import SCHEMA_CHANGE_OPTION, WRITE_OPTION, run_in_transaction

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_PG_MIGRATION_LOCK = 0x5E1F1EB0
"""Advisory lock id: processes starting together migrate one after the other."""


def alembic_config(connection: Connection | None = None) -> Config:
    """A Config pointing at the packaged scripts; `connection` is handed to env.py."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    """The newest revision the code knows."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _upgrade(connection: Connection, revision: str) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
    command.upgrade(alembic_config(connection), revision)
    if connection.dialect.name == "sqlite":
        # Foreign keys were off while tables were rebuilt (`SCHEMA_CHANGE_OPTION`): a
        # migration that broke one must not commit.
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"migration left rows pointing nowhere: {broken[:5]}")


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def upgrade(engine: AsyncEngine, revision: str = "head") -> str | None:
    """Bring the database to `revision` in one transaction; returns the revision now applied.

    On SQLite the write lock taken at BEGIN, and on PostgreSQL an advisory lock, make
    concurrent start-ups queue instead of creating tables twice.
    """
    writer = engine.execution_options(**{WRITE_OPTION: True, SCHEMA_CHANGE_OPTION: True})

    async def work(conn: AsyncConnection) -> str | None:
        await conn.run_sync(_upgrade, revision)
        return await conn.run_sync(_current)

    return await run_in_transaction(writer, work)


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at (None: never migrated)."""
    async with engine.connect() as conn:
        return await conn.run_sync(_current)
