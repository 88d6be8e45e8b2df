"""Leaderboard and rank queries, shared by `Store` methods and the season rollover (which
must compute the final board inside its own transaction).

Each query is built once per shape (metric, which ends of the window are set) and run with
its values as parameters: building a board's CTEs costs more Python than running them, and a
photo's count reads the season board once or twice.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.records import Leaderboard, LeaderboardEntry, Metric, SubmissionStatus, Window
from storage.schema import standings, submissions, users

s = submissions
st = standings

Bounds = tuple[bool, bool]
"""Which ends of a window a query filters on (`Window.bounds`)."""


def uses_standings(window: Window, metric: Metric) -> bool:
    """All-time best and count boards come from the running totals, not from every photo."""
    return window.since is None and window.until is None and metric in (Metric.BEST, Metric.COUNT)


def scored_in(bounds: Bounds) -> list[ColumnElement[bool]]:
    """WHERE terms for the scored photos of chat `:chat_id` inside a window (`:since`,
    `:until` where `bounds` says the window has them); `window_params` gives the values."""
    terms: list[ColumnElement[bool]] = [
        s.c.chat_id == bindparam("chat_id"),
        s.c.status == SubmissionStatus.SCORED.value,
        s.c.score.is_not(None),
    ]
    has_since, has_until = bounds
    if has_since:
        terms.append(s.c.created_at >= bindparam("since"))
    if has_until:
        terms.append(s.c.created_at < bindparam("until"))
    return terms


def window_params(chat_id: int, window: Window) -> dict[str, Any]:
    """The parameters of `scored_in(window.bounds)`."""
    params: dict[str, Any] = {"chat_id": chat_id}
    if window.since is not None:
        params["since"] = window.since
    if window.until is not None:
        params["until"] = window.until
    return params


def _standing_order(metric: Metric) -> tuple[Any, Any]:
    """(value, reached_at) columns of the standings table for a metric."""
    if metric is Metric.BEST:
        return st.c.best, st.c.best_at
    return st.c.photos, st.c.last_at


@cache
def _standings_rank_query(metric: Metric) -> Select[Any]:
    """(players, ahead by value, ahead by tie) for `:value` reached at `:reached_at` by
    `:user_id`, from index range counts on the standings rather than a pass over every player
    of the chat."""
    value_col, at_col = _standing_order(metric)
    in_chat = st.c.chat_id == bindparam("chat_id")
    value: BindParameter[Any] = bindparam("value")
    reached_at: BindParameter[Any] = bindparam("reached_at")
    tied_ahead = and_(
        value_col == value,
        or_(
            at_col < reached_at,
            and_(at_col == reached_at, st.c.user_id < bindparam("user_id")),
        ),
    )
    return select(
        select(func.count()).where(in_chat).scalar_subquery(),
        select(func.count()).where(in_chat, value_col > value).scalar_subquery(),
        select(func.count()).where(in_chat, tied_ahead).scalar_subquery(),
    )


async def _standings_rank(
    conn: AsyncConnection,
    chat_id: int,
    metric: Metric,
    value: Any,
    reached_at: Any,
    user_id: int,
) -> tuple[int, int]:
    """(players, players ahead) under the tie rules."""
    params = {"chat_id": chat_id, "value": value, "reached_at": reached_at, "user_id": user_id}
    row = (await conn.execute(_standings_rank_query(metric), params)).one()
    return int(row[0]), int(row[1]) + int(row[2])


_STANDING_COLUMNS = (st, users.c.display_name, users.c.username)


@cache
def _standings_top_query(metric: Metric) -> Select[Any]:
    value_col, at_col = _standing_order(metric)
    return (
        select(*_STANDING_COLUMNS)
        .join(users, users.c.id == st.c.user_id)
        .where(st.c.chat_id == bindparam("chat_id"))
        .order_by(value_col.desc(), at_col, st.c.user_id)
        .limit(bindparam("limit", type_=Integer))
    )


_STANDING_OF_USER = (
    select(*_STANDING_COLUMNS)
    .join(users, users.c.id == st.c.user_id)
    .where(st.c.chat_id == bindparam("chat_id"), st.c.user_id == bindparam("user_id"))
)
_STANDINGS_PLAYERS = select(func.count()).where(st.c.chat_id == bindparam("chat_id"))


async def _standings_board(
    conn: AsyncConnection,
    chat_id: int,
    *,
    metric: Metric,
    limit: int,
    viewer_user_id: int | None,
) -> Leaderboard:
    chat = {"chat_id": chat_id}
    top = (await conn.execute(_standings_top_query(metric), {**chat, "limit": limit})).all()
    entries = [_standing_entry(rank, row, metric) for rank, row in enumerate(top, start=1)]
    viewer = next((e for e in entries if e.user_id == viewer_user_id), None)
    if viewer is None and viewer_user_id is not None:
        user = {**chat, "user_id": viewer_user_id}
        row = (await conn.execute(_STANDING_OF_USER, user)).first()
        if row is not None:
            value, reached_at = _standing_value(row, metric)
            _, ahead = await _standings_rank(
                conn, chat_id, metric, value, reached_at, viewer_user_id
            )
            viewer = _standing_entry(ahead + 1, row, metric)
    players = (await conn.execute(_STANDINGS_PLAYERS, chat)).scalar_one()
    return Leaderboard(
        chat_id=chat_id,
        window=Window(),
        metric=metric,
        top_n=1,
        entries=tuple(entries),
        viewer=viewer,
        players=int(players),
    )


def _standing_value(row: Any, metric: Metric) -> tuple[Any, Any]:
    return (row.best, row.best_at) if metric is Metric.BEST else (row.photos, row.last_at)


def _standing_entry(rank: int, row: Any, metric: Metric) -> LeaderboardEntry:
    value, reached_at = _standing_value(row, metric)
    return _entry(row, rank, value, reached_at)


def _entry(row: Any, rank: int, value: Any, achieved_at: Any) -> LeaderboardEntry:
    """A board line from a row carrying the player (user_id, names) and their photos and best."""
    return LeaderboardEntry(
        rank=rank,
        user_id=row.user_id,
        display_name=row.display_name,
        username=row.username,
        value=float(value),
        photos=row.photos,
        best=float(row.best),
        achieved_at=achieved_at,
    )


@cache
def _players_query(bounds: Bounds) -> Select[Any]:
    return select(func.count(func.distinct(s.c.user_id))).where(*scored_in(bounds))


async def count_players(conn: AsyncConnection, chat_id: int, window: Window) -> int:
    """How many people have a scored photo in the chat inside the window."""
    query = _players_query(window.bounds)
    return int((await conn.execute(query, window_params(chat_id, window))).scalar_one())


def _per_user(bounds: Bounds, metric: Metric) -> Select[Any]:
    """One row per player: value, when it was reached, best score and photo count.

    "When it was reached" decides ties: for BEST the first photo with that score, for
    AVERAGE the latest of the `:top_n` best photos, for COUNT the latest photo.
    """
    if metric is Metric.BEST:
        return _best_per_user(bounds)
    ranked = (
        select(
            s.c.user_id,
            s.c.score,
            s.c.created_at,
            func.row_number()
            .over(partition_by=s.c.user_id, order_by=(s.c.score.desc(), s.c.created_at, s.c.id))
            .label("rn"),
            func.count().over(partition_by=s.c.user_id).label("photos"),
        )
        .where(*scored_in(bounds))
        .cte("ranked")
    )
    if metric is Metric.AVERAGE:
        value: ColumnElement[Any] = func.avg(ranked.c.score)
        keep = ranked.c.rn <= bindparam("top_n", type_=Integer)
    else:
        value = func.max(ranked.c.photos)
        keep = None
    query = select(
        ranked.c.user_id,
        value.label("value"),
        func.max(ranked.c.created_at).label("achieved_at"),
        func.max(ranked.c.score).label("best"),
        func.max(ranked.c.photos).label("photos"),
    ).group_by(ranked.c.user_id)
    return query.where(keep) if keep is not None else query


def _best_per_user(bounds: Bounds) -> Select[Any]:
    """The BEST rows of `_per_user` from two grouped passes over the covering index (each
    player's best and photo count, then when each first reached it) instead of numbering every
    photo of the window: the season board is read with every photo, and a busy season holds
    thousands (`benchmarks/bench_web_photo_cost.py --season-photos`)."""
    best = (
        select(s.c.user_id, func.max(s.c.score).label("value"), func.count().label("photos"))
        .where(*scored_in(bounds))
        .group_by(s.c.user_id)
        .cte("best")
    )
    first = (
        select(s.c.user_id, func.min(s.c.created_at).label("achieved_at"))
        .join(best, and_(best.c.user_id == s.c.user_id, best.c.value == s.c.score))
        .where(*scored_in(bounds))
        .group_by(s.c.user_id)
        .cte("first_best")
    )
    return select(
        best.c.user_id,
        best.c.value,
        first.c.achieved_at,
        best.c.value.label("best"),
        best.c.photos,
    ).join(first, first.c.user_id == best.c.user_id)


@cache
def _board_query(bounds: Bounds, metric: Metric) -> Select[Any]:
    """The lines ranked `:limit` or better, and the line of `:viewer` (NULL: nobody's)."""
    per_user = _per_user(bounds, metric).cte("per_user")
    ranked = select(
        per_user,
        func.row_number()
        .over(order_by=(per_user.c.value.desc(), per_user.c.achieved_at, per_user.c.user_id))
        .label("rank"),
        func.count().over().label("players"),
    ).cte("board")
    top = ranked.c.rank <= bindparam("limit", type_=Integer)
    wanted = or_(top, ranked.c.user_id == bindparam("viewer"))
    return (
        select(ranked, users.c.display_name, users.c.username)
        .join(users, users.c.id == ranked.c.user_id)
        .where(wanted)
        .order_by(ranked.c.rank)
    )


async def leaderboard(
    conn: AsyncConnection,
    chat_id: int,
    *,
    window: Window,
    metric: Metric,
    limit: int,
    viewer_user_id: int | None,
    top_n: int,
) -> Leaderboard:
    """The board: top `limit` lines and the viewer's line, ranks distinct and deterministic."""
    if limit < 0 or top_n < 1:
        raise ValueError("limit must be >= 0 and top_n >= 1")
    if uses_standings(window, metric):
        board = await _standings_board(
            conn, chat_id, metric=metric, limit=limit, viewer_user_id=viewer_user_id
        )
        return replace(board, top_n=top_n)
    params = {
        **window_params(chat_id, window),
        "limit": limit,
        "viewer": viewer_user_id,
        "top_n": top_n,
    }
    rows = (await conn.execute(_board_query(window.bounds, metric), params)).all()
    entries = [_entry(row, row.rank, row.value, row.achieved_at) for row in rows]
    players = rows[0].players if rows else await count_players(conn, chat_id, window)
    viewer = next((e for e in entries if e.user_id == viewer_user_id), None)
    return Leaderboard(
        chat_id=chat_id,
        window=window,
        metric=metric,
        top_n=top_n,
        entries=tuple(e for e in entries if e.rank <= limit),
        viewer=viewer,
        players=players,
    )


@cache
def _best_rank_query(bounds: Bounds) -> Select[Any]:
    """(players, players ahead) of `:user_id` whose best `:best` was first reached at
    `:reached_at`, under the board's tie rules, in one grouped pass over the window."""
    best: BindParameter[Any] = bindparam("best")
    reached_at: BindParameter[Any] = bindparam("reached_at")
    first_at_best = func.min(case((s.c.score == best, s.c.created_at)))
    per_user = (
        select(
            s.c.user_id,
            func.max(s.c.score).label("best"),
            first_at_best.label("first_at"),
        )
        .where(*scored_in(bounds))
        .group_by(s.c.user_id)
        .subquery()
    )
    beats = or_(
        per_user.c.best > best,
        and_(
            per_user.c.best == best,
            or_(
                per_user.c.first_at < reached_at,
                and_(per_user.c.first_at == reached_at, per_user.c.user_id < bindparam("user_id")),
            ),
        ),
    )
    return select(func.count(), func.coalesce(func.sum(case((beats, 1), else_=0)), 0)).select_from(
        per_user
    )


async def best_rank(
    conn: AsyncConnection,
    chat_id: int,
    user_id: int,
    *,
    window: Window,
    best: float,
    reached_at: datetime,
) -> tuple[int, int]:
    """(rank, players) of a user on the best-score board without building the board: an
    index range on the standings for all time, one grouped pass over the window otherwise."""
    if uses_standings(window, Metric.BEST):
        players, ahead = await _standings_rank(
            conn, chat_id, Metric.BEST, best, reached_at, user_id
        )
        return ahead + 1, players
    params = {
        **window_params(chat_id, window),
        "user_id": user_id,
        "best": best,
        "reached_at": reached_at,
    }
    row = (await conn.execute(_best_rank_query(window.bounds), params)).one()
    players, ahead = row
    return int(ahead) + 1, int(players)
