"""Submissions: each photo's outcome, recorded once per delivery, and its player's standings.

The insert, the rate-limit count and the all-time standings move in one transaction, so
concurrent photos of one player cannot slip past the limit or lose a total.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    bindparam,
    case,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.boards import Bounds, scored_in, window_params
from storage.convert import (
    greatest,
    hamming,
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
from storage.types import phash_to_db


def of_user(statuses: Sequence[SubmissionStatus]) -> tuple[ColumnElement[bool], ...]:
    """WHERE terms for the submissions of `:user_id` in `:chat_id` with one of `statuses`."""
    return (
        submissions.c.chat_id == bindparam("chat_id"),
        submissions.c.user_id == bindparam("user_id"),
        submissions.c.status.in_([SubmissionStatus(s).value for s in statuses]),
    )


@cache
def _times_query(statuses: tuple[SubmissionStatus, ...]) -> Select[Any]:
    return (
        select(submissions.c.created_at)
        .where(*of_user(statuses), submissions.c.created_at >= bindparam("since"))
        .order_by(submissions.c.created_at)
    )


@cache
def _near_query(dialect: str, bounds: Bounds) -> Select[Any]:
    """Scored photos of the window within `:max_distance` bits of `:phash`, closest first
    (then oldest), at most `:limit`: the database measures the distance, so only matches
    come back however many photos the season holds."""
    distance = hamming(dialect, submissions.c.phash, bindparam("phash", type_=BigInteger))
    return (
        select(submissions, distance.label("distance"))
        .where(
            *scored_in(bounds),
            submissions.c.phash.is_not(None),
            distance <= bindparam("max_distance"),
        )
        .order_by(distance, submissions.c.id)
        .limit(bindparam("limit", type_=Integer))
    )


_BY_ID = select(submissions).where(submissions.c.id == bindparam("id"))
_BY_UPDATE = select(submissions).where(
    submissions.c.platform == bindparam("platform"),
    submissions.c.update_id == bindparam("update_id"),
)


@cache
def _add_to_standings(dialect: str) -> Any:
    """Fold a scored photo into its player's all-time totals (same transaction as the insert).

    SET expressions see the old row, so `best_at` is decided against the previous best.
    """
    st = standings.c
    insert_ = upsert_insert(dialect, standings)
    new = insert_.excluded
    return insert_.on_conflict_do_update(
        index_elements=["chat_id", "user_id"],
        set_={
            "best_at": case(
                (new.best > st.best, new.best_at),
                (new.best == st.best, least(dialect, new.best_at, st.best_at)),
                else_=st.best_at,
            ),
            "best": greatest(dialect, st.best, new.best),
            "photos": st.photos + 1,
            "total": st.total + new.total,
            "last_at": greatest(dialect, st.last_at, new.last_at),
        },
    )


@cache
def _insert_once(dialect: str) -> Any:
    """Insert a submission unless its delivery (platform, update_id) is recorded already."""
    insert_ = upsert_insert(dialect, submissions)
    return insert_.on_conflict_do_nothing(index_elements=["platform", "update_id"]).returning(
        *submissions.c
    )


_SET_BOT_MESSAGE = (
    update(submissions)
    .where(submissions.c.id == bindparam("submission_id"))
    .values(bot_message_id=bindparam("message"))
)


class Submissions:
    """Photos as recorded, exactly once per delivery, and the duplicates among them."""

    def __init__(self, runner: Runner) -> None:
        self._run = runner

    async def hold_sender(self, chat_id: int, user_id: int, *, now: datetime | None = None) -> None:
        """Queue behind any other transaction recording a photo of this sender in this chat.

        The membership row doubles as a per-sender lock on PostgreSQL: in a
        `Store.transaction`, what is read after this (the sender's recent photos, for the rate
        limit) cannot change before the transaction commits. A SQLite write transaction holds
        the database's write lock from its BEGIN IMMEDIATE already, so there it costs nothing.
        """

        async def work(conn: AsyncConnection) -> None:
            if conn.dialect.name != "sqlite":
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
        by_update = {"platform": new.platform, "update_id": new.update_id}

        async def work(conn: AsyncConnection) -> RecordResult:
            if not sender_held:
                await touch_membership(conn, new.chat_id, new.user_id, created_at)
            row = (await conn.execute(_insert_once(conn.dialect.name), values)).first()
            if row is None:
                # Re-delivered: the conflicting row is committed (ON CONFLICT waited for it).
                first = (await conn.execute(_BY_UPDATE, by_update)).one()
                return RecordResult(submission_record(first), created=False)
            recorded = submission_record(row)
            if recorded.status is SubmissionStatus.SCORED and recorded.score is not None:
                totals = {
                    "chat_id": recorded.chat_id,
                    "user_id": recorded.user_id,
                    "best": recorded.score,
                    "best_at": recorded.created_at,
                    "photos": 1,
                    "total": recorded.score,
                    "last_at": recorded.created_at,
                }
                await conn.execute(_add_to_standings(conn.dialect.name), totals)
            return RecordResult(recorded, created=True)

        return await self._run.write(work)

    async def get(self, submission_id: int) -> SubmissionRecord | None:
        row = await self._run.first(_BY_ID, {"id": submission_id})
        return submission_record(row) if row is not None else None

    async def by_update(self, platform: str, update_id: str) -> SubmissionRecord | None:
        """The row recorded for a delivery, so a re-delivered update skips the analysis."""
        row = await self._run.first(_BY_UPDATE, {"platform": platform, "update_id": update_id})
        return submission_record(row) if row is not None else None

    async def set_bot_message_id(self, submission_id: int, bot_message_id: str) -> None:
        """Remember the bot's reply message for a submission (reactions point at it)."""

        async def work(conn: AsyncConnection) -> None:
            params = {"submission_id": submission_id, "message": bot_message_id}
            await conn.execute(_SET_BOT_MESSAGE, params)

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
        params = {"chat_id": chat_id, "user_id": user_id, "since": as_utc(since)}
        rows = await self._run.all(_times_query(tuple(statuses)), params)
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
        window = window or Window()
        params = {
            **window_params(chat_id, window),
            "phash": phash_to_db(phash),  # refuses a hash that is not unsigned 64-bit
            "max_distance": max_distance,
            "limit": limit,
        }

        async def work(conn: AsyncConnection) -> list[DuplicateMatch]:
            query = _near_query(conn.dialect.name, window.bounds)
            rows = (await conn.execute(query, params)).all()
            return [DuplicateMatch(submission_record(row), row.distance) for row in rows]

        return await self._run.read(work)
