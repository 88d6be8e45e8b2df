"""Does the group taste model learn what a group rewards? Simulated groups, real photo features.

    .venv/bin/python benchmarks/bench_group_taste.py [--groups 20] [--variants 7] [FOLDER]

Photos: only 30 dev selfies exist (../shared/selfies/dev), so each is also shown in
`--variants` edited versions (random zoom crop, exposure, colour, contrast, a small rotation,
a mirror), every one analysed by the real analyzer: a pool of 30 x (1 + variants) photos with
real features. Variants of one selfie share its face and background, so train and test photos
never come from the same selfie: each simulated group rates photos of 20 selfies and is
tested on the photos of the other 10.

Groups: each has a hidden taste, a utility `u` per photo built from measured features (in
standard deviations over the pool). Members react with probability
`sigmoid(base + strength * u + noise)`, where the noise is a per-photo effect no feature
explains, and the audience is 6-20 people. Tastes: `agrees` (u = the global popularity logit),
`contrarian` (minus it), `close-ups` (face size), `smiles` (fer's happy), `bright-colourful`
(brightness + saturation).

Measure: pairwise ranking accuracy on the test photos against the hidden utility (the fraction
of photo pairs put in the true order), for the group model after 10, 20, 30, 40 and 60 rated
photos, and for the global score. Mean over `--groups` groups per taste (different photos,
audiences and reactions each). Also: the extra cost on the score path of reading the
penultimate activations (median of repeated runs, same process).

Caveat: the hidden tastes are functions of the features the model sees, so this measures
how fast the model finds a taste it can express, not whether real groups have such tastes.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance, ImageOps

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.settings import get_settings  # noqa: E402
from inference import Analyzer  # noqa: E402
from inference.taste.features import photo_features, popularity_logit  # noqa: E402
from inference.taste.model import RatedPhoto, fit_taste  # noqa: E402

DEFAULT_FOLDER = ROOT.parent / "shared" / "selfies" / "dev"
SIZES = (10, 20, 30, 40, 60)
TEST_SELFIES = 10
STRENGTH = 1.0
NOISE = 0.5
BASE_RATE = 0.25


class Photo:
    """One analysed photo of the pool: which selfie it shows, its features, its global score."""

    def __init__(self, source: int, features: dict[str, float], popularity: float) -> None:
        self.source = source
        self.features = features
        self.popularity = popularity


def variant(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """An ordinary edit of a selfie: zoom crop, exposure, colour, contrast, tilt, mirror."""
    width, height = image.size
    keep = rng.uniform(0.55, 1.0)
    w, h = int(width * keep), int(height * keep)
    left, top = int(rng.uniform(0, width - w + 1)), int(rng.uniform(0, height - h + 1))
    edited = image.crop((left, top, left + w, top + h)).resize((width, height))
    edited = ImageEnhance.Brightness(edited).enhance(rng.uniform(0.6, 1.4))
    edited = ImageEnhance.Color(edited).enhance(rng.uniform(0.4, 1.6))
    edited = ImageEnhance.Contrast(edited).enhance(rng.uniform(0.7, 1.3))
    edited = edited.rotate(rng.uniform(-12, 12), resample=Image.Resampling.BICUBIC)
    return ImageOps.mirror(edited) if rng.random() < 0.5 else edited


def photo_pool(folder: Path, variants: int, seed: int) -> list[Photo]:
    """Every selfie and its variants, analysed; photos without a face are left out."""
    rng = np.random.default_rng(seed)
    analyzer = Analyzer.from_config(get_settings().analyzer_config())
    pool: list[Photo] = []
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    for source, path in enumerate(paths):
        with Image.open(path) as opened:
            original = ImageOps.exif_transpose(opened).convert("RGB")
        images = [original, *(variant(original, rng) for _ in range(variants))]
        for analysis in analyzer.analyze_images(images, mesh=True):
            if analysis.main_face is not None:
                pool.append(Photo(source, photo_features(analysis), analysis.popular_probability))
    analyzer.close()
    return pool


def standardised(pool: list[Photo], value: Callable[[Photo], float]) -> np.ndarray:
    raw = np.array([value(photo) for photo in pool], dtype=np.float64)
    return (raw - raw.mean()) / (raw.std() or 1.0)


def tastes(pool: list[Photo]) -> dict[str, np.ndarray]:
    """The hidden utility of every pool photo under each kind of taste."""
    g = standardised(pool, lambda p: popularity_logit(p.popularity))

    def feature(name: str) -> np.ndarray:
        return standardised(pool, lambda p: p.features.get(name, 0.0))

    return {
        "agrees": g,
        "contrarian": -g,
        "close-ups": feature("face_size"),
        "smiles": feature("happy"),
        "bright-colourful": (feature("brightness") + feature("saturation")) / np.sqrt(2),
    }


def pairwise_accuracy(truth: np.ndarray, predicted: np.ndarray) -> float:
    """Fraction of pairs with different truth that `predicted` orders the same way."""
    i, j = np.triu_indices(len(truth), k=1)
    differ = truth[i] != truth[j]
    agree = np.sign(truth[i] - truth[j]) == np.sign(predicted[i] - predicted[j])
    return float(agree[differ].mean())


def simulate(pool: list[Photo], utility: np.ndarray, rng: np.random.Generator) -> dict[str, float]:
    """One group: react to training photos, fit at each size, rank the test photos."""
    sources = sorted({p.source for p in pool})
    test_sources = set(rng.choice(sources, size=TEST_SELFIES, replace=False).tolist())
    train = [i for i, p in enumerate(pool) if p.source not in test_sources]
    test = [i for i, p in enumerate(pool) if p.source in test_sources]
    order = rng.permutation(train)
    base = np.log(BASE_RATE / (1 - BASE_RATE))
    rated: list[RatedPhoto] = []
    for index in order[: max(SIZES)]:
        audience = int(rng.integers(6, 21))
        chance = 1 / (1 + np.exp(-(base + STRENGTH * utility[index] + rng.normal(0, NOISE))))
        photo = pool[index]
        rated.append(
            RatedPhoto(
                photo.features, photo.popularity, int(rng.binomial(audience, chance)), audience
            )
        )
    truth = utility[test]
    results = {
        "global": pairwise_accuracy(
            truth, np.array([popularity_logit(pool[i].popularity) for i in test])
        )
    }
    for size in SIZES:
        model = fit_taste(rated[:size])
        scores = np.array([model.group_score(pool[i].features, pool[i].popularity) for i in test])
        results[str(size)] = pairwise_accuracy(truth, scores)
    return results


def embedding_cost(folder: Path, repeats: int = 200) -> tuple[float, float]:
    """Median seconds of the popularity CNN with and without the penultimate output."""
    analyzer = Analyzer.from_config(get_settings().analyzer_config())
    model = analyzer._popularity
    path = sorted(folder.iterdir())[0]
    with Image.open(path) as opened:
        tensor = model.tensor(model.resize(opened.convert("RGB")))
    plain, both = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        model.predict(tensor)
        plain.append(time.perf_counter() - start)
        start = time.perf_counter()
        model.predict_with_embedding(tensor)
        both.append(time.perf_counter() - start)
    analyzer.close()
    return statistics.median(plain), statistics.median(both)


def main() -> int:
    parser = argparse.ArgumentParser(description="Group taste model on simulated groups.")
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--groups", type=int, default=20, help="simulated groups per taste")
    parser.add_argument("--variants", type=int, default=7, help="edited copies per selfie")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    start = time.perf_counter()
    pool = photo_pool(args.folder, args.variants, args.seed)
    sources = len({p.source for p in pool})
    print(
        f"pool: {len(pool)} analysed photos with a face from {sources} selfies "
        f"({time.perf_counter() - start:.0f} s); {args.groups} groups per taste"
    )
    header = f"{'taste':18} {'global':>7} " + " ".join(f"{f'n={n}':>7}" for n in SIZES)
    print(header)
    rng = np.random.default_rng(args.seed)
    for name, utility in tastes(pool).items():
        runs = [simulate(pool, utility, rng) for _ in range(args.groups)]
        means = {key: statistics.fmean(run[key] for run in runs) for key in runs[0]}
        cells = " ".join(f"{means[str(n)]:7.3f}" for n in SIZES)
        print(f"{name:18} {means['global']:7.3f} {cells}")
    plain, both = embedding_cost(args.folder)
    print(
        f"popularity CNN, median of 200: {plain * 1e3:.2f} ms score only, "
        f"{both * 1e3:.2f} ms with the penultimate output ({both / plain:.2f}x)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
