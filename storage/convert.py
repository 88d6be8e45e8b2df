"""Row -> record mapping, and the dialect-specific INSERT both databases share."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Integer, Row, Table, func
from sqlalchemy.dialects import postgresql, sqlite

from storage.records import (
    AchievementRecord,
    ChatRecord,
    ChatSettings,
    DuelRating,
    DuelRecord,
    DuelStatus,
    ReactionRecord,
    Season,
    SubmissionRecord,
    SubmissionStatus,
    UserRecord,
)
from storage.types import phash_from_db

DEFAULT_RATING = 1000.0


def upsert_insert(dialect: str, table: Table) -> Any:
    """An INSERT that understands ON CONFLICT for the database `dialect` names
    (`conn.dialect.name`)."""
    if dialect == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def greatest(dialect: str, a: Any, b: Any) -> ColumnElement[Any]:
    """The larger of two values: SQLite spells it max(a, b), PostgreSQL GREATEST(a, b)."""
    return func.max(a, b) if dialect == "sqlite" else func.greatest(a, b)


def least(dialect: str, a: Any, b: Any) -> ColumnElement[Any]:
    """The smaller of two values (see `greatest`)."""
    return func.min(a, b) if dialect == "sqlite" else func.least(a, b)


SQLITE_HAMMING = "selfiebot_hamming64"
"""The function `storage.engine` registers on every SQLite connection: SQLite has no popcount."""


def sqlite_hamming(a: int | None, b: int | None) -> int | None:
    """Differing bits of two 64-bit hashes stored as signed BIGINTs (runs inside SQLite)."""
    if a is None or b is None:
        return None
    return ((a ^ b) & 0xFFFF_FFFF_FFFF_FFFF).bit_count()


def hamming(dialect: str, a: Any, b: Any) -> ColumnElement[int]:
    """Differing bits of two 64-bit hashes, computed by the database so a duplicate check
    reads only the matches, not every hash of the season: PostgreSQL counts the bits of the
    XOR's eight bytes (`bit_count`, PostgreSQL 14+), SQLite calls `sqlite_hamming`."""
    if dialect == "sqlite":
        sqlite_function: ColumnElement[int] = getattr(func, SQLITE_HAMMING)(a, b, type_=Integer)
        return sqlite_function
    return func.bit_count(func.int8send(a.op("#")(b)), type_=Integer)


def _float(value: float | None) -> float | None:
    """SQLite may hand back a whole REAL as int; callers are promised floats."""
    return float(value) if value is not None else None


def user_record(row: Row[Any]) -> UserRecord:
    m = row._mapping
    return UserRecord(
        id=m["id"],
        platform=m["platform"],
        platform_user_id=m["platform_user_id"],
        display_name=m["display_name"],
        username=m["username"],
        language=m["language"],
        created_at=m["created_at"],
    )


def chat_record(row: Row[Any]) -> ChatRecord:
    m = row._mapping
    return ChatRecord(
        id=m["id"],
        platform=m["platform"],
        platform_chat_id=m["platform_chat_id"],
        title=m["title"],
        is_private=bool(m["is_private"]),
        settings=ChatSettings(
            season_days=m["season_days"],
            language=m["language"],
            duels_enabled=bool(m["duels_enabled"]),
            rate_limit_photos=m["rate_limit_photos"],
            rate_limit_window_minutes=m["rate_limit_window_minutes"],
            auto_score=bool(m["auto_score"]),
        ),
        created_at=m["created_at"],
    )


def submission_record(row: Row[Any]) -> SubmissionRecord:
    m = row._mapping
    return SubmissionRecord(
        id=m["id"],
        chat_id=m["chat_id"],
        user_id=m["user_id"],
        platform=m["platform"],
        update_id=m["update_id"],
        status=SubmissionStatus(m["status"]),
        created_at=m["created_at"],
        message_id=m["message_id"],
        bot_message_id=m["bot_message_id"],
        sha256=m["sha256"],
        phash=phash_from_db(m["phash"]),
        popularity=_float(m["popularity"]),
        score=_float(m["score"]),
        emotions=dict(m["emotions"] or {}),
        quality=dict(m["quality"] or {}),
        face_count=m["face_count"],
        model_version=m["model_version"],
        duplicate_of=m["duplicate_of"],
        analysis=m["analysis"],
    )


def season_record(row: Row[Any]) -> Season:
    m = row._mapping
    return Season(
        id=m["id"],
        chat_id=m["chat_id"],
        number=m["number"],
        starts_at=m["starts_at"],
        ends_at=m["ends_at"],
        closed_at=m["closed_at"],
        winner_user_id=m["winner_user_id"],
    )


def achievement_record(row: Row[Any]) -> AchievementRecord:
    m = row._mapping
    return AchievementRecord(
        id=m["id"],
        user_id=m["user_id"],
        chat_id=m["chat_id"],
        code=m["code"],
        earned_at=m["earned_at"],
        details=dict(m["details"] or {}),
    )


def duel_record(row: Row[Any]) -> DuelRecord:
    m = row._mapping
    return DuelRecord(
        id=m["id"],
        chat_id=m["chat_id"],
        challenger_id=m["challenger_id"],
        opponent_id=m["opponent_id"],
        status=DuelStatus(m["status"]),
        created_at=m["created_at"],
        expires_at=m["expires_at"],
        accepted_at=m["accepted_at"],
        finished_at=m["finished_at"],
        challenger_submission_id=m["challenger_submission_id"],
        opponent_submission_id=m["opponent_submission_id"],
        challenger_score=_float(m["challenger_score"]),
        opponent_score=_float(m["opponent_score"]),
        winner_user_id=m["winner_user_id"],
    )


def rating_record(row: Row[Any] | None, chat_id: int, user_id: int) -> DuelRating:
    if row is None:
        return DuelRating(chat_id, user_id, DEFAULT_RATING, 0, 0, 0)
    m = row._mapping
    return DuelRating(
        chat_id=m["chat_id"],
        user_id=m["user_id"],
        rating=float(m["rating"]),
        wins=m["wins"],
        losses=m["losses"],
        draws=m["draws"],
    )


def reaction_record(row: Row[Any]) -> ReactionRecord:
    m = row._mapping
    return ReactionRecord(
        submission_id=m["submission_id"],
        user_id=m["user_id"],
        emoji=m["emoji"],
        created_at=m["created_at"],
    )
