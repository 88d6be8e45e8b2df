"""One chat's taste: a Bayesian logistic regression of reaction rates on photo features.

Each rated photo got `reactions` from an `audience` of people who could have reacted. The
model says how the log-odds of a reaction move with the global popularity logit `g` and the
standardised features `z` of the photo:

    logit P(react) = a + b * (g - mean g) + w . z

with a Gaussian prior: `b` around `Prior.global_slope`, `w` around 0. With few rated photos the
prior wins and the model ranks photos exactly as the global score does; as reactions come in,
the group's own taste takes over. Fitting is a few Newton steps on a matrix of a few hundred
rows, so it is redone from the stored rows whenever it is needed: any process can derive the
same model from the database, and nothing has to be kept in memory.

`group_score` maps a photo to 0..100 on the global score's scale: with no data it *is* the
global score, and a photo the group likes more than the global model does scores higher.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from inference.taste.features import popularity_logit

TRAIT_FEATURES = (
    "face_size",
    "off_centre",
    "smile",
    "happy",
    "surprise",
    "sad",
    "neutral",
    "angry",
    "roll",
    "yaw",
    "mouth_open",
    "brightness",
    "contrast",
    "saturation",
    "sharpness",
    "faces",
)
"""Features with a plain-words description (`taste.trait.*`); the CNN components help the
predictions but have no words, so `/whatworks` never names them."""

GLOBAL = "global"
"""The trait name for the global popularity score itself."""

MIN_OBSERVED = 3
"""A feature measured on fewer rated photos than this is left out of the fit."""

EXTRA_COST = 1.0
"""Log prior odds, beyond the multiplicity cost, against adding one more feature: trades speed
in learning a real taste for fewer spurious ones (benchmarks/bench_group_taste.py, tried 0 to
2: higher keeps a group that shares the global taste on the global ranking more often, lower
learns two-trait tastes sooner)."""


@dataclass(frozen=True)
class Prior:
    """Prior beliefs, in log-odds per standard deviation; values chosen with
    `benchmarks/bench_group_taste.py` (see the README for the measurements)."""

    global_slope: float = 1.0
    global_sd: float = 0.75
    feature_sd: float = 0.5
    intercept_sd: float = 3.0


DEFAULT_PRIOR = Prior()


@dataclass(frozen=True)
class RatedPhoto:
    """What the model learns from: a photo's features and how its audience reacted."""

    features: Mapping[str, float]
    popularity: float
    reactions: int
    audience: int


@dataclass(frozen=True)
class Trait:
    """Something the group rewards: `direction` +1 means more of `name` gets more reactions.

    `percent` is how many percent more reactions (relative) a photo one typical step (one
    standard deviation among this group's photos) in that direction gets; `certainty` is the
    estimate over its standard error.
    """

    name: str
    direction: int
    percent: int
    certainty: float


@dataclass(frozen=True)
class TasteModel:
    """A fitted (or prior-only) taste; `rated` photos went into it."""

    names: tuple[str, ...]
    centre: np.ndarray
    spread: np.ndarray
    coefficients: np.ndarray
    covariance: np.ndarray
    global_centre: float
    global_spread: float
    anchor: float
    base_rate: float
    rated: int
    reactions: int
    prior: Prior

    @property
    def intercept(self) -> float:
        return float(self.coefficients[0])

    @property
    def global_weight(self) -> float:
        return float(self.coefficients[1])

    @property
    def weights(self) -> dict[str, float]:
        """Log-odds per standard deviation of each feature."""
        return dict(zip(self.names, self.coefficients[2:].tolist(), strict=True))

    def linear(self, features: Mapping[str, float], popularity: float) -> float:
        """The group's log-odds of a reaction, less the intercept (so ranks only)."""
        z = _standardise(features, self.names, self.centre, self.spread)
        g = popularity_logit(popularity) - self.global_centre
        return float(self.coefficients[1] * g + z @ self.coefficients[2:])

    def group_score(self, features: Mapping[str, float], popularity: float) -> float:
        """0..100, higher = more to this group's taste; the global score when nothing is known.

        The prediction is put on the global logit scale (divided by the prior slope and
        anchored at the fit photos' mean), so scores read like the global ones.
        """
        shift = (self.linear(features, popularity) - self.anchor) / self.prior.global_slope
        return 100.0 / (1.0 + math.exp(-(self.global_centre + shift)))

    def traits(self, limit: int = 3, min_certainty: float = 1.0) -> list[Trait]:
        """The traits this group rewards most, strongest effect first; only those whose
        estimate is at least `min_certainty` standard errors from zero."""
        if self.rated == 0:
            return []
        errors = np.sqrt(np.clip(np.diag(self.covariance), 1e-12, None))
        candidates = [
            (GLOBAL, self.global_weight * self.global_spread, float(errors[1]) * self.global_spread)
        ]
        for index, name in enumerate(self.names):
            if name in TRAIT_FEATURES:
                candidates.append(
                    (name, float(self.coefficients[2 + index]), float(errors[2 + index]))
                )
        base = min(max(self.base_rate, 1e-3), 0.999)
        found = []
        for name, effect, error in candidates:
            certainty = abs(effect) / error
            if certainty < min_certainty:
                continue
            boosted = 1.0 / (1.0 + math.exp(-(math.log(base / (1 - base)) + abs(effect))))
            percent = round(100 * (boosted / base - 1))
            if percent >= 5:
                found.append(Trait(name, 1 if effect > 0 else -1, percent, round(certainty, 2)))
        found.sort(key=lambda trait: (-trait.percent, -trait.certainty))
        return found[:limit]


def fit_taste(photos: Sequence[RatedPhoto], prior: Prior = DEFAULT_PRIOR) -> TasteModel:
    """The group's model from its rated photos (any order); prior-only without reactions.

    Features enter one at a time, each time the one that raises the model's evidence (Laplace
    approximation) most, and only while it rises: a group whose reactions follow the global
    score keeps the global ranking, and one with a taste of its own gets the few traits that
    explain it rather than a little weight on everything.
    """
    usable = [p for p in photos if p.audience > 0]
    reactions = np.array([min(max(p.reactions, 0), p.audience) for p in usable], dtype=np.float64)
    audience = np.array([p.audience for p in usable], dtype=np.float64)
    names = _usable_features(usable)
    raw = np.array(
        [[p.features.get(name, np.nan) for name in names] for p in usable], dtype=np.float64
    ).reshape(len(usable), len(names))
    centre = np.nanmean(raw, axis=0) if len(usable) else np.zeros(len(names))
    spread = np.nanstd(raw, axis=0) if len(usable) else np.ones(len(names))
    spread = np.where(spread > 1e-9, spread, 1.0)
    z = np.nan_to_num((raw - centre) / spread, nan=0.0)
    logits = np.array([popularity_logit(p.popularity) for p in usable], dtype=np.float64)
    global_centre = float(logits.mean()) if len(usable) else 0.0
    global_spread = float(logits.std()) if len(usable) > 1 else 1.0
    total = float(reactions.sum())
    base_rate = total / float(audience.sum()) if len(usable) else 0.0
    design = np.column_stack([np.ones(len(usable)), logits - global_centre, z])
    mean = np.zeros(design.shape[1])
    mean[1] = prior.global_slope
    variance = np.full(design.shape[1], prior.feature_sd**2)
    variance[0] = prior.intercept_sd**2
    variance[1] = prior.global_sd**2
    if total > 0:
        mean[0] = math.log((total + 0.5) / (float(audience.sum()) - total + 0.5))
        problem = _Problem(design, reactions, audience, mean, variance)
        coefficients, covariance = problem.select()
    else:
        coefficients, covariance = mean.copy(), np.diag(variance)
    anchor = float((design[:, 1:] @ coefficients[1:]).mean()) if len(usable) else 0.0
    return TasteModel(
        names=names,
        centre=centre,
        spread=spread,
        coefficients=coefficients,
        covariance=covariance,
        global_centre=global_centre,
        global_spread=global_spread,
        anchor=anchor,
        base_rate=base_rate,
        rated=len(usable) if total > 0 else 0,
        reactions=int(total),
        prior=prior,
    )


@dataclass
class _Fit:
    columns: list[int]
    theta: np.ndarray
    covariance: np.ndarray
    evidence: float
    dispersion: float
    room: float


@dataclass
class _Problem:
    """The binomial model under its Gaussian prior, on any subset of the design's columns."""

    design: np.ndarray
    reactions: np.ndarray
    audience: np.ndarray
    mean: np.ndarray
    variance: np.ndarray

    def select(self) -> tuple[np.ndarray, np.ndarray]:
        """Forward selection by evidence; coefficients of unused features are exactly 0.

        The dispersion comes from the model with every feature, as in quasi-likelihood model
        selection, so every candidate is judged on one scale and a taste not yet in the model
        is not mistaken for noise; while that model has fewer than half the photos' worth of
        residual room (few photos), from the global-only model instead, which is more cautious.
        Each feature's weight is scaled by its probability of belonging in the model (from
        its evidence margin), so a feature that only just got in moves rankings only a little.
        """
        everything = list(range(self.design.shape[1]))
        full = self.fit(everything, 1.0)
        dispersion = full.dispersion
        if full.room < len(self.reactions) / 2:
            dispersion = self.fit([0, 1], 1.0).dispersion
        best = self.fit([0, 1], dispersion)
        remaining = everything[2:]
        # Prior odds of 1 in (candidates) that any one feature matters, and EXTRA_COST: the
        # evidence must beat the multiplicity of trying every feature, or noise gets picked up.
        cost = math.log(max(len(remaining), 2)) + EXTRA_COST
        margins: dict[int, float] = {}
        while remaining:
            trials = [self.fit([*best.columns, j], dispersion) for j in remaining]
            challenger = max(trials, key=lambda trial: trial.evidence)
            margin = challenger.evidence - cost - best.evidence
            if margin <= 0:
                break
            remaining.remove(challenger.columns[-1])
            margins[challenger.columns[-1]] = margin
            best = challenger
        size = self.design.shape[1]
        coefficients = np.zeros(size)
        covariance = np.zeros((size, size))
        coefficients[best.columns] = best.theta
        covariance[np.ix_(best.columns, best.columns)] = best.covariance
        for column, margin in margins.items():
            coefficients[column] *= 1.0 / (1.0 + math.exp(-margin))
        return coefficients, covariance

    def fit(self, columns: list[int], dispersion: float) -> _Fit:
        """Posterior mode, Laplace covariance and evidence, the likelihood tempered by
        `dispersion` (reactions vary more than a binomial allows: photos differ in ways no
        feature captures, and ignoring that would overstate certainty and overfit)."""
        x = self.design[:, columns]
        mean, variance = self.mean[columns], self.variance[columns]
        reactions, audience = self.reactions / dispersion, self.audience / dispersion
        theta = mean.copy()
        objective = _objective(x, reactions, audience, theta, mean, variance)
        for _ in range(100):
            p = _sigmoid(x @ theta)
            gradient = x.T @ (reactions - audience * p) - (theta - mean) / variance
            hessian = x.T @ (x * (audience * p * (1 - p))[:, None]) + np.diag(1 / variance)
            step = np.linalg.solve(hessian, gradient)
            scale = 1.0
            while scale > 1e-4:
                trial = theta + scale * step
                trial_objective = _objective(x, reactions, audience, trial, mean, variance)
                if trial_objective <= objective + 1e-12:
                    break
                scale /= 2
            theta, objective = trial, trial_objective
            if float(np.abs(scale * step).max()) < 1e-9:
                break
        p = _sigmoid(x @ theta)
        weights = audience * p * (1 - p)
        information = x.T @ (x * weights[:, None])
        hessian = information + np.diag(1 / variance)
        covariance = np.linalg.inv(hessian)
        _, logdet = np.linalg.slogdet(hessian)
        evidence = -objective - 0.5 * float(np.log(variance).sum()) - 0.5 * logdet
        effective = float(np.trace(information @ covariance))
        room = len(self.reactions) - effective
        dispersion_now = 1.0
        if room > 1:
            expected = self.audience * p
            pearson = ((self.reactions - expected) ** 2) / np.maximum(expected * (1 - p), 1e-12)
            dispersion_now = max(1.0, float(pearson.sum()) / room)
        return _Fit(columns, theta, covariance, evidence, dispersion_now, room)


def _sigmoid(values: np.ndarray) -> np.ndarray:
    exponential: np.ndarray = np.exp(-np.clip(values, -40, 40))
    return 1.0 / (1.0 + exponential)


def _objective(
    x: np.ndarray,
    reactions: np.ndarray,
    audience: np.ndarray,
    theta: np.ndarray,
    mean: np.ndarray,
    variance: np.ndarray,
) -> float:
    """Negative log posterior (up to a constant) of the tempered binomial model."""
    eta = x @ theta
    likelihood = float((reactions * eta - audience * np.logaddexp(0, eta)).sum())
    return -likelihood + 0.5 * float((((theta - mean) ** 2) / variance).sum())


def _usable_features(photos: Sequence[RatedPhoto]) -> tuple[str, ...]:
    counts: dict[str, int] = {}
    for photo in photos:
        for name, value in photo.features.items():
            if isinstance(value, int | float) and math.isfinite(value):
                counts[name] = counts.get(name, 0) + 1
    return tuple(sorted(name for name, count in counts.items() if count >= MIN_OBSERVED))


def _standardise(
    features: Mapping[str, float], names: tuple[str, ...], centre: np.ndarray, spread: np.ndarray
) -> np.ndarray:
    raw = np.array([features.get(name, np.nan) for name in names], dtype=np.float64)
    standardised: npt.NDArray[np.float64] = (raw - centre) / spread
    return np.nan_to_num(standardised, nan=0.0)
