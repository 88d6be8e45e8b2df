"""Seasons: the open season of each chat and its exactly-once rollover into the next.

The rollover stores the winner, opens the next season and queues the results announcement in
one transaction, so whichever process wins the race does all of it and the others nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import (
    func,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import boards
from storage.convert import (
    season_record,
    upsert_insert,
)
from storage.outbox import enqueue
from storage.records import (
    Leaderboard,
    Metric,
    Season,
    SeasonRollover,
    Window,
)
from storage.runner import Runner, now_or
from storage.schema import (
    chats,
    seasons,
)

SEASON_RESULTS = "season_results"
"""Announcement kind queued by `Seasons.rollover`; its payload is described in `_season_payload`."""


def _season_payload(closed: Season, following: Season, board: Leaderboard) -> dict[str, Any]:
    """What the season-results announcement carries: ids and numbers only, so the core
    renders it in the chat's language at delivery time (and a forgotten user's name is gone)."""
    return {
        "season_id": closed.id,
        "number": closed.number,
        "starts_at": closed.starts_at.isoformat(),
        "closed_at": closed.closed_at.isoformat() if closed.closed_at else None,
        "winner_user_id": closed.winner_user_id,
        "metric": board.metric.value,
        "players": board.players,
        "board": [
            {"rank": e.rank, "user_id": e.user_id, "value": e.value, "photos": e.photos}
            for e in board.entries
        ],
        "next_season_id": following.id,
        "next_number": following.number,
        "next_ends_at": following.ends_at.isoformat(),
    }


class SeasonPolicy(Protocol):
    """The game's season rules (`bot.core.rules.SEASONS`), applied here inside the transactions
    that open and roll over seasons, where the chat's season length is read."""

    @property
    def winner_metric(self) -> Metric:
        """The board whose top player wins the season."""
        ...

    def closes_at(self, season: Season, now: datetime, *, force: bool) -> datetime:
        """When `season`, being rolled over at `now`, ends (the next one starts there)."""
        ...

    def ends_at(self, starts_at: datetime, days: int, now: datetime) -> datetime:
        """When a season starting at `starts_at` in a chat with `days`-day seasons ends."""
        ...


class Seasons:
    """Each chat's seasons: the open one, the due ones, and the exactly-once rollover."""

    def __init__(self, runner: Runner) -> None:
        self._run = runner

    async def current(
        self, chat_id: int, *, rules: SeasonPolicy, now: datetime | None = None
    ) -> Season:
        """The chat's open season, starting season 1 now if the chat has none yet.

        May be past its `ends_at` until someone rolls it over (see `due_seasons`).
        """
        now = now_or(now)
        open_season = select(seasons).where(
            seasons.c.chat_id == chat_id, seasons.c.closed_at.is_(None)
        )
        row = await self._run.first(open_season)
        if row is not None:
            return season_record(row)

        async def work(conn: AsyncConnection) -> Season:
            days = (
                await conn.execute(select(chats.c.season_days).where(chats.c.id == chat_id))
            ).scalar_one_or_none()
            if days is None:
                raise LookupError(f"no chat with id {chat_id}")
            last = (
                await conn.execute(
                    select(func.coalesce(func.max(seasons.c.number), 0)).where(
                        seasons.c.chat_id == chat_id
                    )
                )
            ).scalar_one()
            # Two processes may both get here: the open-season unique index lets one insert win and
            # the other's insert turn into a no-op, after which both read the same row.
            await conn.execute(
                upsert_insert(conn.dialect.name, seasons)
                .values(
                    chat_id=chat_id,
                    number=last + 1,
                    starts_at=now,
                    ends_at=rules.ends_at(now, days, now),
                )
                .on_conflict_do_nothing()
            )
            return season_record((await conn.execute(open_season)).one())

        return await self._run.write(work)

    async def get(self, season_id: int) -> Season | None:
        row = await self._run.first(select(seasons).where(seasons.c.id == season_id))
        return season_record(row) if row is not None else None

    async def due(self, *, now: datetime | None = None, limit: int = 100) -> list[Season]:
        """Open seasons whose end has passed, in any chat (the scheduler's work list)."""
        rows = await self._run.all(
            select(seasons)
            .where(seasons.c.closed_at.is_(None), seasons.c.ends_at <= now_or(now))
            .order_by(seasons.c.ends_at, seasons.c.id)
            .limit(limit)
        )
        return [season_record(row) for row in rows]

    async def rollover(
        self,
        season_id: int,
        *,
        rules: SeasonPolicy,
        now: datetime | None = None,
        force: bool = False,
        board_limit: int = 10,
    ) -> SeasonRollover | None:
        """Close the season and open the next one, exactly once across processes.

        Only closes a due season unless `force` (admin reset). `rules` say where it closes,
        which board crowns the winner and when the next season (starting where this one
        closed, lasting the chat's `season_days`) ends. The winner is stored and a
        `season_results` announcement queued, all in one transaction. Whoever loses the race
        (or finds the season already closed / not due) gets None.
        """
        now = now_or(now)

        async def work(conn: AsyncConnection) -> SeasonRollover | None:
            row = (await conn.execute(select(seasons).where(seasons.c.id == season_id))).first()
            if row is None:
                return None
            season = season_record(row)
            if not season.is_open or (not force and season.ends_at > now):
                return None
            closed_at = rules.closes_at(season, now, force=force)
            claimed = await conn.execute(
                update(seasons)
                .where(seasons.c.id == season_id, seasons.c.closed_at.is_(None))
                .values(closed_at=closed_at)
            )
            if claimed.rowcount != 1:
                return None
            board = await boards.leaderboard(
                conn,
                season.chat_id,
                window=Window(season.starts_at, closed_at),
                metric=rules.winner_metric,
                limit=board_limit,
                viewer_user_id=None,
                top_n=3,
            )
            winner = board.entries[0].user_id if board.entries else None
            closed_row = (
                await conn.execute(
                    update(seasons)
                    .where(seasons.c.id == season_id)
                    .values(winner_user_id=winner)
                    .returning(*seasons.c)
                )
            ).one()
            days = (
                await conn.execute(select(chats.c.season_days).where(chats.c.id == season.chat_id))
            ).scalar_one()
            ends_at = rules.ends_at(closed_at, days, now)
            next_row = (
                await conn.execute(
                    insert(seasons)
                    .values(
                        chat_id=season.chat_id,
                        number=season.number + 1,
                        starts_at=closed_at,
                        ends_at=ends_at,
                    )
                    .returning(*seasons.c)
                )
            ).one()
            closed, following = season_record(closed_row), season_record(next_row)
            announcement_id = await enqueue(
                conn,
                season.chat_id,
                SEASON_RESULTS,
                _season_payload(closed, following, board),
                dedupe_key=f"{SEASON_RESULTS}:{season_id}",
                due_at=now,
                now=now,
            )
            assert announcement_id is not None
            return SeasonRollover(closed, following, board, announcement_id)

        return await self._run.write(work)
