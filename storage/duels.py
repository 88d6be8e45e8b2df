"""Duels: pending -> active -> finished/expired/declined, each step one conditional UPDATE.

The settling itself (winner, ratings) lives in `storage.duel_ops`, shared by both ways a duel
ends: both players played, or the deadline passed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import (
    ColumnElement,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import duel_ops
from storage.convert import (
    duel_record,
    rating_record,
    upsert_insert,
)
from storage.records import (
    OPEN_DUEL_STATUSES,
    DuelEntryResult,
    DuelOutcome,
    DuelRating,
    DuelRecord,
    DuelStatus,
    as_utc,
)
from storage.runner import Runner, now_or
from storage.schema import (
    duel_ratings,
    duels,
)


class DuelPolicy(Protocol):
    """The game's duel rules (`bot.core.rules.DUELS`), applied here inside the transactions
    that settle duels, where both photos' scores and both ratings are read."""

    def winner(self, duel: DuelRecord) -> int | None:
        """Who wins a duel with at least one photo in, at its end (None: a draw)."""
        ...

    def rated(self, rating: float, other: float, outcome: float) -> tuple[float, float]:
        """Both ratings after a game; `outcome` is the first player's (1, 0.5 or 0)."""
        ...


async def _finish_by_rules(
    conn: AsyncConnection,
    duel: DuelRecord,
    rules: DuelPolicy,
    *,
    now: datetime,
    challenger_played: bool,
    opponent_played: bool,
) -> DuelOutcome | None:
    """Finish `duel` with the winner and ratings `rules` give, if it is still as the caller saw
    it (active, with these sides played): both ways a duel ends (the second photo, the
    deadline) settle it the same way."""
    return await duel_ops.finish(
        conn,
        duel,
        winner_user_id=rules.winner(duel),
        now=now,
        expect_challenger_played=challenger_played,
        expect_opponent_played=opponent_played,
        rated=rules.rated,
    )


class Duels:
    """Challenges between two players and the Elo ratings they move."""

    def __init__(self, runner: Runner) -> None:
        self._run = runner

    async def _update_duel(
        self, duel_id: int, conditions: Sequence[ColumnElement[bool]], **values: Any
    ) -> DuelRecord | None:
        """One conditional UPDATE of a duel: the new row, or None if the conditions failed."""

        async def work(conn: AsyncConnection) -> DuelRecord | None:
            row = (
                await conn.execute(
                    update(duels)
                    .where(duels.c.id == duel_id, *conditions)
                    .values(**values)
                    .returning(*duels.c)
                )
            ).first()
            return duel_record(row) if row is not None else None

        return await self._run.write(work)

    async def create(
        self,
        chat_id: int,
        challenger_id: int,
        opponent_id: int,
        *,
        expires_at: datetime,
        now: datetime | None = None,
    ) -> DuelRecord | None:
        """A pending challenge, or None if these two already have an open duel (either way round).

        Raises `ValueError` when someone challenges themselves.
        """
        if challenger_id == opponent_id:
            raise ValueError("a duel needs two different players")
        now = now_or(now)
        low, high = sorted((challenger_id, opponent_id))

        async def work(conn: AsyncConnection) -> DuelRecord | None:
            insert = upsert_insert(conn.dialect.name, duels).values(
                chat_id=chat_id,
                challenger_id=challenger_id,
                opponent_id=opponent_id,
                pair_key=f"{low}:{high}",
                status=DuelStatus.PENDING.value,
                created_at=now,
                expires_at=as_utc(expires_at),
            )
            row = (await conn.execute(insert.on_conflict_do_nothing().returning(*duels.c))).first()
            return duel_record(row) if row is not None else None

        return await self._run.write(work)

    async def get(self, duel_id: int) -> DuelRecord | None:
        row = await self._run.first(select(duels).where(duels.c.id == duel_id))
        return duel_record(row) if row is not None else None

    async def open_for(self, chat_id: int, user_id: int) -> list[DuelRecord]:
        """Pending and active duels the user is part of in the chat, oldest first."""
        rows = await self._run.all(
            select(duels)
            .where(
                duels.c.chat_id == chat_id,
                duels.c.status.in_([s.value for s in OPEN_DUEL_STATUSES]),
                or_(duels.c.challenger_id == user_id, duels.c.opponent_id == user_id),
            )
            .order_by(duels.c.created_at, duels.c.id)
        )
        return [duel_record(row) for row in rows]

    async def accept(
        self, duel_id: int, *, expires_at: datetime, now: datetime | None = None
    ) -> DuelRecord | None:
        """pending -> active (with a new deadline for the photos); None if no longer pending
        or already expired."""
        now = now_or(now)
        return await self._update_duel(
            duel_id,
            (duels.c.status == DuelStatus.PENDING.value, duels.c.expires_at > now),
            status=DuelStatus.ACTIVE.value,
            accepted_at=now,
            expires_at=as_utc(expires_at),
        )

    async def decline(self, duel_id: int, *, now: datetime | None = None) -> DuelRecord | None:
        """pending -> declined; None if it was not pending."""
        now = now_or(now)
        return await self._update_duel(
            duel_id,
            (duels.c.status == DuelStatus.PENDING.value,),
            status=DuelStatus.DECLINED.value,
            finished_at=now,
        )

    async def record_entry(
        self,
        duel_id: int,
        user_id: int,
        submission_id: int,
        score: float,
        *,
        rules: DuelPolicy,
        now: datetime | None = None,
    ) -> DuelEntryResult:
        """Count this photo for the user's side of an active duel (only their first counts).

        When both sides have played, the duel finishes in the same transaction: `rules` name
        the winner and move both ratings. Raises `LookupError` if the duel is unknown and
        `ValueError` if the user is not part of it.
        """
        now = now_or(now)

        async def work(conn: AsyncConnection) -> DuelEntryResult:
            row = (await conn.execute(select(duels).where(duels.c.id == duel_id))).first()
            if row is None:
                raise LookupError(f"no duel with id {duel_id}")
            duel = duel_record(row)
            if not duel.involves(user_id):
                raise ValueError(f"user {user_id} is not part of duel {duel_id}")
            if duel.status is not DuelStatus.ACTIVE or now >= duel.expires_at:
                return DuelEntryResult(duel, counted=False, outcome=None)
            side = "challenger" if user_id == duel.challenger_id else "opponent"
            entered = (
                await conn.execute(
                    update(duels)
                    .where(
                        duels.c.id == duel_id,
                        duels.c.status == DuelStatus.ACTIVE.value,
                        duels.c[f"{side}_submission_id"].is_(None),
                    )
                    .values({f"{side}_submission_id": submission_id, f"{side}_score": score})
                    .returning(*duels.c)
                )
            ).first()
            if entered is None:
                current = duel_record(
                    (await conn.execute(select(duels).where(duels.c.id == duel_id))).one()
                )
                return DuelEntryResult(current, counted=False, outcome=None)
            duel = duel_record(entered)
            if duel.challenger_score is None or duel.opponent_score is None:
                return DuelEntryResult(duel, counted=True, outcome=None)
            outcome = await _finish_by_rules(
                conn, duel, rules, now=now, challenger_played=True, opponent_played=True
            )
            return DuelEntryResult(outcome.duel if outcome else duel, counted=True, outcome=outcome)

        return await self._run.write(work)

    async def expire(self, *, rules: DuelPolicy, now: datetime | None = None) -> list[DuelOutcome]:
        """Settle duels past their deadline, each exactly once across processes.

        Pending, or active with nobody played -> expired. Active with one side played ->
        finished, with `rules` naming the winner and moving the ratings.
        """
        now = now_or(now)
        due = await self._run.all(
            select(duels.c.id).where(
                duels.c.status.in_([s.value for s in OPEN_DUEL_STATUSES]), duels.c.expires_at <= now
            )
        )
        outcomes: list[DuelOutcome] = []
        for (duel_id,) in due:

            async def work(conn: AsyncConnection, duel_id: int = duel_id) -> DuelOutcome | None:
                row = (await conn.execute(select(duels).where(duels.c.id == duel_id))).first()
                if row is None:
                    return None
                duel = duel_record(row)
                if duel.status not in OPEN_DUEL_STATUSES or duel.expires_at > now:
                    return None
                challenger = duel.challenger_submission_id is not None
                opponent = duel.opponent_submission_id is not None
                if duel.status is DuelStatus.PENDING or not (challenger or opponent):
                    return await duel_ops.expire(conn, duel, now=now)
                return await _finish_by_rules(
                    conn,
                    duel,
                    rules,
                    now=now,
                    challenger_played=challenger,
                    opponent_played=opponent,
                )

            outcome = await self._run.write(work)
            if outcome is not None:
                outcomes.append(outcome)
        return outcomes

    async def rating(self, chat_id: int, user_id: int) -> DuelRating:
        """The user's rating in the chat (1000 and no games if they never duelled)."""
        row = await self._run.first(
            select(duel_ratings).where(
                duel_ratings.c.chat_id == chat_id, duel_ratings.c.user_id == user_id
            )
        )
        return rating_record(row, chat_id, user_id)
