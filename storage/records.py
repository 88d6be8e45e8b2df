"""The values `Store` hands out and takes in: frozen dataclasses, never ORM objects.

Callers (the game core, adapters, the web page) must not hold live ORM rows: they would tie the
caller to a session and to lazy loading. Everything here is a plain snapshot; every datetime is
timezone-aware UTC.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any


def utcnow() -> datetime:
    """The current time, aware and in UTC: the only clock the storage layer trusts."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """`moment` converted to UTC; naive datetimes are refused because their zone is a guess."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: storage needs timezone-aware UTC times")
    return moment.astimezone(UTC)


def week_start(moment: datetime) -> datetime:
    """Monday 00:00 UTC of the ISO week holding `moment`: the boundary of "this week"."""
    moment = as_utc(moment)
    day = moment.date() - timedelta(days=moment.weekday())
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def day_start(moment: datetime) -> datetime:
    """00:00 UTC of the day holding `moment`: streaks count UTC days."""
    moment = as_utc(moment)
    return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)


class SubmissionStatus(enum.StrEnum):
    """What became of a photo. Only `SCORED` rows count for boards, stats, streaks, duplicates.

    The other outcomes are still recorded so a re-delivered update gets the same answer.
    """

    SCORED = "scored"
    NO_FACE = "no_face"
    UNREADABLE = "unreadable"
    DUPLICATE = "duplicate"
    RATE_LIMITED = "rate_limited"


class UpdateState(enum.StrEnum):
    """How far the game got with a platform delivery (see `Store.begin_update`)."""

    NEW = "new"
    """First time seen: handle it."""
    PENDING = "pending"
    """Seen before but never answered (a crash half-way): handle it again."""
    ANSWERED = "answered"
    """Already answered: stay silent."""


class Metric(enum.StrEnum):
    """What a leaderboard ranks by."""

    BEST = "best"
    """The user's best score in the window; tie: whoever reached it first."""
    AVERAGE = "average"
    """Average of the user's N best scores (N = `Leaderboard.top_n`); tie: first to reach it."""
    COUNT = "count"
    """Number of scored photos; tie: whoever reached that count first."""


class DuelStatus(enum.StrEnum):
    """A duel's lifecycle: pending -> active -> finished, or pending -> declined/expired."""

    PENDING = "pending"
    ACTIVE = "active"
    FINISHED = "finished"
    DECLINED = "declined"
    EXPIRED = "expired"


OPEN_DUEL_STATUSES: tuple[DuelStatus, ...] = (DuelStatus.PENDING, DuelStatus.ACTIVE)


@dataclass(frozen=True)
class Window:
    """A half-open time range [since, until) that boards and stats look at; None = unbounded."""

    since: datetime | None = None
    until: datetime | None = None

    @classmethod
    def all_time(cls) -> Window:
        return cls()

    @classmethod
    def week_of(cls, moment: datetime) -> Window:
        """The ISO week (Monday 00:00 UTC onwards) holding `moment`."""
        start = week_start(moment)
        return cls(start, start + timedelta(days=7))

    @property
    def bounds(self) -> tuple[bool, bool]:
        """Which ends are set: queries over a window are built once per shape, not per window."""
        return self.since is not None, self.until is not None

    def contains(self, moment: datetime) -> bool:
        moment = as_utc(moment)
        if self.since is not None and moment < self.since:
            return False
        return not (self.until is not None and moment >= self.until)


@dataclass(frozen=True)
class ChatSettings:
    """Per-chat game settings; new chats take the defaults the caller passes to `upsert_chat`.

    `auto_score`: score every photo posted (True) or only photos sent with `/rate` (False);
    Discord channels are opt-in, so the Discord adapter creates its chats with False.
    """

    season_days: int = 7
    language: str = "en"
    duels_enabled: bool = True
    rate_limit_photos: int = 10
    rate_limit_window_minutes: int = 10
    auto_score: bool = True

    @property
    def rate_limit_window(self) -> timedelta:
        return timedelta(minutes=self.rate_limit_window_minutes)


@dataclass(frozen=True)
class UserRecord:
    """A person on one platform; the same human on Telegram and Discord is two users."""

    id: int
    platform: str
    platform_user_id: str
    display_name: str
    username: str | None
    language: str | None
    created_at: datetime


@dataclass(frozen=True)
class ChatRecord:
    """A conversation on one platform (Telegram chat, Discord channel, the web board)."""

    id: int
    platform: str
    platform_chat_id: str
    title: str | None
    is_private: bool
    settings: ChatSettings
    created_at: datetime


@dataclass(frozen=True)
class NewSubmission:
    """Everything the core knows about a photo it analysed, ready to be recorded.

    `update_id` is the platform delivery id, unique per platform: recording the same one twice
    yields the first row. `phash` is the 64-bit perceptual hash as an unsigned int. `score` is
    0-100, `popularity` the model's probability 0-1. Photo bytes are never stored.
    """

    chat_id: int
    user_id: int
    platform: str
    update_id: str
    status: SubmissionStatus = SubmissionStatus.SCORED
    message_id: str | None = None
    sha256: str | None = None
    phash: int | None = None
    popularity: float | None = None
    score: float | None = None
    emotions: Mapping[str, float] = field(default_factory=dict)
    quality: Mapping[str, float] = field(default_factory=dict)
    face_count: int = 0
    model_version: str = ""
    duplicate_of: int | None = None
    created_at: datetime | None = None
    """Defaults to now; tests and imports may backdate."""
    analysis: Mapping[str, Any] | None = None
    """The analyzer's result as JSON (`inference.Analysis.to_record`), kept so nothing analyses
    the photo twice."""


@dataclass(frozen=True)
class SubmissionRecord:
    """A recorded photo outcome (never the photo itself)."""

    id: int
    chat_id: int
    user_id: int
    platform: str
    update_id: str
    status: SubmissionStatus
    created_at: datetime
    message_id: str | None
    bot_message_id: str | None
    sha256: str | None
    phash: int | None
    popularity: float | None
    score: float | None
    emotions: Mapping[str, float]
    quality: Mapping[str, float]
    face_count: int
    model_version: str
    duplicate_of: int | None
    analysis: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class RecordResult:
    """The answer of `Submissions.record`: `created` is False when the update was seen before
    (then `submission` is the original row)."""

    submission: SubmissionRecord
    created: bool


@dataclass(frozen=True)
class DuplicateMatch:
    """An earlier scored photo whose perceptual hash is within the asked Hamming distance."""

    submission: SubmissionRecord
    distance: int


@dataclass(frozen=True)
class LeaderboardEntry:
    """One line of a board. `value` is the metric (score, average or photo count)."""

    rank: int
    user_id: int
    display_name: str
    username: str | None
    value: float
    photos: int
    best: float
    achieved_at: datetime


@dataclass(frozen=True)
class Leaderboard:
    """A chat's board for a window; `viewer` is the asker's own line even outside `entries`."""

    chat_id: int
    window: Window
    metric: Metric
    top_n: int
    entries: tuple[LeaderboardEntry, ...]
    viewer: LeaderboardEntry | None
    players: int


@dataclass(frozen=True)
class DailyScore:
    """A user's scored photos on one UTC day in one chat."""

    day: date
    best: float
    average: float
    count: int


@dataclass(frozen=True)
class AchievementRecord:
    """A badge a user earned in a chat (`code` is the core's badge id, e.g. `first_selfie`)."""

    id: int
    user_id: int
    chat_id: int
    code: str
    earned_at: datetime
    details: Mapping[str, Any]


@dataclass(frozen=True)
class UserStats:
    """A user's standing in one chat (all time unless a window was asked).

    `days` are the UTC days with a scored photo, oldest first (the core's `rules.streaks`
    makes streaks of them). `rank` is on the best-score board of the window, None when the
    user has no scored photo in it.
    """

    user_id: int
    chat_id: int
    window: Window
    count: int
    best: float | None
    average: float | None
    last_at: datetime | None
    days: tuple[date, ...]
    rank: int | None
    players: int
    badges: tuple[AchievementRecord, ...]


@dataclass(frozen=True)
class Season:
    """A chat's season: open while `closed_at` is None; due once `ends_at` has passed."""

    id: int
    chat_id: int
    number: int
    starts_at: datetime
    ends_at: datetime
    closed_at: datetime | None
    winner_user_id: int | None

    @property
    def window(self) -> Window:
        """The time range whose photos count for this season."""
        return Window(self.starts_at, self.closed_at)

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


@dataclass(frozen=True)
class SeasonRollover:
    """What exactly one caller gets when it closes a season: the final board and the next one.

    `announcement_id` is the outbox row that posts the results (claim it, or let the
    announcement loop do it).
    """

    closed: Season
    next: Season
    board: Leaderboard
    announcement_id: int


@dataclass(frozen=True)
class DuelRecord:
    """A duel between two users of a chat; each side's first photo after acceptance counts."""

    id: int
    chat_id: int
    challenger_id: int
    opponent_id: int
    status: DuelStatus
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    finished_at: datetime | None
    challenger_submission_id: int | None
    opponent_submission_id: int | None
    challenger_score: float | None
    opponent_score: float | None
    winner_user_id: int | None

    def involves(self, user_id: int) -> bool:
        return user_id in (self.challenger_id, self.opponent_id)

    def other(self, user_id: int) -> int:
        """The other side's user id."""
        return self.opponent_id if user_id == self.challenger_id else self.challenger_id


@dataclass(frozen=True)
class DuelRating:
    """A user's Elo rating and record in one chat (1000 before the first duel)."""

    chat_id: int
    user_id: int
    rating: float
    wins: int
    losses: int
    draws: int


@dataclass(frozen=True)
class DuelOutcome:
    """A duel that just finished (or expired), with the rating change of each side.

    Only the one caller whose write finished the duel receives this, so announcing it is safe.
    `ratings` is empty for expired duels where nobody played.
    """

    duel: DuelRecord
    ratings: Mapping[int, tuple[float, float]]
    """user id -> (rating before, rating after)."""


@dataclass(frozen=True)
class DuelEntryResult:
    """The answer of `Store.record_duel_entry`: `counted` False when that side already played."""

    duel: DuelRecord
    counted: bool
    outcome: DuelOutcome | None


@dataclass(frozen=True)
class ReactionRecord:
    """An emoji a user put on a submission's bot message."""

    submission_id: int
    user_id: int
    emoji: str
    created_at: datetime


@dataclass(frozen=True)
class AnnouncementRecord:
    """An outbox message claimed for delivery; `payload` is whatever the core enqueued."""

    id: int
    chat_id: int
    platform: str
    platform_chat_id: str
    kind: str
    payload: Mapping[str, Any]
    dedupe_key: str
    due_at: datetime
    attempts: int


@dataclass(frozen=True)
class ForgetReport:
    """How many rows of each kind `forget_user` deleted (table name -> count), and in how
    many kept announcements it erased the user's id (`announcements_scrubbed`)."""

    user_id: int
    removed: Mapping[str, int]
    announcements_scrubbed: int = 0

    @property
    def total(self) -> int:
        return sum(self.removed.values())
