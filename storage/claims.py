"""Claims on platform deliveries: exactly one process handles, and answers, each update.

Telegram re-sends a webhook update it thinks failed, load balancers retry, and several processes
share one database, so copies of one update can arrive at once in different processes. Before
handling a delivery a process claims its `processed_updates` row: the row's primary key makes the
first INSERT win, and a later copy either finds a live claim (it is dropped), an answered update
(dropped), or an expired claim whose owner died before any reply went out (it is retaken by one
conditional UPDATE that only one racer can win, on SQLite and PostgreSQL alike).

Replies are fenced: `start_sending` marks the row as "reply going out" only while the caller
still owns it, in the step right before the platform call, so a process that retakes the claim
after a crash can tell that a reply may already be posted and never sends a second one.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.convert import upsert_insert
from storage.records import as_utc
from storage.runner import Runner, now_or
from storage.schema import last_photos, processed_updates, submissions

_p = processed_updates.c
_KEY = (_p.platform == bindparam("key_platform"), _p.update_id == bindparam("key_update"))
"""The delivery's row; the parameters are not named after the columns an UPDATE sets."""


@cache
def _claim_new(dialect: str) -> Any:
    return (
        upsert_insert(dialect, processed_updates).on_conflict_do_nothing().returning(_p.update_id)
    )


_RETAKE = (
    update(processed_updates)
    .where(
        *_KEY,
        _p.answered_at.is_(None),
        _p.sending_at.is_(None),
        or_(_p.lease_until.is_(None), _p.lease_until < bindparam("now")),
    )
    .values(owner=bindparam("claimant"), lease_until=bindparam("until"))
    .returning(_p.update_id)
)
_PROGRESS = select(_p.answered_at, _p.sending_at).where(*_KEY)
_START_SENDING = (
    update(processed_updates)
    .where(*_KEY, _p.owner == bindparam("claimant"), _p.answered_at.is_(None))
    .values(sending_at=func.coalesce(_p.sending_at, bindparam("now", type_=_p.sending_at.type)))
    .returning(_p.update_id)
)


class ClaimState(enum.StrEnum):
    """What `UpdateClaims.claim` found."""

    TAKEN = "taken"
    """The caller owns the update now (first copy, or a dead owner's lease expired)."""
    BUSY = "busy"
    """Another live handler owns it: acknowledge the copy and drop it."""
    DONE = "done"
    """Answered already, or a reply may have gone out before its handler died: drop it."""


@dataclass(frozen=True)
class Claim:
    """The outcome of one claim attempt; `owner` is the token that proves ownership."""

    platform: str
    update_id: str
    state: ClaimState
    owner: str
    retaken: bool = False

    @property
    def taken(self) -> bool:
        return self.state is ClaimState.TAKEN

    @property
    def first_claim(self) -> bool:
        """This attempt created the delivery's row: no copy of it was ever claimed before."""
        return self.taken and not self.retaken


def new_owner(process: str) -> str:
    """A token unique to one handling of one delivery (never shared between two copies)."""
    return f"{process[:31]}:{uuid.uuid4().hex}"


class UpdateClaims:
    """Claims, fences and releases deliveries in the game's database."""

    def __init__(self, runner: Runner) -> None:
        self._run = runner

    async def claim(
        self,
        platform: str,
        update_id: str,
        owner: str,
        *,
        lease: timedelta,
        now: datetime | None = None,
    ) -> Claim:
        """Take the delivery for `owner` for `lease`, unless someone else holds or answered it."""
        now = now_or(now)
        until = now + lease
        new = {
            "platform": platform,
            "update_id": update_id,
            "created_at": now,
            "owner": owner,
            "lease_until": until,
        }
        key = {"key_platform": platform, "key_update": update_id}

        async def work(conn: AsyncConnection) -> Claim:
            inserted = (await conn.execute(_claim_new(conn.dialect.name), new)).first()
            if inserted is not None:
                return Claim(platform, update_id, ClaimState.TAKEN, owner)
            retake = {**key, "now": now, "claimant": owner, "until": until}
            retaken = (await conn.execute(_RETAKE, retake)).first()
            if retaken is not None:
                return Claim(platform, update_id, ClaimState.TAKEN, owner, retaken=True)
            row = (await conn.execute(_PROGRESS, key)).one()
            done = row.answered_at is not None or row.sending_at is not None
            return Claim(platform, update_id, ClaimState.DONE if done else ClaimState.BUSY, owner)

        return await self._run.write(work)

    async def start_sending(
        self, platform: str, update_id: str, owner: str, *, now: datetime | None = None
    ) -> bool:
        """Record that the reply is going out; False when `owner` lost the claim (send nothing).

        Losing it means the lease ran out and another process retook the update: that process
        answers instead.
        """
        now = now_or(now)

        params = {"key_platform": platform, "key_update": update_id, "claimant": owner, "now": now}

        async def work(conn: AsyncConnection) -> bool:
            return (await conn.execute(_START_SENDING, params)).first() is not None

        return await self._run.write(work)

    async def release(self, platform: str, update_id: str, owner: str) -> None:
        """Give a claim up before any reply went out, so a re-delivery is handled at once."""

        async def work(conn: AsyncConnection) -> None:
            await conn.execute(
                update(processed_updates)
                .where(
                    _p.platform == platform,
                    _p.update_id == update_id,
                    _p.owner == owner,
                    _p.sending_at.is_(None),
                    _p.answered_at.is_(None),
                )
                .values(owner=None, lease_until=None)
            )

        await self._run.write(work)


@dataclass(frozen=True)
class KeptPhoto:
    """Where a user's last photo can be fetched, and its analysis when the submission is kept."""

    handle: str
    stored_at: datetime
    analysis: Mapping[str, Any] | None


@cache
def _remember_photo(dialect: str) -> Any:
    insert_ = upsert_insert(dialect, last_photos)
    new = insert_.excluded
    return insert_.on_conflict_do_update(
        index_elements=["platform", "platform_user_id"],
        set_={"handle": new.handle, "stored_at": new.stored_at, "submission_id": new.submission_id},
    )


class LastPhotos:
    """The platform handle of each user's last scored photo (for `/tips` in any process)."""

    def __init__(self, runner: Runner) -> None:
        self._run = runner

    async def remember(
        self,
        platform: str,
        platform_user_id: str,
        handle: str,
        *,
        submission_id: int | None = None,
        now: datetime | None = None,
    ) -> None:
        """Keep the handle of the user's newest photo and the submission that analysed it."""
        values = {
            "platform": platform,
            "platform_user_id": platform_user_id,
            "handle": handle,
            "stored_at": now_or(now),
            "submission_id": submission_id,
        }

        async def work(conn: AsyncConnection) -> None:
            await conn.execute(_remember_photo(conn.dialect.name), values)

        await self._run.write(work)

    async def get(self, platform: str, platform_user_id: str) -> KeptPhoto | None:
        """The user's last photo on record (with its stored analysis), or None."""

        async def work(conn: AsyncConnection) -> KeptPhoto | None:
            row = (
                await conn.execute(
                    select(last_photos.c.handle, last_photos.c.stored_at, submissions.c.analysis)
                    .outerjoin(submissions, submissions.c.id == last_photos.c.submission_id)
                    .where(
                        last_photos.c.platform == platform,
                        last_photos.c.platform_user_id == platform_user_id,
                    )
                )
            ).first()
            if row is None:
                return None
            return KeptPhoto(row.handle, as_utc(row.stored_at), row.analysis)

        return await self._run.read(work)

    async def forget(self, platform: str, platform_user_id: str) -> None:
        """Drop the handle now (`/forgetme`)."""

        async def work(conn: AsyncConnection) -> None:
            await conn.execute(
                last_photos.delete().where(
                    last_photos.c.platform == platform,
                    last_photos.c.platform_user_id == platform_user_id,
                )
            )

        await self._run.write(work)
