"""Pure helpers behind the store: streaks, Elo, hash encoding, windows, URLs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.core.rules import DUELS, streaks
from storage import Window, day_start, week_start
from storage.engine import normalize_url
from storage.streaks import daily_summaries
from storage.types import phash_from_db, phash_to_db

D = date(2026, 3, 10)


@pytest.mark.parametrize(
    ("offsets", "current", "longest"),
    [
        ([], 0, 0),
        ([0], 1, 1),
        ([-1], 1, 1),  # posted yesterday, not yet today: still alive
        ([-2], 0, 1),
        ([-4, -3, -2, 0], 1, 3),
        ([-3, -2, -1, 0, 0], 4, 4),
    ],
)
def test_streaks(offsets: list[int], current: int, longest: int):
    assert streaks((D + timedelta(days=o) for o in offsets), today=D) == (current, longest)


def test_daily_summaries_use_utc_days():
    late = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)
    summaries = daily_summaries([(late, 40.0), (late + timedelta(hours=1), 60.0), (late, 80.0)])
    assert [(s.day, s.best, s.average, s.count) for s in summaries] == [
        (date(2026, 3, 10), 80.0, 60.0, 2),
        (date(2026, 3, 11), 60.0, 60.0, 1),
    ]


def test_elo_is_zero_sum_and_rewards_upsets():
    assert DUELS.expected(1000, 1000) == 0.5
    win, loss = DUELS.rated(1000, 1000, 1.0)
    assert (win, loss) == (1016.0, 984.0)
    upset, _ = DUELS.rated(900, 1100, 1.0)
    assert upset - 900 > 16
    a, b = DUELS.rated(1234.5, 987.0, 0.5)
    assert a + b == pytest.approx(1234.5 + 987.0)


@pytest.mark.parametrize("value", [0, 1, (1 << 63) - 1, 1 << 63, (1 << 64) - 1])
def test_phash_round_trips_through_signed_bigint(value: int):
    stored = phash_to_db(value)
    assert -(1 << 63) <= stored < (1 << 63)
    assert phash_from_db(stored) == value


def test_phash_out_of_range_is_refused():
    with pytest.raises(ValueError):
        phash_to_db(1 << 64)
    with pytest.raises(ValueError):
        phash_to_db(-1)


def test_week_and_day_boundaries_are_utc():
    sunday_night = datetime(2026, 3, 8, 23, 59, tzinfo=UTC)
    assert week_start(sunday_night) == datetime(2026, 3, 2, tzinfo=UTC)
    window = Window.week_of(sunday_night)
    assert window.contains(sunday_night)
    assert not window.contains(sunday_night + timedelta(minutes=1))
    assert day_start(sunday_night) == datetime(2026, 3, 8, tzinfo=UTC)
    with pytest.raises(ValueError, match="naive"):
        week_start(datetime(2026, 3, 8))


def test_urls_pick_async_drivers():
    assert normalize_url("sqlite:///x.db").drivername == "sqlite+aiosqlite"
    assert normalize_url("postgres://u@h/db").drivername == "postgresql+asyncpg"
    assert normalize_url("postgresql+asyncpg://u@h/db").drivername == "postgresql+asyncpg"
