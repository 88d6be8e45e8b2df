"""Users and chats: who plays where, their names, handles, languages and chat settings.

Platform ids are only used to find or create rows; everything else works on the store's own ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import limits
from storage.convert import (
    chat_record,
    greatest,
    upsert_insert,
    user_record,
)
from storage.records import (
    ChatRecord,
    ChatSettings,
    SubmissionStatus,
    UserRecord,
    as_utc,
)
from storage.runner import Runner, now_or
from storage.schema import (
    chats,
    memberships,
    submissions,
    users,
)


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


@cache
def _touch_membership(dialect: str) -> Any:
    insert_ = upsert_insert(dialect, memberships)
    last_seen = greatest(dialect, memberships.c.last_seen_at, insert_.excluded.last_seen_at)
    return insert_.on_conflict_do_update(
        index_elements=["chat_id", "user_id"], set_={"last_seen_at": last_seen}
    )


async def touch_membership(
    conn: AsyncConnection, chat_id: int, user_id: int, now: datetime
) -> None:
    params = {"chat_id": chat_id, "user_id": user_id, "first_seen_at": now, "last_seen_at": now}
    await conn.execute(_touch_membership(conn.dialect.name), params)


@cache
def _upsert_user(dialect: str) -> Any:
    insert_ = upsert_insert(dialect, users)
    new = insert_.excluded
    return insert_.on_conflict_do_update(
        index_elements=["platform", "platform_user_id"],
        set_={
            "display_name": new.display_name,
            "username": func.coalesce(new.username, users.c.username),
            "username_key": func.coalesce(new.username_key, users.c.username_key),
            "language": func.coalesce(new.language, users.c.language),
            "updated_at": new.updated_at,
        },
    ).returning(*users.c)


@cache
def _upsert_chat(dialect: str) -> Any:
    insert_ = upsert_insert(dialect, chats)
    return insert_.on_conflict_do_update(
        index_elements=["platform", "platform_chat_id"],
        set_={"title": func.coalesce(insert_.excluded.title, chats.c.title)},
    ).returning(*chats.c)


class Users:
    """People the game has seen, found by platform id or @handle."""

    def __init__(self, runner: Runner) -> None:
        self._run = runner

    async def upsert(
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
        now = now_or(now)
        handle = _handle(username)

        values = {
            "platform": platform,
            "platform_user_id": platform_user_id,
            "display_name": limits.fit(users.c.display_name, display_name) or "?",
            "username": handle,
            "username_key": limits.fit(users.c.username_key, handle.lower()) if handle else None,
            "language": limits.fit(users.c.language, language),
            "created_at": now,
            "updated_at": now,
        }

        async def work(conn: AsyncConnection) -> UserRecord:
            row = (await conn.execute(_upsert_user(conn.dialect.name), values)).one()
            user = user_record(row)
            if chat_id is not None:
                await touch_membership(conn, chat_id, user.id, now)
            return user

        return await self._run.write(work)

    async def get(self, user_id: int) -> UserRecord | None:
        row = await self._run.first(select(users).where(users.c.id == user_id))
        return user_record(row) if row is not None else None

    async def by_platform_id(self, platform: str, platform_user_id: str) -> UserRecord | None:
        row = await self._run.first(
            select(users).where(
                users.c.platform == platform, users.c.platform_user_id == platform_user_id
            )
        )
        return user_record(row) if row is not None else None

    async def by_ids(self, user_ids: Sequence[int]) -> dict[int, UserRecord]:
        """Several users at once (for rendering boards, duels, announcements)."""
        if not user_ids:
            return {}
        rows = await self._run.all(select(users).where(users.c.id.in_(set(user_ids))))
        return {row.id: user_record(row) for row in rows}

    async def find_by_username(
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
        row = await self._run.first(query.limit(1))
        return user_record(row) if row is not None else None


class Chats:
    """Chats and groups, with the settings their admins chose."""

    def __init__(self, runner: Runner) -> None:
        self._run = runner

    async def upsert(
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
        now = now_or(now)
        initial = defaults or ChatSettings()
        _check_settings(initial)

        values = {
            "platform": platform,
            "platform_chat_id": platform_chat_id,
            "title": limits.fit(chats.c.title, title),
            "is_private": is_private,
            "season_days": initial.season_days,
            "language": initial.language,
            "duels_enabled": initial.duels_enabled,
            "rate_limit_photos": initial.rate_limit_photos,
            "rate_limit_window_minutes": initial.rate_limit_window_minutes,
            "auto_score": initial.auto_score,
            "created_at": now,
        }

        async def work(conn: AsyncConnection) -> ChatRecord:
            row = (await conn.execute(_upsert_chat(conn.dialect.name), values)).one()
            return chat_record(row)

        return await self._run.write(work)

    async def get(self, chat_id: int) -> ChatRecord | None:
        row = await self._run.first(select(chats).where(chats.c.id == chat_id))
        return chat_record(row) if row is not None else None

    async def by_platform_id(self, platform: str, platform_chat_id: str) -> ChatRecord | None:
        row = await self._run.first(
            select(chats).where(
                chats.c.platform == platform, chats.c.platform_chat_id == platform_chat_id
            )
        )
        return chat_record(row) if row is not None else None

    async def update_settings(
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
        current = await self.get(chat_id)
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

        return await self._run.write(work)

    async def active(self, *, since: datetime, platform: str | None = None) -> list[ChatRecord]:
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
        return [chat_record(row) for row in await self._run.all(query)]
