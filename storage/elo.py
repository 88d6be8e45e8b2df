"""Elo for duels: the standard logistic expectation with a fixed K."""

from __future__ import annotations

import math

K_FACTOR = 32.0


def expected(rating: float, other: float) -> float:
    """Probability that a player rated `rating` beats one rated `other`."""
    return 1.0 / (1.0 + math.pow(10.0, (other - rating) / 400.0))


def update(rating_a: float, rating_b: float, outcome_a: float) -> tuple[float, float]:
    """New ratings after a game; `outcome_a` is 1 (a won), 0.5 (draw) or 0 (a lost).

    The changes are equal and opposite, so ratings in a chat keep their sum.
    """
    delta = K_FACTOR * (outcome_a - expected(rating_a, rating_b))
    return rating_a + delta, rating_b - delta
