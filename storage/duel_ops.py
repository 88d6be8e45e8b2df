"""Finishing a duel inside a caller's transaction: the winner and both Elo ratings move
together, and only the transaction whose conditional UPDATE matched gets to do it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.convert import DEFAULT_RATING, duel_record, upsert_insert
from storage.records import DuelOutcome, DuelRecord, DuelStatus
from storage.schema import duel_ratings, duels

Rated = Callable[[float, float, float], tuple[float, float]]
"""Both ratings after a game, from both ratings before and the first player's result (1, 0.5
or 0): the game's rating rule (`bot.core.rules.DuelRules.rated`)."""


async def finish(
    conn: AsyncConnection,
    duel: DuelRecord,
    *,
    winner_user_id: int | None,
    now: datetime,
    expect_challenger_played: bool,
    expect_opponent_played: bool,
    rated: Rated,
) -> DuelOutcome | None:
    """active -> finished with `winner_user_id` (None: draw), if still in the state we saw.

    The WHERE repeats what the caller observed (status and which sides played), so a racer
    that changed the duel meanwhile makes this a no-op returning None.
    """
    d = duels.c
    played = (
        d.challenger_submission_id.is_not(None)
        if expect_challenger_played
        else d.challenger_submission_id.is_(None),
        d.opponent_submission_id.is_not(None)
        if expect_opponent_played
        else d.opponent_submission_id.is_(None),
    )
    row = (
        await conn.execute(
            update(duels)
            .where(d.id == duel.id, d.status == DuelStatus.ACTIVE.value, *played)
            .values(
                status=DuelStatus.FINISHED.value, winner_user_id=winner_user_id, finished_at=now
            )
            .returning(*duels.c)
        )
    ).first()
    if row is None:
        return None
    finished = duel_record(row)
    if winner_user_id is None:
        outcome = 0.5
    else:
        outcome = 1.0 if winner_user_id == finished.challenger_id else 0.0
    ratings = await _rate(conn, finished, outcome, now, rated)
    return DuelOutcome(duel=finished, ratings=ratings)


async def expire(conn: AsyncConnection, duel: DuelRecord, *, now: datetime) -> DuelOutcome | None:
    """pending/active with nobody played -> expired, if still so."""
    d = duels.c
    row = (
        await conn.execute(
            update(duels)
            .where(
                d.id == duel.id,
                d.status == duel.status.value,
                d.challenger_submission_id.is_(None),
                d.opponent_submission_id.is_(None),
            )
            .values(status=DuelStatus.EXPIRED.value, finished_at=now)
            .returning(*duels.c)
        )
    ).first()
    return DuelOutcome(duel=duel_record(row), ratings={}) if row is not None else None


async def _rate(
    conn: AsyncConnection, duel: DuelRecord, outcome_challenger: float, now: datetime, rated: Rated
) -> dict[int, tuple[float, float]]:
    """Move both ratings; rows are locked in user-id order so two finishing duels that share
    a player serialise instead of losing an update or deadlocking."""
    r = duel_ratings.c
    players = sorted((duel.challenger_id, duel.opponent_id))
    insert = upsert_insert(conn.dialect.name, duel_ratings).values(
        [
            {
                "chat_id": duel.chat_id,
                "user_id": user_id,
                "rating": DEFAULT_RATING,
                "wins": 0,
                "losses": 0,
                "draws": 0,
                "updated_at": now,
            }
            for user_id in players
        ]
    )
    await conn.execute(insert.on_conflict_do_nothing())
    rows = (
        await conn.execute(
            select(r.user_id, r.rating)
            .where(r.chat_id == duel.chat_id, r.user_id.in_(players))
            .order_by(r.user_id)
            .with_for_update()
        )
    ).all()
    before = {row.user_id: row.rating for row in rows}
    new_challenger, new_opponent = rated(
        before[duel.challenger_id], before[duel.opponent_id], outcome_challenger
    )
    after = {duel.challenger_id: new_challenger, duel.opponent_id: new_opponent}
    for user_id, score in (
        (duel.challenger_id, outcome_challenger),
        (duel.opponent_id, 1 - outcome_challenger),
    ):
        await conn.execute(
            update(duel_ratings)
            .where(r.chat_id == duel.chat_id, r.user_id == user_id)
            .values(
                rating=after[user_id],
                wins=r.wins + (1 if score == 1.0 else 0),
                losses=r.losses + (1 if score == 0.0 else 0),
                draws=r.draws + (1 if score == 0.5 else 0),
                updated_at=now,
            )
        )
    return {user_id: (before[user_id], after[user_id]) for user_id in players}
