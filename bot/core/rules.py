"""The game's rules in one place: what counts, how fast one may post, what a streak is, when
seasons end and who wins them, who wins a duel and how ratings move, and the ranges admins may
choose. Flows, admin commands and the scheduler read them from here (storage applies the season
and duel rules inside its own transactions).

Storage keeps only data constraints: column lengths and the setting ranges it refuses to store
(`storage.limits`, re-exported here so a value the game accepts is never refused when saved).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from storage.limits import RATE_LIMIT_PHOTOS, RATE_LIMIT_WINDOW_MINUTES, SEASON_DAYS, Bounds
from storage.records import ChatSettings, DuelRecord, Metric, Season, SubmissionStatus

__all__ = [
    "COUNTED",
    "DUELS",
    "RATE_LIMIT_PHOTOS",
    "RATE_LIMIT_WINDOW_MINUTES",
    "SEASONS",
    "SEASON_DAYS",
    "Bounds",
    "DuelRules",
    "RateLimit",
    "SeasonRules",
    "rate_limit",
    "retry_at",
    "streaks",
]

COUNTED: tuple[SubmissionStatus, ...] = (SubmissionStatus.SCORED,)
"""Only scored photos count: against the rate limit, on boards and for streaks. A photo with no
face, an unreadable file or a duplicate is recorded (so a re-delivery is answered the same way)
but costs the sender nothing."""


@dataclass(frozen=True)
class RateLimit:
    """At most `photos` counted photos per sender per chat within a sliding `window`."""

    photos: int
    window: timedelta


def rate_limit(settings: ChatSettings) -> RateLimit:
    """The chat's limit, as its admins set it (`/ratelimit`)."""
    return RateLimit(settings.rate_limit_photos, settings.rate_limit_window)


def retry_at(recent: Sequence[datetime], limit: RateLimit, now: datetime) -> datetime | None:
    """When the sender may post again, or None if a photo is allowed now.

    `recent` are the times of the sender's counted photos (any order). With `limit.photos` of
    them inside the sliding window, the next slot opens when the oldest of the newest
    `limit.photos` leaves the window.
    """
    inside = sorted(t for t in recent if now - limit.window < t <= now)
    if len(inside) < limit.photos:
        return None
    return inside[-limit.photos] + limit.window


def streaks(days: Iterable[date], today: date) -> tuple[int, int]:
    """(current, longest) runs of consecutive UTC days with a counted photo.

    The current run is still alive when its last day is today or yesterday: a player who
    hasn't posted yet today has not lost their streak.
    """
    ordered = sorted(set(days))
    longest = run = 0
    previous: date | None = None
    for day in ordered:
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        longest = max(longest, run)
        previous = day
    if previous is None or today - previous > timedelta(days=1):
        return 0, longest
    return run, longest


@dataclass(frozen=True)
class SeasonRules:
    """When seasons end and who wins them (`storage.seasons.SeasonPolicy`)."""

    winner_metric: Metric = Metric.BEST
    """The season's winner tops the best-score board over the season."""

    def closes_at(self, season: Season, now: datetime, *, force: bool) -> datetime:
        """A due season ends where it was planned to; an admin's reset ends it now (never before
        it started). Either way the next one starts exactly there, so no photo falls between."""
        return max(season.starts_at, now) if force else season.ends_at

    def ends_at(self, starts_at: datetime, days: int, now: datetime) -> datetime:
        """`days` after `starts_at`, or `days` from now when that is already past (a chat where
        nobody rolled the season over for longer than a season)."""
        ends = starts_at + timedelta(days=days)
        return ends if ends > now else now + timedelta(days=days)


SEASONS = SeasonRules()


@dataclass(frozen=True)
class DuelRules:
    """Who wins a duel and how Elo ratings move (`storage.duels.DuelPolicy`)."""

    k_factor: float = 32.0
    """How far one game moves a rating (Elo's K)."""

    def winner(self, duel: DuelRecord) -> int | None:
        """The higher score wins and equal scores draw; when time runs out with one photo in,
        its player wins."""
        mine, theirs = duel.challenger_score, duel.opponent_score
        if mine is None or theirs is None:
            if mine is not None:
                return duel.challenger_id
            return duel.opponent_id if theirs is not None else None
        if mine == theirs:
            return None
        return duel.challenger_id if mine > theirs else duel.opponent_id

    @staticmethod
    def expected(rating: float, other: float) -> float:
        """Probability that a player rated `rating` beats one rated `other` (Elo's logistic)."""
        return 1.0 / (1.0 + math.pow(10.0, (other - rating) / 400.0))

    def rated(self, rating: float, other: float, outcome: float) -> tuple[float, float]:
        """New ratings after a game; `outcome` is 1 (the first player won), 0.5 or 0. The
        changes are equal and opposite, so ratings in a chat keep their sum."""
        delta = self.k_factor * (outcome - self.expected(rating, other))
        return rating + delta, other - delta


DUELS = DuelRules()
