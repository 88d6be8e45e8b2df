"""`Store`: every read and write the game makes, as async methods over one database.

Correctness never rests on process-local state: uniqueness comes from constraints, "exactly
once" from conditional UPDATEs that only one racer can win, so several bot processes can share
one PostgreSQL database. Every `now`/`created_at` argument is optional (defaults to the current
UTC time) so tests can drive the clock.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Self, TypeVar

from sqlalchemy import (
    ColumnElement,
    Executable,
    Row,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage import boards, duel_ops, limits, privacy
from storage.boards import scored_in
from storage.convert import (
    achievement_record,
    chat_record,
    duel_record,
    greatest,
    least,
    rating_record,
    reaction_record,
    season_record,
    submission_record,
    upsert_insert,
    user_record,
)
from storage.engine import WRITE_OPTION, create_engine, run_in_transaction
from storage.migrate import upgrade
from storage.records import (
    OPEN_DUEL_STATUSES,
    AchievementRecord,
    AnnouncementRecord,
    ChatRecord,
    ChatSettings,
    DailyScore,
    DuelEntryResult,
    DuelOutcome,
    DuelRating,
    DuelRecord,
    DuelStatus,
    DuplicateMatch,
    ForgetReport,
    Leaderboard,
    Metric,
    NewSubmission,
    RateLimit,
    ReactionRecord,
    RecordResult,
    Season,
    SeasonRollover,
    SubmissionRecord,
    SubmissionStatus,
    UpdateState,
    UserRecord,
    UserStats,
    Window,
    as_utc,
    utcnow,
)
from storage.schema import (
    achievements,
    announcements,
    chats,
    duel_ratings,
    duels,
    memberships,
    processed_updates,
    reactions,
    seasons,
    standings,
    submissions,
    users,
)
from storage.streaks import daily_summaries, streaks
from storage.types import phash_from_db, phash_to_db

T = TypeVar("T")

COUNTED: tuple[SubmissionStatus, ...] = (SubmissionStatus.SCORED,)

SEASON_RESULTS = "season_results"
"""Announcement kind queued by `rollover_season`; its payload is described in `_season_payload`."""


def _now(now: datetime | None) -> datetime:
    return as_utc(now) if now is not None else utcnow()


def _handle(username: str | None) -> str | None:
    """A platform handle without the `@` people type in front of it, cut to the column."""
    if username is None:
        return None
    return limits.fit(users.c.username, username.strip().lstrip("@")) or None


def _check_settings(settings: ChatSettings) -> None:
    """The ranges of `storage.limits`, which the settings file and admin commands also apply."""
    if settings.season_days not in limits.SEASON_DAYS:
        raise ValueError(f"season length must be {limits.SEASON_DAYS.describe('days')}")
    if settings.rate_limit_photos not in limits.RATE_LIMIT_PHOTOS:
        raise ValueError(f"rate limit must be {limits.RATE_LIMIT_PHOTOS.describe('photos')}")
    if settings.rate_limit_window_minutes not in limits.RATE_LIMIT_WINDOW_MINUTES:
        window = limits.RATE_LIMIT_WINDOW_MINUTES.describe("minutes")
        raise ValueError(f"rate limit window must be {window}")
    if len(settings.language) not in limits.LANGUAGE_CODE_LENGTH:
        raise ValueError("language must be a short code such as 'en'")


def _of_user(
    chat_id: int, user_id: int, statuses: Sequence[SubmissionStatus]
) -> tuple[ColumnElement[bool], ...]:
    return (
        submissions.c.chat_id == chat_id,
        submissions.c.user_id == user_id,
        submissions.c.status.in_([SubmissionStatus(s).value for s in statuses]),
    )


async def _touch_membership(
    conn: AsyncConnection, chat_id: int, user_id: int, now: datetime
) -> None:
    insert_ = upsert_insert(conn, memberships).values(
        chat_id=chat_id, user_id=user_id, first_seen_at=now, last_seen_at=now
    )
    await conn.execute(
        insert_.on_conflict_do_update(
            index_elements=["chat_id", "user_id"],
            set_={
                "last_seen_at": greatest(
                    conn, memberships.c.last_seen_at, insert_.excluded.last_seen_at
                )
            },
        )
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


async def _rate_limited_until(
    conn: AsyncConnection, new: NewSubmission, limit: RateLimit, at: datetime
) -> datetime | None:
    """When the user may post again, or None if this photo is within the limit."""
    times = (
        (
            await conn.execute(
                select(submissions.c.created_at)
                .where(
                    *_of_user(new.chat_id, new.user_id, (SubmissionStatus.SCORED,)),
                    submissions.c.created_at > at - limit.window,
                    submissions.c.created_at <= at,
                )
                .order_by(submissions.c.created_at)
            )
        )
        .scalars()
        .all()
    )
    if len(times) < limit.photos:
        return None
    oldest_counted: datetime = times[len(times) - limit.photos]
    return oldest_counted + limit.window


async def _enqueue(
    conn: AsyncConnection,
    chat_id: int,
    kind: str,
    payload: Mapping[str, Any],
    *,
    dedupe_key: str,
    due_at: datetime,
    now: datetime,
) -> int | None:
    insert_ = upsert_insert(conn, announcements).values(
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


class Store:
    """The game's database. Open with `await Store.open(url)`; close with `await store.close()`.

    Ids in and out are the store's own integer ids (`UserRecord.id`, `ChatRecord.id`); platform
    ids are only used to find or create users and chats.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        """Wrap an engine made by `storage.engine.create_engine`; prefer `Store.open`."""
        self._engine = engine
        self._writer = engine.execution_options(**{WRITE_OPTION: True})

    async def _read(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        return await run_in_transaction(self._engine, work)

    async def _write(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        return await run_in_transaction(self._writer, work)

    async def _first(self, query: Executable) -> Row[Any] | None:
        async def work(conn: AsyncConnection) -> Row[Any] | None:
            return (await conn.execute(query)).first()

        return await self._read(work)

    async def _all(self, query: Executable) -> list[Row[Any]]:
        async def work(conn: AsyncConnection) -> list[Row[Any]]:
            return list((await conn.execute(query)).all())

        return await self._read(work)

    async def _scalar(self, query: Executable) -> Any:
        async def work(conn: AsyncConnection) -> Any:
            return (await conn.execute(query)).scalar_one()

        return await self._read(work)

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

        return await self._write(work)

    # --- lifecycle --------------------------------------------------------------------------

    @classmethod
    async def open(cls, url: str, *, migrate: bool = True, echo: bool = False) -> Store:
        """Connect and, unless `migrate` is False, bring the schema to the newest revision.

        SQLite (`sqlite+aiosqlite:///path`): the parent folder is created, WAL mode, foreign keys
        and a busy timeout are set, and writes take the lock up front (BEGIN IMMEDIATE) so
        concurrent writers queue instead of failing with "database is locked".
        PostgreSQL (`postgresql+asyncpg://...`): several processes may open it at once;
        migrations are serialised with an advisory lock.
        """
        engine = create_engine(url, echo=echo)
        store = cls(engine)
        if migrate:
            try:
                await upgrade(engine)
            except BaseException:
                await engine.dispose()
                raise
        return store

    async def close(self) -> None:
        """Release every connection."""
        await self._engine.dispose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def engine(self) -> AsyncEngine:
        """The engine, for storage modules that keep their own queries (`storage.claims`)."""
        return self._engine

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return self._engine.dialect.name

    # --- users and chats --------------------------------------------------------------------

    async def upsert_user(
        self,
        platform: str,
        platform_user_id: str,
        display_name: str,
        *,
        username: str | None = None,
        language: str | None = None,
        chat_id: int | None = None,
        now: datetime | None = None,
    ) -> UserRecord:
        """Find or create the user and refresh their name, handle and language.

        `chat_id`: also remember that they were seen in that chat (membership), which is what
        `find_user_by_username(..., chat_id=...)` searches.
        """
        now = _now(now)
        handle = _handle(username)

        async def work(conn: AsyncConnection) -> UserRecord:
            insert = upsert_insert(conn, users).values(
                platform=platform,
                platform_user_id=platform_user_id,
                display_name=limits.fit(users.c.display_name, display_name) or "?",
                username=handle,
                username_key=limits.fit(users.c.username_key, handle.lower()) if handle else None,
                language=limits.fit(users.c.language, language),
                created_at=now,
                updated_at=now,
            )
            new = insert.excluded
            row = (
                await conn.execute(
                    insert.on_conflict_do_update(
                        index_elements=["platform", "platform_user_id"],
                        set_={
                            "display_name": new.display_name,
                            "username": func.coalesce(new.username, users.c.username),
                            "username_key": func.coalesce(new.username_key, users.c.username_key),
                            "language": func.coalesce(new.language, users.c.language),
                            "updated_at": new.updated_at,
                        },
                    ).returning(*users.c)
                )
            ).one()
            user = user_record(row)
            if chat_id is not None:
                await _touch_membership(conn, chat_id, user.id, now)
            return user

        return await self._write(work)

    async def get_user(self, user_id: int) -> UserRecord | None:
        row = await self._first(select(users).where(users.c.id == user_id))
        return user_record(row) if row is not None else None

    async def get_user_by_platform_id(
        self, platform: str, platform_user_id: str
    ) -> UserRecord | None:
        row = await self._first(
            select(users).where(
                users.c.platform == platform, users.c.platform_user_id == platform_user_id
            )
        )
        return user_record(row) if row is not None else None

    async def users_by_ids(self, user_ids: Sequence[int]) -> dict[int, UserRecord]:
        """Several users at once (for rendering boards, duels, announcements)."""
        if not user_ids:
            return {}
        rows = await self._all(select(users).where(users.c.id.in_(set(user_ids))))
        return {row.id: user_record(row) for row in rows}

    async def find_user_by_username(
        self, platform: str, username: str, *, chat_id: int | None = None
    ) -> UserRecord | None:
        """The user with that handle (case-insensitive, a leading `@` ignored).

        With `chat_id`, only members of that chat; if several share the handle, the one seen
        most recently.
        """
        handle = _handle(username)
        if not handle:
            return None
        query = select(users).where(
            users.c.platform == platform, users.c.username_key == handle.lower()
        )
        if chat_id is not None:
            query = (
                query.join(memberships, memberships.c.user_id == users.c.id)
                .where(memberships.c.chat_id == chat_id)
                .order_by(memberships.c.last_seen_at.desc())
            )
        else:
            query = query.order_by(users.c.updated_at.desc())
        row = await self._first(query.limit(1))
        return user_record(row) if row is not None else None

    async def upsert_chat(
        self,
        platform: str,
        platform_chat_id: str,
        *,
        title: str | None = None,
        is_private: bool = False,
        defaults: ChatSettings | None = None,
        now: datetime | None = None,
    ) -> ChatRecord:
        """Find or create the chat; refresh its title. `defaults` only apply when creating it."""
        now = _now(now)
        initial = defaults or ChatSettings()
        _check_settings(initial)

        async def work(conn: AsyncConnection) -> ChatRecord:
            insert = upsert_insert(conn, chats).values(
                platform=platform,
                platform_chat_id=platform_chat_id,
                title=limits.fit(chats.c.title, title),
                is_private=is_private,
                season_days=initial.season_days,
                language=initial.language,
                duels_enabled=initial.duels_enabled,
                rate_limit_photos=initial.rate_limit_photos,
                rate_limit_window_minutes=initial.rate_limit_window_minutes,
                auto_score=initial.auto_score,
                created_at=now,
            )
            row = (
                await conn.execute(
                    insert.on_conflict_do_update(
                        index_elements=["platform", "platform_chat_id"],
                        set_={"title": func.coalesce(insert.excluded.title, chats.c.title)},
                    ).returning(*chats.c)
                )
            ).one()
            return chat_record(row)

        return await self._write(work)

    async def get_chat(self, chat_id: int) -> ChatRecord | None:
        row = await self._first(select(chats).where(chats.c.id == chat_id))
        return chat_record(row) if row is not None else None

    async def get_chat_by_platform_id(
        self, platform: str, platform_chat_id: str
    ) -> ChatRecord | None:
        row = await self._first(
            select(chats).where(
                chats.c.platform == platform, chats.c.platform_chat_id == platform_chat_id
            )
        )
        return chat_record(row) if row is not None else None

    async def update_chat_settings(
        self,
        chat_id: int,
        *,
        season_days: int | None = None,
        language: str | None = None,
        duels_enabled: bool | None = None,
        rate_limit_photos: int | None = None,
        rate_limit_window_minutes: int | None = None,
        auto_score: bool | None = None,
    ) -> ChatRecord:
        """Change only the given settings (one UPDATE, so concurrent admins don't clobber).

        A new season length applies from the next season on; the open season keeps its end.
        Raises `LookupError` for an unknown chat and `ValueError` for out-of-range values.
        """
        changes: dict[str, Any] = {
            name: value
            for name, value in (
                ("season_days", season_days),
                ("language", language),
                ("duels_enabled", duels_enabled),
                ("rate_limit_photos", rate_limit_photos),
                ("rate_limit_window_minutes", rate_limit_window_minutes),
                ("auto_score", auto_score),
            )
            if value is not None
        }
        current = await self.get_chat(chat_id)
        if current is None:
            raise LookupError(f"no chat with id {chat_id}")
        _check_settings(replace(current.settings, **changes))
        if not changes:
            return current

        async def work(conn: AsyncConnection) -> ChatRecord:
            row = (
                await conn.execute(
                    update(chats).where(chats.c.id == chat_id).values(**changes).returning(*chats.c)
                )
            ).first()
            if row is None:
                raise LookupError(f"no chat with id {chat_id}")
            return chat_record(row)

        return await self._write(work)

    # --- submissions ------------------------------------------------------------------------

    async def record_submission(
        self, new: NewSubmission, *, rate_limit: RateLimit | None = None
    ) -> RecordResult:
        """Store a photo outcome exactly once per (platform, update_id).

        Re-delivery returns the original row with `created=False`. With `rate_limit`, the count
        of the user's counted submissions in the window is checked in the same transaction as
        the insert (so concurrent photos can't both slip through); over the limit nothing is
        stored and `rate_limited=True, retry_at=...` comes back. Only SCORED submissions count
        against the limit.
        """
        created_at = _now(new.created_at)
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
        }
        by_update = (submissions.c.platform == new.platform) & (
            submissions.c.update_id == new.update_id
        )

        async def original(conn: AsyncConnection) -> SubmissionRecord | None:
            row = (await conn.execute(select(submissions).where(by_update))).first()
            return submission_record(row) if row is not None else None

        async def work(conn: AsyncConnection) -> RecordResult:
            # The membership row doubles as a per-user-per-chat lock on PostgreSQL: concurrent
            # photos of one user queue here, so the rate-limit count below cannot be raced.
            await _touch_membership(conn, new.chat_id, new.user_id, created_at)
            if rate_limit is not None and new.status == SubmissionStatus.SCORED:
                retry_at = await _rate_limited_until(conn, new, rate_limit, created_at)
                if retry_at is not None:
                    seen = await original(conn)
                    if seen is not None:
                        return RecordResult(seen, created=False)
                    return RecordResult(None, created=False, rate_limited=True, retry_at=retry_at)
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

        return await self._write(work)

    async def get_submission(self, submission_id: int) -> SubmissionRecord | None:
        row = await self._first(select(submissions).where(submissions.c.id == submission_id))
        return submission_record(row) if row is not None else None

    async def get_submission_by_update(
        self, platform: str, update_id: str
    ) -> SubmissionRecord | None:
        """The row recorded for a delivery, so a re-delivered update skips the analysis."""
        row = await self._first(
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

        await self._write(work)

    async def get_submission_by_bot_message(
        self, chat_id: int, bot_message_id: str
    ) -> SubmissionRecord | None:
        """The submission whose result message is `bot_message_id` in that chat."""
        row = await self._first(
            select(submissions)
            .where(submissions.c.chat_id == chat_id, submissions.c.bot_message_id == bot_message_id)
            .order_by(submissions.c.id.desc())
            .limit(1)
        )
        return submission_record(row) if row is not None else None

    async def count_submissions(
        self,
        chat_id: int,
        user_id: int,
        *,
        since: datetime | None = None,
        statuses: Sequence[SubmissionStatus] = COUNTED,
    ) -> int:
        """How many of the user's submissions in the chat since `since` (rate limits)."""
        query = select(func.count()).where(*_of_user(chat_id, user_id, statuses))
        if since is not None:
            query = query.where(submissions.c.created_at >= as_utc(since))
        return int(await self._scalar(query))

    async def submission_times(
        self,
        chat_id: int,
        user_id: int,
        *,
        since: datetime,
        statuses: Sequence[SubmissionStatus] = COUNTED,
    ) -> list[datetime]:
        """When the user's submissions since `since` were made, oldest first.

        The rate-limit reply uses the oldest: try again when it leaves the window.
        """
        rows = await self._all(
            select(submissions.c.created_at)
            .where(*_of_user(chat_id, user_id, statuses), submissions.c.created_at >= as_utc(since))
            .order_by(submissions.c.created_at)
        )
        return [row.created_at for row in rows]

    async def last_submission(
        self,
        chat_id: int,
        user_id: int,
        *,
        statuses: Sequence[SubmissionStatus] = COUNTED,
    ) -> SubmissionRecord | None:
        """The user's most recent submission in the chat (for `/tips`)."""
        row = await self._first(
            select(submissions)
            .where(*_of_user(chat_id, user_id, statuses))
            .order_by(submissions.c.created_at.desc(), submissions.c.id.desc())
            .limit(1)
        )
        return submission_record(row) if row is not None else None

    async def find_near_duplicates(
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
        rows = await self._all(
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
        found = await self._all(
            select(submissions).where(submissions.c.id.in_([i for _, i in close]))
        )
        by_id = {row.id: submission_record(row) for row in found}
        return [DuplicateMatch(by_id[i], distance) for distance, i in close if i in by_id]

    # --- boards and stats -------------------------------------------------------------------

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

        return await self._read(work)

    async def user_stats(
        self,
        chat_id: int,
        user_id: int,
        *,
        window: Window | None = None,
        now: datetime | None = None,
    ) -> UserStats:
        """Best, average, count, streaks (UTC days, up to `now`), badges and rank in the chat."""
        now = _now(now)
        window = window or Window()

        async def work(conn: AsyncConnection) -> UserStats:
            rows = (
                await conn.execute(
                    select(submissions.c.created_at, submissions.c.score)
                    .where(*scored_in(chat_id, window), submissions.c.user_id == user_id)
                    .order_by(submissions.c.created_at, submissions.c.id)
                )
            ).all()
            badge_rows = (
                await conn.execute(
                    select(achievements)
                    .where(achievements.c.user_id == user_id, achievements.c.chat_id == chat_id)
                    .order_by(achievements.c.earned_at, achievements.c.id)
                )
            ).all()
            badge_list = tuple(achievement_record(row) for row in badge_rows)
            if not rows:
                players = await boards.count_players(conn, chat_id, window)
                return UserStats(
                    user_id, chat_id, window, 0, None, None, None, 0, 0, None, players, badge_list
                )
            best = max(row.score for row in rows)
            reached_at = next(row.created_at for row in rows if row.score == best)
            current, longest = streaks((row.created_at.date() for row in rows), today=now.date())
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
                current_streak=current,
                longest_streak=longest,
                rank=rank,
                players=players,
                badges=badge_list,
            )

        return await self._read(work)

    async def daily_scores(
        self,
        chat_id: int,
        user_id: int,
        *,
        window: Window | None = None,
    ) -> list[DailyScore]:
        """The user's scored photos grouped per UTC day, oldest day first."""
        rows = await self._all(
            select(submissions.c.created_at, submissions.c.score)
            .where(*scored_in(chat_id, window or Window()), submissions.c.user_id == user_id)
            .order_by(submissions.c.created_at)
        )
        return daily_summaries((row.created_at, row.score) for row in rows)

    async def best_per_user(
        self, chat_id: int, *, window: Window | None = None
    ) -> dict[int, float]:
        """user id -> best score in the window (e.g. this week vs last week for improvement)."""
        rows = await self._all(
            select(submissions.c.user_id, func.max(submissions.c.score).label("best"))
            .where(*scored_in(chat_id, window or Window()))
            .group_by(submissions.c.user_id)
        )
        return {row.user_id: float(row.best) for row in rows}

    # --- seasons ----------------------------------------------------------------------------

    async def current_season(self, chat_id: int, *, now: datetime | None = None) -> Season:
        """The chat's open season, starting season 1 now if the chat has none yet.

        May be past its `ends_at` until someone rolls it over (see `due_seasons`).
        """
        now = _now(now)
        open_season = select(seasons).where(
            seasons.c.chat_id == chat_id, seasons.c.closed_at.is_(None)
        )
        row = await self._first(open_season)
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
                upsert_insert(conn, seasons)
                .values(
                    chat_id=chat_id,
                    number=last + 1,
                    starts_at=now,
                    ends_at=now + timedelta(days=days),
                )
                .on_conflict_do_nothing()
            )
            return season_record((await conn.execute(open_season)).one())

        return await self._write(work)

    async def get_season(self, season_id: int) -> Season | None:
        row = await self._first(select(seasons).where(seasons.c.id == season_id))
        return season_record(row) if row is not None else None

    async def seasons(self, chat_id: int, *, limit: int = 20) -> list[Season]:
        """The chat's seasons, newest first."""
        rows = await self._all(
            select(seasons)
            .where(seasons.c.chat_id == chat_id)
            .order_by(seasons.c.number.desc())
            .limit(limit)
        )
        return [season_record(row) for row in rows]

    async def due_seasons(self, *, now: datetime | None = None, limit: int = 100) -> list[Season]:
        """Open seasons whose end has passed, in any chat (the scheduler's work list)."""
        rows = await self._all(
            select(seasons)
            .where(seasons.c.closed_at.is_(None), seasons.c.ends_at <= _now(now))
            .order_by(seasons.c.ends_at, seasons.c.id)
            .limit(limit)
        )
        return [season_record(row) for row in rows]

    async def rollover_season(
        self,
        season_id: int,
        *,
        now: datetime | None = None,
        force: bool = False,
        metric: Metric = Metric.BEST,
        board_limit: int = 10,
    ) -> SeasonRollover | None:
        """Close the season and open the next one, exactly once across processes.

        Only closes a due season unless `force` (admin reset). The winner (top of the `metric`
        board over the season) is stored, the next season starts at `now` and lasts the chat's
        `season_days`, and a `season_results` announcement is queued, all in one transaction.
        Whoever loses the race (or finds the season already closed / not due) gets None.
        """
        now = _now(now)

        async def work(conn: AsyncConnection) -> SeasonRollover | None:
            row = (await conn.execute(select(seasons).where(seasons.c.id == season_id))).first()
            if row is None:
                return None
            season = season_record(row)
            if not season.is_open or (not force and season.ends_at > now):
                return None
            # A due season ends where it was planned to; a forced one ends now. Either way the
            # next one starts exactly there, so no photo falls between two seasons.
            closed_at = max(season.starts_at, now) if force else season.ends_at
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
                metric=metric,
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
            ends_at = closed_at + timedelta(days=days)
            if ends_at <= now:
                ends_at = now + timedelta(days=days)
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
            announcement_id = await _enqueue(
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

        return await self._write(work)

    # --- achievements -----------------------------------------------------------------------

    async def award_badge(
        self,
        user_id: int,
        chat_id: int,
        code: str,
        *,
        details: Mapping[str, Any] | None = None,
        now: datetime | None = None,
    ) -> AchievementRecord | None:
        """Give a badge once per user per chat: the new record, or None if they already had it."""
        now = _now(now)

        async def work(conn: AsyncConnection) -> AchievementRecord | None:
            insert = upsert_insert(conn, achievements).values(
                user_id=user_id,
                chat_id=chat_id,
                code=code,
                earned_at=now,
                details=dict(details or {}),
            )
            row = (
                await conn.execute(
                    insert.on_conflict_do_nothing(
                        index_elements=["user_id", "chat_id", "code"]
                    ).returning(*achievements.c)
                )
            ).first()
            return achievement_record(row) if row is not None else None

        return await self._write(work)

    async def badges(self, user_id: int, chat_id: int) -> list[AchievementRecord]:
        """The user's badges in the chat, oldest first."""
        rows = await self._all(
            select(achievements)
            .where(achievements.c.user_id == user_id, achievements.c.chat_id == chat_id)
            .order_by(achievements.c.earned_at, achievements.c.id)
        )
        return [achievement_record(row) for row in rows]

    # --- duels ------------------------------------------------------------------------------

    async def create_duel(
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
        now = _now(now)
        low, high = sorted((challenger_id, opponent_id))

        async def work(conn: AsyncConnection) -> DuelRecord | None:
            insert = upsert_insert(conn, duels).values(
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

        return await self._write(work)

    async def get_duel(self, duel_id: int) -> DuelRecord | None:
        row = await self._first(select(duels).where(duels.c.id == duel_id))
        return duel_record(row) if row is not None else None

    async def open_duels(self, chat_id: int, user_id: int) -> list[DuelRecord]:
        """Pending and active duels the user is part of in the chat, oldest first."""
        rows = await self._all(
            select(duels)
            .where(
                duels.c.chat_id == chat_id,
                duels.c.status.in_([s.value for s in OPEN_DUEL_STATUSES]),
                or_(duels.c.challenger_id == user_id, duels.c.opponent_id == user_id),
            )
            .order_by(duels.c.created_at, duels.c.id)
        )
        return [duel_record(row) for row in rows]

    async def accept_duel(
        self, duel_id: int, *, expires_at: datetime, now: datetime | None = None
    ) -> DuelRecord | None:
        """pending -> active (with a new deadline for the photos); None if no longer pending
        or already expired."""
        now = _now(now)
        return await self._update_duel(
            duel_id,
            (duels.c.status == DuelStatus.PENDING.value, duels.c.expires_at > now),
            status=DuelStatus.ACTIVE.value,
            accepted_at=now,
            expires_at=as_utc(expires_at),
        )

    async def decline_duel(self, duel_id: int, *, now: datetime | None = None) -> DuelRecord | None:
        """pending -> declined; None if it was not pending."""
        now = _now(now)
        return await self._update_duel(
            duel_id,
            (duels.c.status == DuelStatus.PENDING.value,),
            status=DuelStatus.DECLINED.value,
            finished_at=now,
        )

    async def record_duel_entry(
        self,
        duel_id: int,
        user_id: int,
        submission_id: int,
        score: float,
        *,
        now: datetime | None = None,
    ) -> DuelEntryResult:
        """Count this photo for the user's side of an active duel (only their first counts).

        When both sides have played, the duel finishes in the same transaction: higher score
        wins (equal is a draw) and both Elo ratings move. Raises `LookupError` if the duel is
        unknown and `ValueError` if the user is not part of it.
        """
        now = _now(now)

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
            if duel.challenger_score == duel.opponent_score:
                winner = None
            elif duel.challenger_score > duel.opponent_score:
                winner = duel.challenger_id
            else:
                winner = duel.opponent_id
            outcome = await duel_ops.finish(
                conn,
                duel,
                winner_user_id=winner,
                now=now,
                expect_challenger_played=True,
                expect_opponent_played=True,
            )
            return DuelEntryResult(outcome.duel if outcome else duel, counted=True, outcome=outcome)

        return await self._write(work)

    async def expire_duels(self, *, now: datetime | None = None) -> list[DuelOutcome]:
        """Settle duels past their deadline, each exactly once across processes.

        Pending -> expired. Active with one side played -> finished, that side wins (ratings
        move). Active with nobody played -> expired.
        """
        now = _now(now)
        due = await self._all(
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
                return await duel_ops.finish(
                    conn,
                    duel,
                    winner_user_id=duel.challenger_id if challenger else duel.opponent_id,
                    now=now,
                    expect_challenger_played=challenger,
                    expect_opponent_played=opponent,
                )

            outcome = await self._write(work)
            if outcome is not None:
                outcomes.append(outcome)
        return outcomes

    async def duel_rating(self, chat_id: int, user_id: int) -> DuelRating:
        """The user's rating in the chat (1000 and no games if they never duelled)."""
        row = await self._first(
            select(duel_ratings).where(
                duel_ratings.c.chat_id == chat_id, duel_ratings.c.user_id == user_id
            )
        )
        return rating_record(row, chat_id, user_id)

    async def duel_ratings(self, chat_id: int, *, limit: int = 10) -> list[DuelRating]:
        """The chat's best duellists, highest rating first."""
        rows = await self._all(
            select(duel_ratings)
            .where(duel_ratings.c.chat_id == chat_id)
            .order_by(duel_ratings.c.rating.desc(), duel_ratings.c.user_id)
            .limit(limit)
        )
        return [rating_record(row, chat_id, row.user_id) for row in rows]

    # --- reactions --------------------------------------------------------------------------

    async def add_reaction(
        self, submission_id: int, user_id: int, emoji: str, *, now: datetime | None = None
    ) -> bool:
        """Remember a reaction; False if that user already had that emoji on it."""
        now = _now(now)

        async def work(conn: AsyncConnection) -> bool:
            insert = upsert_insert(conn, reactions).values(
                submission_id=submission_id, user_id=user_id, emoji=emoji, created_at=now
            )
            row = (
                await conn.execute(insert.on_conflict_do_nothing().returning(reactions.c.emoji))
            ).first()
            return row is not None

        return await self._write(work)

    async def remove_reaction(self, submission_id: int, user_id: int, emoji: str) -> bool:
        """Forget a reaction; False if there was none."""

        async def work(conn: AsyncConnection) -> bool:
            result = await conn.execute(
                delete(reactions).where(
                    reactions.c.submission_id == submission_id,
                    reactions.c.user_id == user_id,
                    reactions.c.emoji == emoji,
                )
            )
            return bool(result.rowcount)

        return await self._write(work)

    async def reactions(self, submission_id: int) -> list[ReactionRecord]:
        """Reactions on a submission, oldest first."""
        rows = await self._all(
            select(reactions)
            .where(reactions.c.submission_id == submission_id)
            .order_by(reactions.c.created_at, reactions.c.user_id, reactions.c.emoji)
        )
        return [reaction_record(row) for row in rows]

    async def reaction_counts(self, submission_id: int) -> dict[str, int]:
        """emoji -> how many people put it on the submission."""
        rows = await self._all(
            select(reactions.c.emoji, func.count().label("n"))
            .where(reactions.c.submission_id == submission_id)
            .group_by(reactions.c.emoji)
        )
        return {row.emoji: int(row.n) for row in rows}

    # --- announcements (outbox) -------------------------------------------------------------

    async def enqueue_announcement(
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
            return await _enqueue(
                conn,
                chat_id,
                kind,
                payload,
                dedupe_key=dedupe_key,
                due_at=as_utc(due_at) if due_at is not None else now,
                now=now,
            )

        return await self._write(work)

    async def claim_announcements(
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
        now = _now(now)
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

        return await self._write(work)

    async def mark_announcement_sent(
        self, announcement_id: int, *, now: datetime | None = None
    ) -> None:
        """Delivery done: the row is never claimed again."""
        now = _now(now)

        async def work(conn: AsyncConnection) -> None:
            await conn.execute(
                update(announcements)
                .where(announcements.c.id == announcement_id)
                .values(sent_at=now, claimed_until=None, last_error=None)
            )

        await self._write(work)

    async def release_announcement(
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

        await self._write(work)

    # --- processed updates ------------------------------------------------------------------

    async def begin_update(
        self, platform: str, update_id: str, *, now: datetime | None = None
    ) -> UpdateState:
        """Note that the game starts on a delivery; say whether it is new, pending or answered.

        Racing deliveries of one update both see NEW at most once: the primary key decides.
        """
        now = _now(now)
        p = processed_updates.c

        async def work(conn: AsyncConnection) -> UpdateState:
            inserted = (
                await conn.execute(
                    upsert_insert(conn, processed_updates)
                    .values(platform=platform, update_id=update_id, created_at=now)
                    .on_conflict_do_nothing()
                    .returning(p.update_id)
                )
            ).first()
            if inserted is not None:
                return UpdateState.NEW
            answered = (
                await conn.execute(
                    select(p.answered_at).where(p.platform == platform, p.update_id == update_id)
                )
            ).scalar_one()
            return UpdateState.PENDING if answered is None else UpdateState.ANSWERED

        return await self._write(work)

    async def mark_update_answered(
        self, platform: str, update_id: str, *, now: datetime | None = None
    ) -> None:
        """The reply to a delivery went out: a re-delivery will be ANSWERED from now on."""
        now = _now(now)

        async def work(conn: AsyncConnection) -> None:
            insert_ = upsert_insert(conn, processed_updates).values(
                platform=platform, update_id=update_id, created_at=now, answered_at=now
            )
            await conn.execute(
                insert_.on_conflict_do_update(
                    index_elements=["platform", "update_id"],
                    set_={
                        "answered_at": func.coalesce(
                            processed_updates.c.answered_at, insert_.excluded.answered_at
                        )
                    },
                )
            )

        await self._write(work)

    async def active_chats(
        self, *, since: datetime, platform: str | None = None
    ) -> list[ChatRecord]:
        """Chats with at least one scored photo at or after `since` (scheduled jobs' work list)."""
        recent = (
            select(submissions.c.id)
            .where(
                submissions.c.chat_id == chats.c.id,
                submissions.c.status == SubmissionStatus.SCORED.value,
                submissions.c.created_at >= as_utc(since),
            )
            .exists()
        )
        query = select(chats).where(recent).order_by(chats.c.id)
        if platform is not None:
            query = query.where(chats.c.platform == platform)
        return [chat_record(row) for row in await self._all(query)]

    # --- privacy ----------------------------------------------------------------------------

    async def forget_user(self, user_id: int) -> ForgetReport:
        """Delete every row about the user in every chat in one transaction and say what went.

        Their submissions, reactions (given and received), badges, duels, ratings, totals,
        memberships and the user row go, and so do private chats only they were seen in (with
        those chats' seasons and announcements); seasons they won elsewhere keep existing with
        no winner.
        """
        return await self._write(lambda conn: privacy.forget(conn, user_id))

    async def export_user(self, user_id: int) -> dict[str, Any]:
        """All the user's data as a JSON-serialisable dict (times as ISO 8601 UTC)."""
        return await self._read(lambda conn: privacy.export(conn, user_id))
