"""The badge catalogue and its rules, as pure functions over facts the game gathers.

Rules that depend on one photo and the sender's stats are checked when the photo is scored
(`earned_for_photo`). Three badges are awarded by events instead: the season's winner and
its most improved player at rollover, the duel winner when a duel is decided. Names and
rule texts live in the message catalogue (`badge.<code>.name` / `badge.<code>.rule`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Badge:
    """A badge: stable `code` (stored), `icon` (emoji shown everywhere)."""

    code: str
    icon: str


FIRST_SELFIE = Badge("first_selfie", "📸")
SCORE_80 = Badge("score_80", "🔥")
SCORE_90 = Badge("score_90", "💎")
STREAK_3 = Badge("streak_3", "📅")
STREAK_7 = Badge("streak_7", "🗓️")
BEST_SMILE = Badge("best_smile", "😁")
POKER_FACE = Badge("poker_face", "😐")
LEVEL_UP = Badge("level_up", "📈")
SQUAD = Badge("squad", "👯")
REGULAR = Badge("regular", "🎞️")
CHAT_LEADER = Badge("chat_leader", "👑")
MOST_IMPROVED = Badge("most_improved", "🚀")
SEASON_WINNER = Badge("season_winner", "🏆")
DUEL_WINNER = Badge("duel_winner", "⚔️")

BADGES: tuple[Badge, ...] = (
    FIRST_SELFIE,
    SCORE_80,
    SCORE_90,
    STREAK_3,
    STREAK_7,
    BEST_SMILE,
    POKER_FACE,
    LEVEL_UP,
    SQUAD,
    REGULAR,
    CHAT_LEADER,
    MOST_IMPROVED,
    SEASON_WINNER,
    DUEL_WINNER,
)
BY_CODE: Mapping[str, Badge] = {badge.code: badge for badge in BADGES}

EMOTION_THRESHOLD = 0.9
LEVEL_UP_POINTS = 10
SQUAD_FACES = 3
REGULAR_PHOTOS = 10
LEADER_MIN_PLAYERS = 3


@dataclass(frozen=True)
class PhotoFacts:
    """What is known right after a photo was recorded, counting that photo.

    `previous_best` is the sender's best score in this chat before it (None on the first);
    `emotions` belong to the largest face; `season_rank` / `season_players` describe the
    season board after the photo.
    """

    score: int
    previous_best: int | None
    photo_count: int
    streak_days: int
    face_count: int
    emotions: Mapping[str, float] = field(default_factory=dict)
    season_rank: int | None = None
    season_players: int = 0


def earned_for_photo(facts: PhotoFacts) -> list[Badge]:
    """Every photo-time badge whose rule `facts` satisfy, in catalogue order.

    The game drops those the user already holds; rules stay free of that bookkeeping.
    """
    rules: list[tuple[Badge, bool]] = [
        (FIRST_SELFIE, facts.photo_count == 1),
        (SCORE_80, facts.score >= 80),
        (SCORE_90, facts.score >= 90),
        (STREAK_3, facts.streak_days >= 3),
        (STREAK_7, facts.streak_days >= 7),
        (BEST_SMILE, facts.emotions.get("happy", 0.0) >= EMOTION_THRESHOLD),
        (POKER_FACE, facts.emotions.get("neutral", 0.0) >= EMOTION_THRESHOLD),
        (
            LEVEL_UP,
            facts.previous_best is not None
            and facts.score - facts.previous_best >= LEVEL_UP_POINTS,
        ),
        (SQUAD, facts.face_count >= SQUAD_FACES),
        (REGULAR, facts.photo_count >= REGULAR_PHOTOS),
        (
            CHAT_LEADER,
            facts.season_rank == 1 and facts.season_players >= LEADER_MIN_PLAYERS,
        ),
    ]
    return [badge for badge, earned in rules if earned]


@dataclass(frozen=True)
class Improvement:
    """One player's best in a period against their best before it."""

    user_key: int
    best: int
    previous_best: int | None


def most_improved(entries: Sequence[Improvement]) -> int | None:
    """The player whose best rose the most over their earlier best (newcomers do not count).

    Ties go to the first entry, so callers pass players in leaderboard order (earlier wins).
    """
    winner: int | None = None
    best_gain = 0
    for entry in entries:
        if entry.previous_best is None:
            continue
        gain = entry.best - entry.previous_best
        if gain > best_gain:
            winner, best_gain = entry.user_key, gain
    return winner
