"""The outbox: announcements queued once (by dedupe key) and delivered at least once.

A sender leases due rows; one that dies lets them be claimed again when the lease ends.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.convert import (
    upsert_insert,
)
from storage.records import (
    AnnouncementRecord,
    as_utc,
    utcnow,
)
from storage.runner import Runner, now_or
from storage.schema import (
    announcements,
    chats,
)


async def enqueue(
    conn: AsyncConnection,
    chat_id: int,
    kind: str,
    payload: Mapping[str, Any],
    *,
    dedupe_key: str,
    due_at: datetime,
    now: datetime,
) -> int | None:
    insert_ = upsert_insert(conn.dialect.name, announcements).values(
        chat_id=chat_id,
        kind=kind,
        payload=dict(payload),
        dedupe_key=dedupe_key,
        due_at=due_at,
        created_at=now,
        attempts=0,
    )
    return (
        await conn.execute(
            insert_.on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(
                announcements.c.id
            )
        )
    ).scalar_one_or_none()


class Outbox:
    """Announcements queued for chats, leased to one sender at a time."""

    def __init__(self, runner: Runner) -> None:
        self._run = runner

    async def enqueue(
        self,
        chat_id: int,
        kind: str,
        payload: Mapping[str, Any],
        *,
        dedupe_key: str,
        due_at: datetime | None = None,
    ) -> int | None:
        """Queue a message for a chat; None if `dedupe_key` was queued before (by anyone)."""
        now = utcnow()

        async def work(conn: AsyncConnection) -> int | None:
            return await enqueue(
                conn,
                chat_id,
                kind,
                payload,
                dedupe_key=dedupe_key,
                due_at=as_utc(due_at) if due_at is not None else now,
                now=now,
            )

        return await self._run.write(work)

    async def claim(
        self,
        worker: str,
        *,
        now: datetime | None = None,
        limit: int = 10,
        lease: timedelta = timedelta(minutes=5),
        platform: str | None = None,
    ) -> list[AnnouncementRecord]:
        """Atomically take due, unsent announcements for `worker` for `lease`.

        No two workers get the same row while the lease runs; a worker that dies without
        `mark_announcement_sent` lets the row be claimed again after the lease. `platform`:
        only announcements for chats on that platform (each adapter polls its own).
        """
        now = now_or(now)
        a = announcements.c
        claimable: tuple[ColumnElement[bool], ...] = (
            a.sent_at.is_(None),
            a.due_at <= now,
            or_(a.claimed_until.is_(None), a.claimed_until <= now),
        )
        if platform is not None:
            on_platform = select(chats.c.id).where(chats.c.platform == platform)
            claimable = (*claimable, a.chat_id.in_(on_platform.scalar_subquery()))

        async def work(conn: AsyncConnection) -> list[AnnouncementRecord]:
            # SKIP LOCKED lets concurrent PostgreSQL workers take different rows; the claim
            # conditions are repeated in the outer WHERE so a row claimed meanwhile is left alone.
            candidates = (
                select(a.id)
                .where(*claimable)
                .order_by(a.due_at, a.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            claimed = (
                (
                    await conn.execute(
                        update(announcements)
                        .where(a.id.in_(candidates.scalar_subquery()), *claimable)
                        .values(
                            claimed_by=worker, claimed_until=now + lease, attempts=a.attempts + 1
                        )
                        .returning(a.id)
                    )
                )
                .scalars()
                .all()
            )
            if not claimed:
                return []
            rows = (
                await conn.execute(
                    select(announcements, chats.c.platform, chats.c.platform_chat_id)
                    .join(chats, chats.c.id == a.chat_id)
                    .where(a.id.in_(claimed))
                    .order_by(a.due_at, a.id)
                )
            ).all()
            return [
                AnnouncementRecord(
                    id=row.id,
                    chat_id=row.chat_id,
                    platform=row.platform,
                    platform_chat_id=row.platform_chat_id,
                    kind=row.kind,
                    payload=dict(row.payload),
                    dedupe_key=row.dedupe_key,
                    due_at=row.due_at,
                    attempts=row.attempts,
                )
                for row in rows
            ]

        return await self._run.write(work)

    async def mark_sent(self, announcement_id: int, *, now: datetime | None = None) -> None:
        """Delivery done: the row is never claimed again."""
        now = now_or(now)

        async def work(conn: AsyncConnection) -> None:
            await conn.execute(
                update(announcements)
                .where(announcements.c.id == announcement_id)
                .values(sent_at=now, claimed_until=None, last_error=None)
            )

        await self._run.write(work)

    async def release(
        self, announcement_id: int, *, error: str, retry_at: datetime | None = None
    ) -> None:
        """Delivery failed: record why and let it be claimed again at `retry_at` (default now)."""
        values: dict[str, Any] = {
            "claimed_by": None,
            "claimed_until": None,
            "last_error": error[:2000],
        }
        if retry_at is not None:
            values["due_at"] = as_utc(retry_at)

        async def work(conn: AsyncConnection) -> None:
            await conn.execute(
                update(announcements)
                .where(announcements.c.id == announcement_id, announcements.c.sent_at.is_(None))
                .values(**values)
            )

        await self._run.write(work)
