"""Standings: leaderboards and a player's statistics, read from the scored submissions."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    Select,
    bindparam,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import boards
from storage.boards import Bounds, scored_in, window_params
from storage.convert import (
    achievement_record,
)
from storage.records import (
    Leaderboard,
    Metric,
    UserStats,
    Window,
)
from storage.runner import Runner
from storage.schema import (
    achievements,
    submissions,
)


@cache
def _photo_scores_query(bounds: Bounds) -> Select[Any]:
    """(created_at, score) of `:user_id`'s scored photos in the window, oldest first."""
    return (
        select(submissions.c.created_at, submissions.c.score)
        .where(*scored_in(bounds), submissions.c.user_id == bindparam("user_id"))
        .order_by(submissions.c.created_at, submissions.c.id)
    )


@cache
def _best_per_user_query(bounds: Bounds) -> Select[Any]:
    return (
        select(submissions.c.user_id, func.max(submissions.c.score).label("best"))
        .where(*scored_in(bounds))
        .group_by(submissions.c.user_id)
    )


_BADGES_OF_USER = (
    select(achievements)
    .where(
        achievements.c.user_id == bindparam("user_id"),
        achievements.c.chat_id == bindparam("chat_id"),
    )
    .order_by(achievements.c.earned_at, achievements.c.id)
)


class Standings:
    """Boards and per-player statistics over any window of time."""

    def __init__(self, runner: Runner) -> None:
        self._run = runner

    async def leaderboard(
        self,
        chat_id: int,
        *,
        window: Window | None = None,
        metric: Metric = Metric.BEST,
        limit: int = 10,
        viewer_user_id: int | None = None,
        top_n: int = 3,
    ) -> Leaderboard:
        """The chat's top `limit` players for the window and metric, plus the viewer's line.

        Ranks are distinct: equal values are ordered by who reached them first, then by user id.
        `top_n` is N for `Metric.AVERAGE`.
        """

        async def work(conn: AsyncConnection) -> Leaderboard:
            return await boards.leaderboard(
                conn,
                chat_id,
                window=window or Window(),
                metric=metric,
                limit=limit,
                viewer_user_id=viewer_user_id,
                top_n=top_n,
            )

        return await self._run.read(work)

    async def user_stats(
        self,
        chat_id: int,
        user_id: int,
        *,
        window: Window | None = None,
    ) -> UserStats:
        """Best, average, count, the UTC days played (streaks: `bot.core.rules`), badges and
        rank in the chat."""
        window = window or Window()

        async def work(conn: AsyncConnection) -> UserStats:
            params = {**window_params(chat_id, window), "user_id": user_id}
            rows = (await conn.execute(_photo_scores_query(window.bounds), params)).all()
            badge_rows = (await conn.execute(_BADGES_OF_USER, params)).all()
            badge_list = tuple(achievement_record(row) for row in badge_rows)
            if not rows:
                players = await boards.count_players(conn, chat_id, window)
                return UserStats(
                    user_id, chat_id, window, 0, None, None, None, (), None, players, badge_list
                )
            best = max(row.score for row in rows)
            reached_at = next(row.created_at for row in rows if row.score == best)
            rank, players = await boards.best_rank(
                conn, chat_id, user_id, window=window, best=best, reached_at=reached_at
            )
            return UserStats(
                user_id=user_id,
                chat_id=chat_id,
                window=window,
                count=len(rows),
                best=best,
                average=sum(row.score for row in rows) / len(rows),
                last_at=rows[-1].created_at,
                days=tuple(sorted({row.created_at.date() for row in rows})),
                rank=rank,
                players=players,
                badges=badge_list,
            )

        return await self._run.read(work)

    async def photo_scores(
        self, chat_id: int, user_id: int, *, window: Window | None = None
    ) -> list[tuple[datetime, float]]:
        """(created_at, score) of the user's scored photos in the window, oldest first: what a
        photo's badges need (count, best before it, days played) in one statement, where
        `user_stats` also reads the badges and ranks the player."""
        window = window or Window()
        params = {**window_params(chat_id, window), "user_id": user_id}
        rows = await self._run.all(_photo_scores_query(window.bounds), params)
        return [(row.created_at, row.score) for row in rows]

    async def best_per_user(
        self, chat_id: int, *, window: Window | None = None
    ) -> dict[int, float]:
        """user id -> best score in the window (e.g. this week vs last week for improvement)."""
        window = window or Window()
        rows = await self._run.all(
            _best_per_user_query(window.bounds), window_params(chat_id, window)
        )
        return {row.user_id: float(row.best) for row in rows}
