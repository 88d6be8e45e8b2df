"""Ids are never reused: SQLite tables whose ids leave the database get AUTOINCREMENT.

Without it SQLite gives a deleted row's id to the next insert, so a user who ran /forgetme
had their id handed to the next new user, and anything still naming that id (an announcement
queued earlier, an export, a button) pointed at someone else. SQLite can only add AUTOINCREMENT
by rebuilding the table; rows and ids are copied as they are, and the sequence starts after
the largest id present. PostgreSQL sequences never reuse ids: nothing changes there.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 07:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("users", "chats", "submissions", "seasons", "achievements", "duels", "announcements")


def _rebuild(autoincrement: bool) -> None:
    """Recreate each table from its reflected definition (indexes, partial indexes and foreign
    keys included) with or without AUTOINCREMENT. `storage.migrate` runs this with foreign
    keys off, so dropping a parent does not cascade into its children, and checks them all
    before committing."""
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
        ):
            pass


def upgrade() -> None:
    _rebuild(autoincrement=True)


def downgrade() -> None:
    _rebuild(autoincrement=False)
