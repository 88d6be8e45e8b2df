"""The group taste model on planted tastes: it finds them, says them, and falls back to the
global score when the group has not reacted to anything."""

from __future__ import annotations

import math

import numpy as np
import pytest

from inference.taste.model import GLOBAL, RatedPhoto, fit_taste


def _photos(rng: np.random.Generator, count: int) -> list[tuple[dict[str, float], float]]:
    """Feature vectors shaped like real ones, with popularity unrelated to face size."""
    photos = []
    for _ in range(count):
        features = {
            "face_size": float(rng.uniform(0.2, 0.8)),
            "happy": float(rng.uniform(0, 1)),
            "brightness": float(rng.uniform(0.2, 0.8)),
            "saturation": float(rng.uniform(0.1, 0.6)),
            "roll": float(rng.uniform(0, 15)),
        }
        photos.append((features, float(rng.uniform(0.05, 0.95))))
    return photos


def _react(
    rng: np.random.Generator, photos: list[tuple[dict[str, float], float]], taste: str
) -> list[RatedPhoto]:
    """A group of 15 that loves close-ups (`face_size`) or simply follows the global score."""
    rated = []
    for features, popularity in photos:
        if taste == "close-ups":
            logit = -1.2 + 8.0 * (features["face_size"] - 0.5)
        else:
            logit = -1.2 + 1.5 * math.log(popularity / (1 - popularity))
        audience = 15
        chance = 1 / (1 + math.exp(-logit))
        rated.append(
            RatedPhoto(features, popularity, int(rng.binomial(audience, chance)), audience)
        )
    return rated


def test_learns_a_planted_taste_and_ranks_by_it():
    rng = np.random.default_rng(7)
    model = fit_taste(_react(rng, _photos(rng, 60), "close-ups"))
    assert model.rated == 60
    assert model.weights["face_size"] > 0.5
    close, far = {"face_size": 0.75}, {"face_size": 0.25}
    # The group prefers the close-up even when the global model scores it far lower.
    assert model.group_score(close, 0.2) > model.group_score(far, 0.8)
    traits = model.traits()
    assert traits[0].name == "face_size" and traits[0].direction == 1
    assert traits[0].percent >= 30 and traits[0].certainty >= 3


def test_a_group_that_follows_the_global_score_keeps_its_ranking():
    rng = np.random.default_rng(3)
    model = fit_taste(_react(rng, _photos(rng, 60), "global"))
    assert model.global_weight > 0
    assert [name for name, weight in model.weights.items() if weight] == []
    assert model.traits()[0].name == GLOBAL
    scores = [model.group_score({}, p) for p in (0.1, 0.4, 0.7, 0.9)]
    assert scores == sorted(scores)


@pytest.mark.parametrize("reactions", [None, 0])
def test_without_reactions_the_group_score_is_the_global_score(reactions):
    rng = np.random.default_rng(1)
    photos = _photos(rng, 12)
    rated = [] if reactions is None else [RatedPhoto(f, p, 0, 10) for f, p in photos]
    model = fit_taste(rated)
    assert model.rated == 0 and model.traits() == []
    for features, popularity in photos:
        assert model.group_score(features, popularity) == pytest.approx(popularity * 100)


def test_impossible_counts_and_empty_audiences_are_tolerated():
    rng = np.random.default_rng(2)
    photos = _photos(rng, 10)
    rated = [RatedPhoto(f, p, 50, 5) for f, p in photos[:5]]
    rated += [RatedPhoto(f, p, 3, 0) for f, p in photos[5:]]
    model = fit_taste(rated)
    assert model.rated == 5
    assert all(math.isfinite(model.group_score(f, p)) for f, p in photos)
