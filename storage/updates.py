"""Processed updates: a delivery marked answered is dropped when the platform re-sends it.

Claiming a delivery before handling it lives in `storage.claims`.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    func,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.convert import upsert_insert
from storage.runner import Runner, now_or
from storage.schema import (
    processed_updates,
)


@cache
def _mark_answered(dialect: str) -> Any:
    insert_ = upsert_insert(dialect, processed_updates)
    answered_at = func.coalesce(processed_updates.c.answered_at, insert_.excluded.answered_at)
    return insert_.on_conflict_do_update(
        index_elements=["platform", "update_id"], set_={"answered_at": answered_at}
    )


class Updates:
    """Which platform deliveries have been answered."""

    def __init__(self, runner: Runner) -> None:
        self._run = runner

    async def mark_answered(
        self, platform: str, update_id: str, *, now: datetime | None = None
    ) -> None:
        """The reply to a delivery went out: a re-delivery will be ANSWERED from now on."""
        now = now_or(now)
        values = {
            "platform": platform,
            "update_id": update_id,
            "created_at": now,
            "answered_at": now,
        }

        async def work(conn: AsyncConnection) -> None:
            await conn.execute(_mark_answered(conn.dialect.name), values)

        await self._run.write(work)
