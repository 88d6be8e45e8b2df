"""The game's rules in one place: what counts, how fast one may post, what a streak is, when
seasons end and who wins them, and the ranges admins may choose. Flows, admin commands and the
scheduler read them from here (storage applies the season rules inside its own transactions).

Storage keeps only data constraints: column lengths and the setting ranges it refuses to store
(`storage.limits`, re-exported here so a value the game accepts is never refused when saved).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from storage.limits import RATE_LIMIT_PHOTOS, RATE_LIMIT_WINDOW_MINUTES, SEASON_DAYS, Bounds
from storage.records import ChatSettings, Metric, Season, SubmissionStatus

__all__ = [
    "COUNTED",
    "RATE_LIMIT_PHOTOS",
    "RATE_LIMIT_WINDOW_MINUTES",
    "SEASONS",
    "SEASON_DAYS",
    "Bounds",
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
