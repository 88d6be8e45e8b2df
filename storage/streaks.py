"""Per-day summaries of a user's scores, in UTC days (streaks are a game rule: `bot.core.rules`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from storage.records import DailyScore, as_utc


def daily_summaries(scores: Iterable[tuple[datetime, float]]) -> list[DailyScore]:
    """Group (time, score) pairs by UTC day, oldest day first."""
    per_day: dict[date, list[float]] = {}
    for moment, score in scores:
        per_day.setdefault(as_utc(moment).date(), []).append(score)
    return [
        DailyScore(day=day, best=max(values), average=sum(values) / len(values), count=len(values))
        for day, values in sorted(per_day.items())
    ]
