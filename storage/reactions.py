"""Reactions: who put which emoji on a photo (the taste model counts them)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    delete,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.convert import (
    upsert_insert,
)
from storage.runner import Runner, now_or
from storage.schema import (
    reactions,
)


class Reactions:
    """Named reactions on scored photos and their results."""

    def __init__(self, runner: Runner) -> None:
        self._run = runner

    async def add(
        self, submission_id: int, user_id: int, emoji: str, *, now: datetime | None = None
    ) -> bool:
        """Remember a reaction; False if that user already had that emoji on it."""
        now = now_or(now)

        async def work(conn: AsyncConnection) -> bool:
            insert = upsert_insert(conn.dialect.name, reactions).values(
                submission_id=submission_id, user_id=user_id, emoji=emoji, created_at=now
            )
            row = (
                await conn.execute(insert.on_conflict_do_nothing().returning(reactions.c.emoji))
            ).first()
            return row is not None

        return await self._run.write(work)

    async def remove(self, submission_id: int, user_id: int, emoji: str) -> bool:
        """Forget a reaction; False if there was none."""

        async def work(conn: AsyncConnection) -> bool:
            result = await conn.execute(
                delete(reactions).where(
                    reactions.c.submission_id == submission_id,
                    reactions.c.user_id == user_id,
                    reactions.c.emoji == emoji,
                )
            )
            return bool(result.rowcount)

        return await self._run.write(work)
