"""The tips engine: the best believable edit of a photo, and the advice worth the most.

The search tries the edits of `inference.edits` at the strengths its table allows (single
colour edits, framings of the main face, then greedy stacks of the best ones), and every
candidate must pass the plausibility guard (`inference.plausibility`) before its score counts:
the popularity CNN would otherwise reward over-exposed, over-sharpened pictures and tight crops
that look worse to a person. The best surviving candidate is encoded as lossless PNG and those
PNG bytes are scored again, so the reported score is exactly what scoring the returned file
gives. Gains under `MIN_GAIN` points are not reported. No text here: the bot's catalogue words
the result (`bot.core.tips`).
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from inference import advice as advice_module
from inference import edits
from inference.decode import to_rgb
from inference.edits import COLOUR_EDITS, SPATIAL_EDITS, STRENGTHS, Box
from inference.plausibility import ToneCheck, crop_rules, face_rules, strength_rules

if TYPE_CHECKING:
    from inference.analyzer import Analyzer
    from inference.results import Analysis

# Photos are edited at most this large: the model sees 128x128 anyway, and it keeps a 12 MP
# photo's candidates within memory and time.
WORK_SIDE = 768
MIN_GAIN = 2
"""Smaller score differences are noise a person would not notice; they are not reported."""
MAX_ADVICE = 2
STACK_ROUNDS = 2
"""Colour edits stacked on the best single edit or framing, one per round while each helps."""


@dataclass(frozen=True)
class Step:
    """One colour edit of a recipe at its strength (see `edits.STRENGTHS`)."""

    name: str
    strength: float

    @property
    def code(self) -> str:
        """A stable, readable code, e.g. `contrast x1.08` or `warmth +0.03`."""
        if STRENGTHS[self.name].neutral == 0.0:
            return f"{self.name} {self.strength:+g}"
        return f"{self.name} x{self.strength:g}"


@dataclass(frozen=True)
class BestEdit:
    """The best believable edit, measured on its own PNG bytes.

    `crop` is `(x, y, width, height)` in the pixels of the photo given to `suggest` (None when
    the frame is kept); `steps` the colour edits applied after it, in order; `score` and
    `probability` are what scoring `png` gives; `gain` is `score` minus the original's score.
    """

    crop: CropBox | None
    steps: tuple[Step, ...]
    score: int
    probability: float
    gain: int
    png: bytes

    @property
    def codes(self) -> tuple[str, ...]:
        """The edits in the order they were applied: `crop` first when there is one."""
        return (("crop",) if self.crop is not None else ()) + tuple(s.code for s in self.steps)


@dataclass(frozen=True)
class TipsResult:
    """What the engine found for one photo.

    `original_score`/`original_probability` are measured on the photo the edits start from, the
    same way as the edit, so the gain compares like with like. `best` is None when no believable
    edit gains `MIN_GAIN` points. `advice` is at most `MAX_ADVICE` pieces, largest gain first.
    `tried` counts the candidate edits built and `rejected` how many the guard refused per rule
    (one candidate may break several rules).
    """

    original_score: int
    original_probability: float
    best: BestEdit | None
    advice: tuple[advice_module.Advice, ...]
    tried: int = 0
    rejected: Mapping[str, int] = field(default_factory=dict)


CropBox = tuple[int, int, int, int]
"""A crop as (left, top, right, bottom) in the working copy's pixels."""
_Item = tuple[CropBox | None, tuple[Step, ...], Image.Image]
"""A candidate before scoring: its crop, its colour steps, the edited image."""


@dataclass(frozen=True)
class _Candidate:
    crop: CropBox | None
    steps: tuple[Step, ...]
    image: Image.Image
    probability: float


class _Search:
    """One photo's search: the working copy, its main face and the guard's tally."""

    def __init__(self, analyzer: Analyzer, work: Image.Image, baseline: Analysis) -> None:
        self.analyzer = analyzer
        self.work = work
        main = baseline.main_face
        self.face = Box(*(float(v) for v in main.box)) if main is not None else None
        self.tried = 0
        self.rejected: Counter[str] = Counter()
        self.checks: dict[CropBox | None, ToneCheck] = {}

    def reference(self, crop: CropBox | None) -> Image.Image:
        return self.work if crop is None else edits.crop(self.work, crop)

    def face_in(self, crop: CropBox | None, size: tuple[int, int]) -> Box | None:
        """Where the main face should be in an edit with this crop, `size` pixels large."""
        if self.face is None or crop is None:
            return self.face
        return self.face.through_crop(crop, size[0] / (crop[2] - crop[0]))

    def guard(self, crop: CropBox | None, steps: tuple[Step, ...], image: Image.Image) -> bool:
        """The pixel and geometry rules (before scoring); refusals are tallied per rule."""
        self.tried += 1
        rules = strength_rules([(s.name, s.strength) for s in steps])
        if crop is not None:
            rules += crop_rules(self.work.size, self.face, crop, image.size)
        if steps:
            check = self.checks.get(crop)
            if check is None:
                check = self.checks[crop] = ToneCheck(
                    self.reference(crop), self.face_in(crop, image.size)
                )
            rules += check.rules(image, spatial=any(s.name in SPATIAL_EDITS for s in steps))
        self.rejected.update(rules)
        return not rules

    def score(self, items: Sequence[_Item]) -> list[_Candidate]:
        """Guard, then score the survivors in one batch; drop those whose face went missing."""
        passed = [item for item in items if self.guard(*item)]
        analyses = self.analyzer.analyze_images([image for _, _, image in passed]) if passed else []
        kept = []
        for (crop, steps, image), analysis in zip(passed, analyses, strict=True):
            expected = self.face_in(crop, image.size)
            if expected is not None:
                main = analysis.main_face
                found = Box(*(float(v) for v in main.box)) if main is not None else None
                lost = face_rules(expected, found)
                if lost:
                    self.rejected.update(lost)
                    continue
            kept.append(_Candidate(crop, steps, image, analysis.popular_probability))
        return kept


def suggest(
    analyzer: Analyzer,
    image: Image.Image,
    analysis: Analysis | None = None,
    *,
    gains: Mapping[str, float] | None = None,
) -> TipsResult:
    """The best believable edit of `image` and the advice worth the most.

    `analysis` is the result the user was shown for this photo (its faces and measures choose
    the advice, with FaceMesh's measures added when it has none); by default the engine's own
    baseline. `gains` overrides the shipped table of advice gains (`inference.advice`).
    """
    work, scale = working_copy(image)
    baseline = analyzer.analyze_image(work)
    search = _Search(analyzer, work, baseline)
    original = _Candidate(None, (), work, baseline.popular_probability)
    best = _best_candidate(search, original)
    # Smile and tilt advice read FaceMesh, which a plain score skips: measured here, once.
    shown = analyzer.with_mesh(work, analysis if analysis is not None else baseline)
    advice = advice_module.advise(
        shown, _face_luma(work, search.face), min_gain=MIN_GAIN, limit=MAX_ADVICE, gains=gains
    )
    return TipsResult(
        original_score=baseline.score,
        original_probability=baseline.popular_probability,
        best=_verified(analyzer, best, baseline.score, scale) if best is not original else None,
        advice=advice,
        tried=search.tried,
        rejected=dict(search.rejected),
    )


def working_copy(image: Image.Image) -> tuple[Image.Image, float]:
    """RGB the way the analyzer converts photos (transparency on white), at most WORK_SIDE,
    and the factor from its pixels back to `image`'s."""
    rgb = to_rgb(image)
    if max(rgb.size) <= WORK_SIDE:
        return rgb, 1.0
    ratio = WORK_SIDE / max(rgb.size)
    size = (max(1, round(rgb.width * ratio)), max(1, round(rgb.height * ratio)))
    return rgb.resize(size, Image.Resampling.LANCZOS), rgb.width / size[0]


def _best_candidate(search: _Search, original: _Candidate) -> _Candidate:
    """Single colour edits and framings, then stacks of the best colour edits on the original
    and on the best framing; the most probable believable candidate (or `original`)."""
    work = search.work
    singles = search.score(
        [
            (None, (Step(name, value),), edits.apply(work, name, value))
            for name in COLOUR_EDITS
            for value in STRENGTHS[name].tried
        ]
    )
    winners: dict[str, Step] = {}
    best_of: dict[str, float] = {}
    for candidate in singles:
        (step,) = candidate.steps
        if candidate.probability > max(best_of.get(step.name, 0.0), original.probability):
            winners[step.name], best_of[step.name] = step, candidate.probability
    framings = search.score(_framings(search)) if search.face is not None else []
    everything = [original, *singles, *framings]
    bases = [max([original, *singles], key=lambda c: c.probability)]
    if framings:
        bases.append(max(framings, key=lambda c: c.probability))
    for base in bases:
        everything.extend(_stacks(search, base, winners))
    return max(everything, key=lambda c: c.probability)


def _framings(
    search: _Search,
) -> list[_Item]:
    """Square crops where the main face fills each of the table's shares of the frame."""
    assert search.face is not None
    boxes = {
        edits.frame_box(search.work.size, search.face, share) for share in STRENGTHS["crop"].tried
    }
    return [(box, (), edits.crop(search.work, box)) for box in sorted(b for b in boxes if b)]


def _stacks(search: _Search, base: _Candidate, winners: Mapping[str, Step]) -> list[_Candidate]:
    """Add the best strength of each other colour edit on top of `base`, keeping the most
    probable addition while it helps, for up to STACK_ROUNDS rounds."""
    found: list[_Candidate] = []
    current = base
    reference = search.reference(base.crop)
    for _ in range(STACK_ROUNDS):
        used = {step.name for step in current.steps}
        additions = [step for name, step in winners.items() if name not in used]
        if not additions:
            break
        steps_list = [(*current.steps, step) for step in additions]
        scored = search.score(
            [(current.crop, steps, _render(reference, steps)) for steps in steps_list]
        )
        found.extend(scored)
        better = max(scored, key=lambda c: c.probability, default=None)
        if better is None or better.probability <= current.probability:
            break
        current = better
    return found


def _render(reference: Image.Image, steps: Sequence[Step]) -> Image.Image:
    """The colour steps applied in the table's order, so a recipe always renders the same way."""
    image = reference
    for step in sorted(steps, key=lambda s: COLOUR_EDITS.index(s.name)):
        image = edits.apply(image, step.name, step.strength)
    return image


def _verified(
    analyzer: Analyzer, best: _Candidate, original_score: int, scale: float
) -> BestEdit | None:
    """Score the candidate's PNG bytes; None unless that honest score gains MIN_GAIN points."""
    png = encode_png(best.image)
    measured = analyzer.analyze(png)
    if measured.score - original_score < MIN_GAIN:
        return None
    crop = None
    if best.crop is not None:
        left, top, right, bottom = (round(v * scale) for v in best.crop)
        crop = (left, top, right - left, bottom - top)
    return BestEdit(
        crop=crop,
        steps=tuple(sorted(best.steps, key=lambda s: COLOUR_EDITS.index(s.name))),
        score=measured.score,
        probability=measured.popular_probability,
        gain=measured.score - original_score,
        png=png,
    )


def _face_luma(image: Image.Image, face: Box | None) -> float | None:
    """Mean luma (0-255) of the face box, or None without a face."""
    if face is None:
        return None
    box = (
        max(0, round(face.x)),
        max(0, round(face.y)),
        min(image.width, round(face.right)),
        min(image.height, round(face.bottom)),
    )
    if box[2] <= box[0] or box[3] <= box[1]:
        return None
    return float(np.asarray(image.crop(box).convert("L")).mean())


def encode_png(image: Image.Image) -> bytes:
    """Lossless PNG bytes (zlib level 3: a little larger than the default, several times
    faster to encode while the user waits)."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=3)
    return buffer.getvalue()
