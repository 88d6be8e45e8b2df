"""Forgetting and exporting one user, each inside the caller's single transaction.

A private chat (a one-to-one conversation with the bot) is itself about its one member: on
Telegram its id is the user's own id. So forgetting a user also deletes the private chats
nobody else was ever seen in, with their seasons and queued announcements. Announcements in
the other chats they played in stay, without their id (`storage.scrub`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.convert import submission_record
from storage.records import ForgetReport
from storage.runner import Runner
from storage.schema import (
    achievements,
    announcements,
    chats,
    duel_ratings,
    duels,
    memberships,
    photo_features,
    reactions,
    seasons,
    standings,
    submissions,
    users,
)
from storage.scrub import scrub_announcements


async def forget(conn: AsyncConnection, user_id: int) -> ForgetReport:
    """Delete everything about the user; counts per table. Children go before parents so the
    counts are exact rather than hidden inside ON DELETE CASCADE."""
    own = select(submissions.c.id).where(submissions.c.user_id == user_id).scalar_subquery()
    private = await _private_chats(conn, user_id)
    member_of = list(
        (
            await conn.execute(
                select(memberships.c.chat_id).where(memberships.c.user_id == user_id)
            )
        ).scalars()
    )
    removed: dict[str, int] = {}

    async def drop(name: str, statement: Any) -> None:
        removed[name] = (await conn.execute(statement)).rowcount or 0

    await drop(
        "reactions",
        delete(reactions).where(
            or_(reactions.c.user_id == user_id, reactions.c.submission_id.in_(own))
        ),
    )
    await drop(
        "duels",
        delete(duels).where(or_(duels.c.challenger_id == user_id, duels.c.opponent_id == user_id)),
    )
    await drop("duel_ratings", delete(duel_ratings).where(duel_ratings.c.user_id == user_id))
    await drop("achievements", delete(achievements).where(achievements.c.user_id == user_id))
    await conn.execute(
        update(seasons).where(seasons.c.winner_user_id == user_id).values(winner_user_id=None)
    )
    await conn.execute(
        update(submissions)
        .where(submissions.c.duplicate_of.in_(own), submissions.c.user_id != user_id)
        .values(duplicate_of=None)
    )
    await drop(
        "photo_features",
        delete(photo_features).where(photo_features.c.submission_id.in_(own)),
    )
    await drop("standings", delete(standings).where(standings.c.user_id == user_id))
    await drop("submissions", delete(submissions).where(submissions.c.user_id == user_id))
    await drop("memberships", delete(memberships).where(memberships.c.user_id == user_id))
    await drop("users", delete(users).where(users.c.id == user_id))
    await drop("announcements", delete(announcements).where(announcements.c.chat_id.in_(private)))
    await drop("seasons", delete(seasons).where(seasons.c.chat_id.in_(private)))
    await drop("chats", delete(chats).where(chats.c.id.in_(private)))
    scrubbed = await scrub_announcements(conn, user_id, member_of)
    return ForgetReport(user_id=user_id, removed=removed, announcements_scrubbed=scrubbed)


async def _private_chats(conn: AsyncConnection, user_id: int) -> list[int]:
    """The user's private chats that no other user was seen in (read before memberships go).

    A private chat someone else also appears in is left alone: it is not only about them.
    """
    others = memberships.alias("others")
    someone_else = (
        select(others.c.user_id)
        .where(others.c.chat_id == memberships.c.chat_id, others.c.user_id != user_id)
        .exists()
    )
    rows = await conn.execute(
        select(memberships.c.chat_id)
        .join(chats, chats.c.id == memberships.c.chat_id)
        .where(memberships.c.user_id == user_id, chats.c.is_private.is_(True), ~someone_else)
    )
    return list(rows.scalars())


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _taste_json(row: Any) -> dict[str, Any] | None:
    """What the group taste model keeps about one photo (None for photos it has not seen)."""
    if row is None:
        return None
    return {
        "features": dict(row.features or {}),
        "audience": row.audience,
        "anonymous_reactions": row.anonymous_on_photo + row.anonymous_on_result,
    }


async def export(conn: AsyncConnection, user_id: int) -> dict[str, Any]:
    """Everything stored about the user as plain JSON types (empty dict: no such user).

    Covers every table `forget` deletes from, so what a user can download is what forgetting
    them removes. Other people appear only as counts (reactions received), never by name.
    """
    user = (await conn.execute(select(users).where(users.c.id == user_id))).first()
    if user is None:
        return {}
    chat_rows = (
        await conn.execute(
            select(
                chats.c.id,
                chats.c.platform_chat_id,
                chats.c.title,
                chats.c.is_private,
                memberships,
            )
            .join(memberships, memberships.c.chat_id == chats.c.id)
            .where(memberships.c.user_id == user_id)
            .order_by(chats.c.id)
        )
    ).all()
    chat_ref = {row.id: row.platform_chat_id for row in chat_rows}
    sub_rows = (
        await conn.execute(
            select(submissions, chats.c.platform_chat_id)
            .join(chats, chats.c.id == submissions.c.chat_id)
            .where(submissions.c.user_id == user_id)
            .order_by(submissions.c.created_at, submissions.c.id)
        )
    ).all()
    badge_rows = (
        await conn.execute(
            select(achievements, chats.c.platform_chat_id)
            .join(chats, chats.c.id == achievements.c.chat_id)
            .where(achievements.c.user_id == user_id)
            .order_by(achievements.c.earned_at)
        )
    ).all()
    duel_rows = (
        await conn.execute(
            select(duels)
            .where(or_(duels.c.challenger_id == user_id, duels.c.opponent_id == user_id))
            .order_by(duels.c.created_at)
        )
    ).all()
    rating_rows = (
        await conn.execute(select(duel_ratings).where(duel_ratings.c.user_id == user_id))
    ).all()
    reaction_rows = (
        await conn.execute(
            select(reactions).where(reactions.c.user_id == user_id).order_by(reactions.c.created_at)
        )
    ).all()
    received_rows = (
        await conn.execute(
            select(reactions.c.submission_id, reactions.c.emoji, func.count().label("n"))
            .join(submissions, submissions.c.id == reactions.c.submission_id)
            .where(submissions.c.user_id == user_id)
            .group_by(reactions.c.submission_id, reactions.c.emoji)
        )
    ).all()
    feature_rows = (
        await conn.execute(
            select(photo_features)
            .join(submissions, submissions.c.id == photo_features.c.submission_id)
            .where(submissions.c.user_id == user_id)
        )
    ).all()
    taste = {row.submission_id: row for row in feature_rows}
    received: dict[int, dict[str, int]] = {}
    for row in received_rows:
        received.setdefault(row.submission_id, {})[row.emoji] = int(row.n)
    standing_rows = (
        await conn.execute(
            select(standings).where(standings.c.user_id == user_id).order_by(standings.c.chat_id)
        )
    ).all()
    won_rows = (
        await conn.execute(
            select(seasons)
            .where(seasons.c.winner_user_id == user_id)
            .order_by(seasons.c.chat_id, seasons.c.number)
        )
    ).all()

    def submission_json(row: Any) -> dict[str, Any]:
        record = submission_record(row)
        return {
            "id": record.id,
            "chat": row.platform_chat_id,
            "created_at": _iso(record.created_at),
            "status": record.status.value,
            "score": record.score,
            "popularity": record.popularity,
            "emotions": dict(record.emotions),
            "quality": dict(record.quality),
            "face_count": record.face_count,
            "model_version": record.model_version,
            "sha256": record.sha256,
            "phash": f"{record.phash:016x}" if record.phash is not None else None,
            "message_id": record.message_id,
            "bot_message_id": record.bot_message_id,
            "update_id": record.update_id,
            "duplicate_of": record.duplicate_of,
            "analysis": dict(record.analysis) if record.analysis is not None else None,
            "reactions_received": received.get(record.id, {}),
            "taste": _taste_json(taste.get(record.id)),
        }

    return {
        "user": {
            "platform": user.platform,
            "platform_user_id": user.platform_user_id,
            "display_name": user.display_name,
            "username": user.username,
            "language": user.language,
            "created_at": _iso(user.created_at),
        },
        "chats": [
            {
                "chat": row.platform_chat_id,
                "title": row.title,
                "private": bool(row.is_private),
                "first_seen_at": _iso(row.first_seen_at),
                "last_seen_at": _iso(row.last_seen_at),
            }
            for row in chat_rows
        ],
        "submissions": [submission_json(row) for row in sub_rows],
        "totals": [
            {
                "chat": chat_ref.get(row.chat_id),
                "best": row.best,
                "best_at": _iso(row.best_at),
                "photos": row.photos,
                "total": row.total,
                "last_at": _iso(row.last_at),
            }
            for row in standing_rows
        ],
        "badges": [
            {
                "chat": row.platform_chat_id,
                "code": row.code,
                "earned_at": _iso(row.earned_at),
                "details": dict(row.details or {}),
            }
            for row in badge_rows
        ],
        "seasons_won": [
            {
                "chat": chat_ref.get(row.chat_id),
                "number": row.number,
                "starts_at": _iso(row.starts_at),
                "closed_at": _iso(row.closed_at),
            }
            for row in won_rows
        ],
        "duels": [
            {
                "id": row.id,
                "chat": chat_ref.get(row.chat_id),
                "role": "challenger" if row.challenger_id == user_id else "opponent",
                "status": row.status,
                "created_at": _iso(row.created_at),
                "accepted_at": _iso(row.accepted_at),
                "finished_at": _iso(row.finished_at),
                "your_submission_id": row.challenger_submission_id
                if row.challenger_id == user_id
                else row.opponent_submission_id,
                "your_score": row.challenger_score
                if row.challenger_id == user_id
                else row.opponent_score,
                "won": None if row.winner_user_id is None else row.winner_user_id == user_id,
            }
            for row in duel_rows
        ],
        "duel_ratings": [
            {
                "chat": chat_ref.get(row.chat_id),
                "rating": row.rating,
                "wins": row.wins,
                "losses": row.losses,
                "draws": row.draws,
            }
            for row in rating_rows
        ],
        "reactions": [
            {
                "submission_id": row.submission_id,
                "emoji": row.emoji,
                "created_at": _iso(row.created_at),
            }
            for row in reaction_rows
        ],
    }


class Privacy:
    """A user's right to leave and to see what the game keeps about them."""

    def __init__(self, runner: Runner) -> None:
        self._run = runner

    async def forget(self, user_id: int) -> ForgetReport:
        """Delete every row about the user in every chat in one transaction and say what went.

        Their submissions, reactions (given and received), badges, duels, ratings, totals,
        memberships and the user row go, and so do private chats only they were seen in (with
        those chats' seasons and announcements); seasons they won elsewhere keep existing with
        no winner.
        """
        return await self._run.write(lambda conn: forget(conn, user_id))

    async def export(self, user_id: int) -> dict[str, Any]:
        """All the user's data as a JSON-serialisable dict (times as ISO 8601 UTC)."""
        return await self._run.read(lambda conn: export(conn, user_id))
