"""What the group taste model reads and writes: per scored photo its feature vector, audience and
anonymous reaction totals (`photo_features`), joined with the named reactions (`reactions`).

The model itself is never stored: it is fitted from these rows whenever it is needed, so every
process sharing the database derives the same one. Forgetting a user deletes their photos'
rows here (`storage.privacy`); other people's reactions are only ever counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.convert import upsert_insert
from storage.records import SubmissionStatus, Window
from storage.runner import Runner
from storage.schema import memberships, photo_features, reactions, submissions, users

PHOTO = "photo"
RESULT = "result"
"""Which message of a submission a reaction is on: the sender's photo or the bot's result."""


@dataclass(frozen=True)
class TastePhoto:
    """One scored photo as the taste model sees it; `reactions` counts people (each once,
    never the photo's author) plus anonymous reactions."""

    submission_id: int
    user_id: int
    display_name: str
    popularity: float
    features: Mapping[str, float]
    audience: int
    reactions: int
    created_at: datetime


@dataclass(frozen=True)
class MessageMatch:
    """The submission a platform message belongs to, and whether it is the photo or the result."""

    submission_id: int
    author_id: int
    kind: str


class TasteStore:
    """Taste queries over the game's database (`store.taste`)."""

    def __init__(self, runner: Runner) -> None:
        self._run = runner

    async def remember_photo(
        self,
        submission_id: int,
        chat_id: int,
        features: Mapping[str, float],
        *,
        version: int,
        audience: int,
        now: datetime,
    ) -> None:
        """Keep a scored photo's features; a re-delivered photo keeps the first row."""

        async def work(conn: AsyncConnection) -> None:
            insert = upsert_insert(conn.dialect.name, photo_features).values(
                submission_id=submission_id,
                chat_id=chat_id,
                features=dict(features),
                version=version,
                audience=max(1, audience),
                anonymous_on_photo=0,
                anonymous_on_result=0,
                created_at=now,
            )
            await conn.execute(insert.on_conflict_do_nothing())

        await self._run.write(work)

    async def message(self, chat_id: int, message_id: str) -> MessageMatch | None:
        """The scored submission whose photo or result message is `message_id` in that chat."""

        async def work(conn: AsyncConnection) -> MessageMatch | None:
            row = (
                await conn.execute(
                    select(
                        submissions.c.id,
                        submissions.c.user_id,
                        submissions.c.bot_message_id,
                    )
                    .where(
                        submissions.c.chat_id == chat_id,
                        submissions.c.status == SubmissionStatus.SCORED.value,
                        or_(
                            submissions.c.bot_message_id == message_id,
                            submissions.c.message_id == message_id,
                        ),
                    )
                    .order_by(submissions.c.id.desc())
                    .limit(1)
                )
            ).first()
            if row is None:
                return None
            kind = RESULT if row.bot_message_id == message_id else PHOTO
            return MessageMatch(row.id, row.user_id, kind)

        return await self._run.read(work)

    async def set_anonymous_reactions(self, submission_id: int, kind: str, total: int) -> bool:
        """Record the platform's latest anonymous total on one message; False without a row."""
        column = "anonymous_on_result" if kind == RESULT else "anonymous_on_photo"

        async def work(conn: AsyncConnection) -> bool:
            result = await conn.execute(
                update(photo_features)
                .where(photo_features.c.submission_id == submission_id)
                .values({column: max(0, total)})
            )
            return bool(result.rowcount)

        return await self._run.write(work)

    async def members_seen(self, chat_id: int) -> int:
        """How many people the game has seen in the chat (a floor on its audience)."""

        async def work(conn: AsyncConnection) -> int:
            query = select(func.count()).where(memberships.c.chat_id == chat_id)
            return int((await conn.execute(query)).scalar_one())

        return await self._run.read(work)

    async def photos(
        self,
        chat_id: int,
        *,
        version: int,
        window: Window | None = None,
        settled_before: datetime | None = None,
        limit: int = 500,
    ) -> list[TastePhoto]:
        """The chat's photos with features of `version`, newest first.

        With `settled_before`, only rated photos: those with a reaction, or old enough that
        everyone had their chance to react (a photo posted a minute ago has no reactions yet,
        which says nothing about it).
        """
        reactors = (
            select(func.count(func.distinct(reactions.c.user_id)))
            .where(
                reactions.c.submission_id == submissions.c.id,
                reactions.c.user_id != submissions.c.user_id,
            )
            .scalar_subquery()
        )
        total = (
            reactors + photo_features.c.anonymous_on_photo + photo_features.c.anonymous_on_result
        )
        query = (
            select(
                submissions.c.id,
                submissions.c.user_id,
                users.c.display_name,
                submissions.c.popularity,
                photo_features.c.features,
                photo_features.c.audience,
                total.label("reactions"),
                photo_features.c.created_at,
            )
            .join(submissions, submissions.c.id == photo_features.c.submission_id)
            .join(users, users.c.id == submissions.c.user_id)
            .where(
                photo_features.c.chat_id == chat_id,
                photo_features.c.version == version,
                submissions.c.popularity.is_not(None),
            )
            .order_by(photo_features.c.created_at.desc(), photo_features.c.submission_id.desc())
            .limit(limit)
        )
        if window is not None:
            query = query.where(*_within(window))
        if settled_before is not None:
            query = query.where(or_(photo_features.c.created_at <= settled_before, total > 0))

        async def work(conn: AsyncConnection) -> list[TastePhoto]:
            rows = (await conn.execute(query)).all()
            return [_photo(row) for row in rows]

        return await self._run.read(work)


def _within(window: Window) -> list[Any]:
    conditions = []
    if window.since is not None:
        conditions.append(photo_features.c.created_at >= window.since)
    if window.until is not None:
        conditions.append(photo_features.c.created_at < window.until)
    return [and_(*conditions)] if conditions else []


def _photo(row: Any) -> TastePhoto:
    return TastePhoto(
        submission_id=row.id,
        user_id=row.user_id,
        display_name=row.display_name,
        popularity=float(row.popularity),
        features={str(k): float(v) for k, v in dict(row.features or {}).items()},
        audience=int(row.audience),
        reactions=min(int(row.reactions or 0), int(row.audience)),
        created_at=row.created_at,
    )
