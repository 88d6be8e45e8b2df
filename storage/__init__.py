"""The game's memory: SQLAlchemy 2 async schema, Alembic migrations and the queries the game
makes, on SQLite (default) or PostgreSQL. Everything public is re-exported here.

`Store` pulls in SQLAlchemy (about half a second), so they load on first use
(PEP 562): importing a light submodule such as `storage.records` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
    LeaderboardEntry,
    Metric,
    NewSubmission,
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
    day_start,
    utcnow,
    week_start,
)

if TYPE_CHECKING:
    from storage.repository import Store

_LAZY = frozenset({"Store"})

__all__ = [
    "OPEN_DUEL_STATUSES",
    "AchievementRecord",
    "AnnouncementRecord",
    "ChatRecord",
    "ChatSettings",
    "DailyScore",
    "DuelEntryResult",
    "DuelOutcome",
    "DuelRating",
    "DuelRecord",
    "DuelStatus",
    "DuplicateMatch",
    "ForgetReport",
    "Leaderboard",
    "LeaderboardEntry",
    "Metric",
    "NewSubmission",
    "ReactionRecord",
    "RecordResult",
    "Season",
    "SeasonRollover",
    "Store",
    "SubmissionRecord",
    "SubmissionStatus",
    "UpdateState",
    "UserRecord",
    "UserStats",
    "Window",
    "as_utc",
    "day_start",
    "utcnow",
    "week_start",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from storage import repository

        return getattr(repository, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
