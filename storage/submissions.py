"""Submissions: each photo's outcome, recorded once per delivery, and its player's standings.

The insert, the rate-limit count and the all-time standings move in one transaction, so
concurrent photos of one player cannot slip past the limit or lose a total.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    case,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.boards import scored_in
from storage.convert import (
    greatest,
    least,
    submission_record,
    upsert_insert,
)
from storage.people import touch_membership
from storage.records import (
    DuplicateMatch,
    NewSubmission,
    RecordResult,
    SubmissionRecord,
    SubmissionStatus,
    Window,
    as_utc,
)
from storage.runner import Runner, now_or
from storage.schema import (
    standings,
    submissions,
)
from storage.types import phash_from_db, phash_to_db


def of_user(
    chat_id: int, user_id: int, statuses: Sequence[SubmissionStatus]
) -> tuple[ColumnElement[bool], ...]:
    return (
        submissions.c.chat_id == chat_id,
        submissions.c.user_id == user_id,
        submissions.c.status.in_([SubmissionStatus(s).value for s in statuses]),
    )


async def _add_to_standings(conn: AsyncConnection, row: SubmissionRecord) -> None:
    """Fold a scored photo into its player's all-time totals (same transaction as the insert).

    SET expressions see the old row, so `best_at` is decided against the previous best.
    """
    st = standings.c
    insert_ = upsert_insert(conn, standings).values(
        chat_id=row.chat_id,
        user_id=row.user_id,
        best=row.score,
        best_at=row.created_at,
        photos=1,
        total=row.score,
        last_at=row.created_at,
    )
    new = insert_.excluded
    await conn.execute(
        insert_.on_conflict_do_update(
            index_elements=["chat_id", "user_id"],
            set_={
                "best_at": case(
                    (new.best > st.best, new.best_at),
                    (new.best == st.best, least(conn, new.best_at, st.best_at)),
                    else_=st.best_at,
                ),
                "best": greatest(conn, st.best, new.best),
                "photos": st.photos + 1,
                "total": st.total + new.total,
                "last_at": greatest(conn, st.last_at, new.last_at),
            },
        )
    )


class Submissions:
    """Photos as recorded, exactly once per delivery, and the duplicates among them."""

    def __init__(self, runner: Runner) -> None:
        self._run = runner

    async def hold_sender(self, chat_id: int, user_id: int, *, now: datetime | None = None) -> None:
        """Queue behind any other transaction recording a photo of this sender in this chat.

        The membership row doubles as a per-sender lock on PostgreSQL (SQLite writers queue
        anyway): in a `Store.transaction`, what is read after this (the sender's recent photos,
        for the rate limit) cannot change before the transaction commits.
        """

        async def work(conn: AsyncConnection) -> None:
            await touch_membership(conn, chat_id, user_id, now_or(now))

        await self._run.write(work)

    async def record(self, new: NewSubmission, *, sender_held: bool = False) -> RecordResult:
        """Store a photo outcome exactly once per (platform, update_id).

        Re-delivery returns the original row with `created=False`. A scored photo joins its
        player's all-time standings in the same transaction. `sender_held`: this transaction
        called `hold_sender` already, which touched the sender's membership, so it is not
        written a second time.
        """
        created_at = now_or(new.created_at)
        values = {
            "chat_id": new.chat_id,
            "user_id": new.user_id,
            "platform": new.platform,
            "update_id": new.update_id,
            "status": SubmissionStatus(new.status).value,
            "created_at": created_at,
            "message_id": new.message_id,
            "bot_message_id": None,
            "sha256": new.sha256,
            "phash": phash_to_db(new.phash),
            "popularity": new.popularity,
            "score": new.score,
            "emotions": dict(new.emotions),
            "quality": dict(new.quality),
            "face_count": new.face_count,
            "model_version": new.model_version,
            "duplicate_of": new.duplicate_of,
            "analysis": dict(new.analysis) if new.analysis is not None else None,
        }
        by_update = (submissions.c.platform == new.platform) & (
            submissions.c.update_id == new.update_id
        )

        async def work(conn: AsyncConnection) -> RecordResult:
            if not sender_held:
                await touch_membership(conn, new.chat_id, new.user_id, created_at)
            insert = upsert_insert(conn, submissions).values(**values)
            row = (
                await conn.execute(
                    insert.on_conflict_do_nothing(
                        index_elements=["platform", "update_id"]
                    ).returning(*submissions.c)
                )
            ).first()
            if row is None:
                # Re-delivered: the conflicting row is committed (ON CONFLICT waited for it).
                first = (await conn.execute(select(submissions).where(by_update))).one()
                return RecordResult(submission_record(first), created=False)
            recorded = submission_record(row)
            if recorded.status is SubmissionStatus.SCORED and recorded.score is not None:
                await _add_to_standings(conn, recorded)
            return RecordResult(recorded, created=True)

        return await self._run.write(work)

    async def get(self, submission_id: int) -> SubmissionRecord | None:
        row = await self._run.first(select(submissions).where(submissions.c.id == submission_id))
        return submission_record(row) if row is not None else None

    async def by_update(self, platform: str, update_id: str) -> SubmissionRecord | None:
        """The row recorded for a delivery, so a re-delivered update skips the analysis."""
        row = await self._run.first(
            select(submissions).where(
                submissions.c.platform == platform, submissions.c.update_id == update_id
            )
        )
        return submission_record(row) if row is not None else None

    async def set_bot_message_id(self, submission_id: int, bot_message_id: str) -> None:
        """Remember the bot's reply message for a submission (reactions point at it)."""

        async def work(conn: AsyncConnection) -> None:
            await conn.execute(
                update(submissions)
                .where(submissions.c.id == submission_id)
                .values(bot_message_id=bot_message_id)
            )

        await self._run.write(work)

    async def times(
        self,
        chat_id: int,
        user_id: int,
        *,
        since: datetime,
        statuses: Sequence[SubmissionStatus] = (SubmissionStatus.SCORED,),
    ) -> list[datetime]:
        """When the user's submissions since `since` were made, oldest first.

        The rate-limit reply uses the oldest: try again when it leaves the window.
        """
        rows = await self._run.all(
            select(submissions.c.created_at)
            .where(*of_user(chat_id, user_id, statuses), submissions.c.created_at >= as_utc(since))
            .order_by(submissions.c.created_at)
        )
        return [row.created_at for row in rows]

    async def near_duplicates(
        self,
        chat_id: int,
        phash: int,
        *,
        max_distance: int,
        window: Window | None = None,
        limit: int = 5,
    ) -> list[DuplicateMatch]:
        """Scored submissions in the chat whose perceptual hash is within `max_distance` bits.

        Closest first, then oldest first. `window` limits the search (e.g. this season).
        """
        if not 0 <= max_distance <= 64:
            raise ValueError("max_distance must be between 0 and 64 bits")
        phash_to_db(phash)  # refuses a hash that is not unsigned 64-bit
        rows = await self._run.all(
            select(submissions.c.id, submissions.c.phash).where(
                *scored_in(chat_id, window or Window()), submissions.c.phash.is_not(None)
            )
        )
        close = sorted(
            (distance, row.id)
            for row in rows
            if (distance := (phash ^ phash_from_db(row.phash)).bit_count()) <= max_distance
        )[:limit]
        if not close:
            return []
        found = await self._run.all(
            select(submissions).where(submissions.c.id.in_([i for _, i in close]))
        )
        by_id = {row.id: submission_record(row) for row in found}
        return [DuplicateMatch(by_id[i], distance) for distance, i in close if i in by_id]
