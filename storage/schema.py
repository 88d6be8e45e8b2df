"""The tables. Migrations in `storage/migrations` must produce exactly this schema (a test
compares them), so every change here needs a new revision.

Queries use these tables through SQLAlchemy Core; the ORM classes only declare the schema.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import UTCDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

NEVER_REUSED: dict[str, Any] = {"sqlite_autoincrement": True}
"""Table option for tables whose ids leave the database (in replies, buttons, announcements,
exports): SQLite otherwise hands a deleted row's id (a forgotten user's) to the next insert.
PostgreSQL sequences never reuse ids, so this only changes SQLite's DDL."""

OPEN_DUEL_SQL = "status IN ('pending', 'active')"
OPEN_SEASON_SQL = "closed_at IS NULL"


class Base(DeclarativeBase):
    # Every model here maps one Table (SQLAlchemy types it as any FromClause, which could be a
    # join), so `Model.__table__` supports insert/update/delete for the type checker too.
    __table__: ClassVar[Table]
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


class User(Base):
    """A person on one platform. `username_key` is the lower-cased handle for lookups."""

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("platform", "platform_user_id"),
        Index(None, "platform", "username_key"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    platform_user_id: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(255))
    username: Mapped[str | None] = mapped_column(String(64))
    username_key: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Chat(Base):
    """A conversation on one platform and its game settings (one column per setting)."""

    __tablename__ = "chats"
    __table_args__ = (UniqueConstraint("platform", "platform_chat_id"), NEVER_REUSED)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    platform_chat_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(String(255))
    is_private: Mapped[bool] = mapped_column(Boolean)
    season_days: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(16))
    duels_enabled: Mapped[bool] = mapped_column(Boolean)
    rate_limit_photos: Mapped[int] = mapped_column(Integer)
    rate_limit_window_minutes: Mapped[int] = mapped_column(Integer)
    auto_score: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]


class Membership(Base):
    """That a user was seen in a chat; its row is also the per-user-per-chat write lock."""

    __tablename__ = "memberships"
    __table_args__ = (Index(None, "user_id"),)

    chat_id: Mapped[int] = mapped_column(
        ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]


class Submission(Base):
    """One photo outcome. The two covering indexes serve windowed boards (by time) and
    per-user stats/rate limits; `(platform, update_id)` is the idempotency key."""

    __tablename__ = "submissions"
    __table_args__ = (
        UniqueConstraint("platform", "update_id"),
        Index(None, "chat_id", "status", "created_at", "user_id", "score"),
        Index(None, "chat_id", "user_id", "status", "created_at", "score"),
        Index(None, "chat_id", "bot_message_id"),
        Index(None, "chat_id", "message_id"),
        Index(None, "user_id"),
        Index(None, "duplicate_of"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    update_id: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    message_id: Mapped[str | None] = mapped_column(String(64))
    bot_message_id: Mapped[str | None] = mapped_column(String(64))
    sha256: Mapped[str | None] = mapped_column(String(64))
    phash: Mapped[int | None] = mapped_column(BigInteger)
    popularity: Mapped[float | None] = mapped_column(Float)
    score: Mapped[float | None] = mapped_column(Float)
    emotions: Mapped[dict[str, Any]]
    quality: Mapped[dict[str, Any]]
    face_count: Mapped[int] = mapped_column(Integer)
    model_version: Mapped[str] = mapped_column(String(64))
    duplicate_of: Mapped[int | None] = mapped_column(
        ForeignKey("submissions.id", ondelete="SET NULL")
    )
    analysis: Mapped[dict[str, Any] | None]
    """The analyzer's full result (faces, expressions, quality, embedding), so `/tips` and a
    re-delivered photo's answer never analyse the photo again; None for unreadable photos."""


class Standing(Base):
    """Running all-time totals per player per chat, kept in step with every scored insert.

    All-time boards and ranks read this instead of aggregating every photo of a chat, which is
    what keeps them fast on big chats; windowed boards (week, season) aggregate photos.
    `best_at` is when the best score was first reached, the board's tie-break.
    """

    __tablename__ = "standings"
    __table_args__ = (Index(None, "chat_id", "best", "best_at", "user_id"), Index(None, "user_id"))

    chat_id: Mapped[int] = mapped_column(
        ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    best: Mapped[float] = mapped_column(Float)
    best_at: Mapped[datetime]
    photos: Mapped[int] = mapped_column(Integer)
    total: Mapped[float] = mapped_column(Float)
    last_at: Mapped[datetime]


class SeasonRow(Base):
    """A chat's season. At most one open season per chat (partial unique index), and one row
    per number, so concurrent creators and rollovers cannot double up."""

    __tablename__ = "seasons"
    __table_args__ = (
        UniqueConstraint("chat_id", "number"),
        Index(
            "uq_seasons_open_chat",
            "chat_id",
            unique=True,
            sqlite_where=text(OPEN_SEASON_SQL),
            postgresql_where=text(OPEN_SEASON_SQL),
        ),
        Index(None, "closed_at", "ends_at"),
        Index(None, "winner_user_id"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    winner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Achievement(Base):
    """A badge, once per user per chat."""

    __tablename__ = "achievements"
    __table_args__ = (
        UniqueConstraint("user_id", "chat_id", "code"),
        Index(None, "chat_id"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(64))
    earned_at: Mapped[datetime]
    details: Mapped[dict[str, Any]]


class Duel(Base):
    """A duel. `pair_key` ("low:high" user ids) with a partial unique index allows one open
    duel per pair per chat, whichever side challenged."""

    __tablename__ = "duels"
    __table_args__ = (
        Index(
            "uq_duels_open_pair",
            "chat_id",
            "pair_key",
            unique=True,
            sqlite_where=text(OPEN_DUEL_SQL),
            postgresql_where=text(OPEN_DUEL_SQL),
        ),
        Index(None, "status", "expires_at"),
        Index(None, "challenger_id"),
        Index(None, "opponent_id"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    challenger_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    opponent_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    pair_key: Mapped[str] = mapped_column(String(41))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    challenger_submission_id: Mapped[int | None] = mapped_column(
        ForeignKey("submissions.id", ondelete="SET NULL")
    )
    opponent_submission_id: Mapped[int | None] = mapped_column(
        ForeignKey("submissions.id", ondelete="SET NULL")
    )
    challenger_score: Mapped[float | None] = mapped_column(Float)
    opponent_score: Mapped[float | None] = mapped_column(Float)
    winner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class DuelRatingRow(Base):
    """Elo rating and record per user per chat."""

    __tablename__ = "duel_ratings"
    __table_args__ = (Index(None, "user_id"),)

    chat_id: Mapped[int] = mapped_column(
        ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    rating: Mapped[float] = mapped_column(Float)
    wins: Mapped[int] = mapped_column(Integer)
    losses: Mapped[int] = mapped_column(Integer)
    draws: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime]


class Reaction(Base):
    """An emoji a user put on a submission's result message."""

    __tablename__ = "reactions"
    __table_args__ = (Index(None, "user_id"),)

    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    emoji: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime]


class PhotoFeatures(Base):
    """What the group taste model keeps about one scored photo, never the photo itself: its
    feature vector (`inference.taste.features`, `version` says which recipe made it), how many
    people could have reacted (`audience`) and the anonymous reaction totals a platform reports
    without names, on the photo and on the bot's result. Named reactions are `reactions` rows."""

    __tablename__ = "photo_features"
    __table_args__ = (Index(None, "chat_id", "created_at"),)

    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True
    )
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    features: Mapped[dict[str, Any]]
    version: Mapped[int] = mapped_column(Integer)
    audience: Mapped[int] = mapped_column(Integer)
    anonymous_on_photo: Mapped[int] = mapped_column(Integer)
    anonymous_on_result: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]


class ProcessedUpdate(Base):
    """Platform deliveries the game has started on and whether it answered them, so a
    re-delivered command or button press is answered once (photos have their submission).

    The row is also the delivery's claim (`storage.claims`): `owner` handles it until
    `lease_until`; `sending_at` is set the moment its reply starts going out, so a process that
    retakes an expired claim knows whether a reply may already have been posted."""

    __tablename__ = "processed_updates"
    __table_args__ = (Index(None, "created_at"),)

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    update_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    created_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    sending_at: Mapped[datetime | None]


class LastPhoto(Base):
    """Where each user's last scored photo can be fetched again for `/tips`: the platform's
    handle (Telegram file_id, Discord channel/message/attachment ids), never the photo."""

    __tablename__ = "last_photos"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    platform_user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    handle: Mapped[str] = mapped_column(Text)
    stored_at: Mapped[datetime]
    submission_id: Mapped[int | None] = mapped_column(Integer)
    """The photo's recorded submission, whose stored analysis `/tips` reuses (no foreign key:
    the handle outlives a deleted submission, and `/tips` then analyses the photo itself)."""


class Announcement(Base):
    """Outbox: messages the core posts on its own; `dedupe_key` makes queuing idempotent and
    `claimed_until` is a lease so exactly one worker delivers at a time."""

    __tablename__ = "announcements"
    __table_args__ = (
        UniqueConstraint("dedupe_key"),
        Index(None, "sent_at", "due_at"),
        Index(None, "chat_id"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]]
    dedupe_key: Mapped[str] = mapped_column(String(128))
    due_at: Mapped[datetime]
    created_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


metadata = Base.metadata
users = User.__table__
chats = Chat.__table__
memberships = Membership.__table__
submissions = Submission.__table__
standings = Standing.__table__
seasons = SeasonRow.__table__
achievements = Achievement.__table__
duels = Duel.__table__
duel_ratings = DuelRatingRow.__table__
reactions = Reaction.__table__
photo_features = PhotoFeatures.__table__
announcements = Announcement.__table__
processed_updates = ProcessedUpdate.__table__
last_photos = LastPhoto.__table__
