"""Badges (achievements): awarded once per player per chat, listed oldest first."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import (
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.convert import (
    achievement_record,
    upsert_insert,
)
from storage.records import (
    AchievementRecord,
)
from storage.runner import Runner, now_or
from storage.schema import (
    achievements,
)


class Badges:
    """Badges, each given at most once per player per chat."""

    def __init__(self, runner: Runner) -> None:
        self._run = runner

    async def award(
        self,
        user_id: int,
        chat_id: int,
        code: str,
        *,
        details: Mapping[str, Any] | None = None,
        now: datetime | None = None,
    ) -> AchievementRecord | None:
        """Give a badge once per user per chat: the new record, or None if they already had it."""
        now = now_or(now)

        async def work(conn: AsyncConnection) -> AchievementRecord | None:
            insert = upsert_insert(conn.dialect.name, achievements).values(
                user_id=user_id,
                chat_id=chat_id,
                code=code,
                earned_at=now,
                details=dict(details or {}),
            )
            row = (
                await conn.execute(
                    insert.on_conflict_do_nothing(
                        index_elements=["user_id", "chat_id", "code"]
                    ).returning(*achievements.c)
                )
            ).first()
            return achievement_record(row) if row is not None else None

        return await self._run.write(work)

    async def held(self, user_id: int, chat_id: int) -> list[AchievementRecord]:
        """The user's badges in the chat, oldest first."""
        rows = await self._run.all(
            select(achievements)
            .where(achievements.c.user_id == user_id, achievements.c.chat_id == chat_id)
            .order_by(achievements.c.earned_at, achievements.c.id)
        )
        return [achievement_record(row) for row in rows]
