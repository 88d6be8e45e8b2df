"""Streaks and per-day summaries: pure functions over a user's photo times, in UTC days."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from storage.records import DailyScore, as_utc


def streaks(days: Iterable[date], today: date) -> tuple[int, int]:
    """(current, longest) runs of consecutive days.

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


def daily_summaries(scores: Iterable[tuple[datetime, float]]) -> list[DailyScore]:
    """Group (time, score) pairs by UTC day, oldest day first."""
    per_day: dict[date, list[float]] = {}
    for moment, score in scores:
        per_day.setdefault(as_utc(moment).date(), []).append(score)
    return [
        DailyScore(day=day, best=max(values), average=sum(values) / len(values), count=len(values))
        for day, values in sorted(per_day.items())
    ]
