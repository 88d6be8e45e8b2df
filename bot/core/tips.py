"""Tips that are true: edits that measurably raise this photo's score, and what to fix next time.

The engine tries ordinary edits (exposure, contrast, colour, warmth, sharpening, framing the
face, straightening it) and sensible combinations, re-scores every edited photo with the same
analyzer, and keeps only the edits that raise the score. Every number it reports is measured
on the exact image it returns: each tip's photo is encoded as lossless PNG and those PNG bytes
are scored again through `analyzer.analyze`, so anyone can reproduce a claim by scoring the
returned file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from PIL import Image, ImageEnhance

from bot.core import edits
from bot.core.drawing import to_png
from bot.core.i18n.en import MESSAGES
from inference.decode import to_rgb

if TYPE_CHECKING:
    from inference import Analysis, Analyzer

# Photos are edited at most this large: the model sees 128x128 anyway, and it keeps a 12 MP
# photo's dozens of candidates within memory and time.
WORK_SIDE = 1024
MAX_TIPS = 6
# Rounds of stacking one more colour edit on the best photo so far.
COMBINATION_ROUNDS = 3
# Face share of the frame the crops aim for; a third is the classic selfie framing.
FRAME_FRACTIONS = (0.15, 0.22, 1 / 3, 0.45)
MIN_TILT_DEGREES = 4.0
MAX_TILT_DEGREES = 35.0

# The engine's sentences: its part of the message catalogue (bot/core/i18n/en.py), in the
# reference language.
TEXTS: Mapping[str, str] = MappingProxyType(
    {
        key: value
        for key, value in MESSAGES.items()
        if key.startswith(("tips.edit.", "tips.obs.", "tips.side."))
    }
)


def text(key: str, **values: Any) -> str:
    """The reference-language wording of one of this module's keys.

    Tips are measured once per photo and shared by every adapter, so their titles are worded
    in the catalogue's reference language rather than per chat.
    """
    return TEXTS[key].format(**values)


@dataclass(frozen=True)
class Tip:
    """One edit that raised the score, with numbers measured on `image_png` itself.

    `edit` is a stable code ("more_contrast", "crop+brighter"); `title` is its English wording;
    `gain` is `new_score - original score` in whole points; `probability_gain` the same on
    the model's probability.
    """

    edit: str
    title: str
    gain: int
    probability_gain: float
    new_score: int
    image_png: bytes


@dataclass(frozen=True)
class Observation:
    """Something in the photo worth fixing next time: `text` says what, `fix` how."""

    key: str
    text: str
    fix: str


@dataclass(frozen=True)
class TipsReport:
    """The answer to /tips: the baseline score, the tips (best first) and the observations.

    `original_score` (and `original_probability`) are measured on the photo the edits start
    from, the same way as every tip, so gains compare like with like.
    """

    original_score: int
    tips: tuple[Tip, ...]
    best: Tip | None
    observations: tuple[Observation, ...]
    original_probability: float


@dataclass(frozen=True)
class _Variant:
    """One way to edit a photo: a code, its wording, its family and the edit itself."""

    code: str
    title: str
    family: str
    apply: Callable[[Image.Image], Image.Image]


@dataclass(frozen=True)
class _Candidate:
    """An edited photo with the model's probability for it."""

    codes: tuple[str, ...]
    titles: tuple[str, ...]
    image: Image.Image
    probability: float

    @property
    def score(self) -> int:
        return round(self.probability * 100)


# Makes an edit of a given strength.
_EditFactory = Callable[[float], Callable[[Image.Image], Image.Image]]


def colour_variants() -> dict[str, tuple[_Variant, ...]]:
    """Tone and colour edits by family; the strongest useful strengths for each."""

    def brightness(factor: float) -> Callable[[Image.Image], Image.Image]:
        return lambda image: ImageEnhance.Brightness(image).enhance(factor)

    def up_down(
        up: str, down: str, family: str, edit: _EditFactory, factors: tuple[float, ...]
    ) -> tuple[_Variant, ...]:
        """One variant per factor: `up` above 1, `down` below, worded with its strength in %."""
        variants = []
        for factor in factors:
            code = up if factor > 1 else down
            percent = round(abs(factor - 1) * 100)
            variants.append(
                _Variant(code, text(f"tips.edit.{code}", percent=percent), family, edit(factor))
            )
        return tuple(variants)

    exposure = up_down("brighter", "darker", "exposure", brightness, (0.85, 1.15, 1.3, 1.5))
    shadows = (
        _Variant("lift_shadows", text("tips.edit.lift_shadows"), "shadows", _gamma(0.7)),
        _Variant("deepen_shadows", text("tips.edit.deepen_shadows"), "shadows", _gamma(1.3)),
    )
    contrast = up_down(
        "more_contrast", "less_contrast", "contrast", _contrast, (0.85, 1.15, 1.3, 1.5, 1.7)
    )
    colour = up_down("more_colour", "less_colour", "colour", _saturation, (0.7, 1.3))
    warmth = tuple(
        _Variant(
            "warmer" if a > 0 else "cooler",
            text("tips.edit.warmer" if a > 0 else "tips.edit.cooler"),
            "warmth",
            _warmth(a),
        )
        for a in (-0.06, 0.06, 0.12)
    )
    sharpen = tuple(
        _Variant(
            "sharpen",
            text("tips.edit.sharpen", strength=text(f"tips.edit.strength.{name}")),
            "sharpness",
            _sharpen(p),
        )
        for p, name in ((100, "light"), (200, "medium"), (300, "strong"))
    )
    levels = (_Variant("auto_levels", text("tips.edit.auto_levels"), "levels", edits.auto_levels),)
    return {
        "exposure": exposure,
        "shadows": shadows,
        "contrast": contrast,
        "colour": colour,
        "warmth": warmth,
        "sharpness": sharpen,
        "levels": levels,
    }


def _gamma(value: float) -> Callable[[Image.Image], Image.Image]:
    return lambda image: edits.gamma(image, value)


def _contrast(factor: float) -> Callable[[Image.Image], Image.Image]:
    return lambda image: edits.contrast(image, factor)


def _saturation(factor: float) -> Callable[[Image.Image], Image.Image]:
    return lambda image: edits.saturation(image, factor)


def _warmth(amount: float) -> Callable[[Image.Image], Image.Image]:
    return lambda image: edits.warmth(image, amount)


def _sharpen(percent: int) -> Callable[[Image.Image], Image.Image]:
    return lambda image: edits.sharpen(image, percent)


# An edited photo before scoring: its edit codes, their titles, the image.
_Item = tuple[tuple[str, ...], tuple[str, ...], Image.Image]


def _scored(analyzer: Analyzer, items: Sequence[_Item]) -> list[_Candidate]:
    """Score edited photos in one batch call (the analyzer's worker pool runs them in
    parallel)."""
    analyses = analyzer.analyze_images([image for _, _, image in items]) if items else []
    return [
        _Candidate(codes, titles, image, analysis.popular_probability)
        for (codes, titles, image), analysis in zip(items, analyses, strict=True)
    ]


def suggest_tips(
    analyzer: Analyzer, image: Image.Image, analysis: Analysis | None = None
) -> TipsReport:
    """Try the edits on `image`, keep those that raise its score, and say what to fix.

    `analysis` is the result the user was shown for this photo; its faces and quality feed
    the observations. The baseline score is measured again on the photo the edits start from
    (the same pixels, the same way) so that every gain is a like-for-like difference.
    """
    work = _working_copy(image)
    baseline = analyzer.analyze_image(work)
    shown = analysis if analysis is not None else baseline
    observations = observe(shown)
    original = _Candidate((), (), work, baseline.popular_probability)
    found = _search(analyzer, original, baseline)
    tips = _verified_tips(analyzer, original, found)
    return TipsReport(
        original_score=baseline.score,
        tips=tips,
        best=tips[0] if tips else None,
        observations=observations,
        original_probability=baseline.popular_probability,
    )


def _working_copy(image: Image.Image) -> Image.Image:
    """RGB the way the analyzer converts photos (transparency on white), at most WORK_SIDE."""
    rgb = to_rgb(image)
    if max(rgb.size) <= WORK_SIDE:
        return rgb
    ratio = WORK_SIDE / max(rgb.size)
    size = (max(1, round(rgb.width * ratio)), max(1, round(rgb.height * ratio)))
    return rgb.resize(size, Image.Resampling.LANCZOS)


def _search(analyzer: Analyzer, original: _Candidate, baseline: Analysis) -> list[_Candidate]:
    """Best single edit per family, then greedy stacks of colour edits on the best bases."""
    variants = [v for family in colour_variants().values() for v in family]
    singles = _scored(
        analyzer, [((v.code,), (v.title,), v.apply(original.image)) for v in variants]
    )
    winners: dict[str, tuple[_Variant, _Candidate]] = {}
    for variant, candidate in zip(variants, singles, strict=True):
        held = winners.get(variant.family)
        if held is None or candidate.probability > held[1].probability:
            winners[variant.family] = (variant, candidate)

    found = [candidate for _, candidate in winners.values()]
    geometry = _scored(analyzer, _geometry_edits(original.image, baseline))
    found.extend(_best_by(geometry, lambda c: c.codes))

    bases = [original]
    if geometry:
        bases.append(max(geometry, key=lambda c: c.probability))
    for base in bases:
        found.append(_stack(analyzer, base, [v for v, _ in winners.values()]))
    return found


def _geometry_edits(image: Image.Image, analysis: Analysis) -> list[_Item]:
    """Crops that frame the largest face, and straightening when the eyes are not level."""
    face = analysis.largest_face
    if face is None:
        return []
    box = edits.Box(*(float(v) for v in face.box))
    out = [(("crop",), (text("tips.edit.crop", percent=p),), im) for p, im in _crops(image, box)]
    angle = _tilt(analysis)
    if angle is None:
        return out
    level, moved = edits.straighten(image, angle, box)
    degrees = round(abs(angle))
    out.append((("straighten",), (text("tips.edit.straighten", degrees=degrees),), level))
    if moved is not None:
        out.extend(
            (
                ("straighten_crop",),
                (text("tips.edit.straighten_crop", degrees=degrees, percent=percent),),
                framed,
            )
            for percent, framed in _crops(level, moved)
        )
    return out


def _crops(image: Image.Image, face: edits.Box) -> list[tuple[int, Image.Image]]:
    """The distinct framings of `face`, each with the share of the frame it really fills
    (a photo too small for the aimed framing gives a tighter one, and the title says so)."""
    boxes = {edits.frame_box(image.size, face, fraction) for fraction in FRAME_FRACTIONS}
    return [
        (round(100 * edits.face_share(face, box)), edits.crop(image, box))
        for box in sorted(b for b in boxes if b is not None)
    ]


def _tilt(analysis: Analysis) -> float | None:
    """The eye-line angle of the largest face when it is worth correcting.

    The analyzer measures it so that `image.rotate(angle)` levels the eyes.
    """
    angle = analysis.quality.face_tilt_degrees
    if angle is None or not MIN_TILT_DEGREES <= abs(angle) <= MAX_TILT_DEGREES:
        return None
    return angle


def _best_by(
    candidates: Iterable[_Candidate], key: Callable[[_Candidate], tuple[str, ...]]
) -> list[_Candidate]:
    """The most probable candidate for each `key` (the first one on a tie), in first-seen order."""
    best: dict[tuple[str, ...], _Candidate] = {}
    for candidate in candidates:
        current = best.get(k := key(candidate))
        if current is None or candidate.probability > current.probability:
            best[k] = candidate
    return list(best.values())


def _stack(analyzer: Analyzer, base: _Candidate, variants: Sequence[_Variant]) -> _Candidate:
    """Add the family winners one at a time on top of `base` while each addition helps."""
    current = base
    remaining = list(variants)
    for _ in range(COMBINATION_ROUNDS):
        if not remaining:
            break
        scored = _scored(
            analyzer,
            [
                ((*current.codes, v.code), (*current.titles, v.title), v.apply(current.image))
                for v in remaining
            ],
        )
        pick = max(range(len(scored)), key=lambda i: scored[i].probability)
        if scored[pick].probability <= current.probability:
            break
        current = scored[pick]
        remaining.pop(pick)
    return current


def _verified_tips(
    analyzer: Analyzer, original: _Candidate, found: Sequence[_Candidate]
) -> tuple[Tip, ...]:
    """Re-score each promising photo from its PNG bytes; keep those that really gained."""
    original_score = original.score
    promising = _best_by(
        (c for c in found if c.codes and c.score > original_score), lambda c: tuple(sorted(c.codes))
    )
    ranked = sorted(promising, key=lambda c: -c.probability)[:MAX_TIPS]
    pngs = [to_png(candidate.image) for candidate in ranked]
    tips: list[Tip] = []
    for candidate, png, measured in zip(ranked, pngs, analyzer.analyze_batch(pngs), strict=True):
        if isinstance(measured, Exception) or measured.score <= original_score:
            continue
        tips.append(
            Tip(
                edit="+".join(candidate.codes),
                title=" + ".join(candidate.titles),
                gain=measured.score - original_score,
                probability_gain=measured.popular_probability - original.probability,
                new_score=measured.score,
                image_png=png,
            )
        )
    tips.sort(key=lambda t: (-t.gain, -t.probability_gain))
    return tuple(tips)


def observe(analysis: Analysis) -> tuple[Observation, ...]:
    """Plain-language observations from the analysis, each with how to fix it next time."""
    notes: list[tuple[str, dict[str, Any]]] = []
    faces = tuple(analysis.faces)
    quality = analysis.quality
    if not faces:
        notes.append(("no_face", {}))
    else:
        if len(faces) > 1:
            notes.append(("several_faces", {"count": len(faces)}))
        notes.extend(_face_notes(analysis, analysis.largest_face))
    notes.extend(_quality_notes(quality))
    return tuple(
        Observation(
            key=f"tips.obs.{key}",
            text=text(f"tips.obs.{key}", **values),
            fix=text(f"tips.obs.{key}.fix"),
        )
        for key, values in notes
    )


# Thresholds on the analyzer's quality measures (see `inference.results.Quality`), set from
# the 30 dev selfies so that only the clear cases are called out.
FACE_SMALL = 0.08
FACE_LARGE = 0.6
OFF_CENTRE_X = 0.2
CENTRE_Y_RANGE = (0.15, 0.65)
TILT_DEGREES = 10.0
DARK = 0.32
BRIGHT = 0.8
FLAT = 0.15
BLURRY = 0.002
SMILE = 0.3


def _face_notes(analysis: Analysis, face: Any) -> list[tuple[str, dict[str, Any]]]:
    quality = analysis.quality
    notes: list[tuple[str, dict[str, Any]]] = []
    ratio = quality.face_area_ratio
    if ratio is not None and ratio < FACE_SMALL:
        notes.append(("face_small", {"percent": max(1, round(ratio * 100))}))
    elif ratio is not None and ratio > FACE_LARGE:
        notes.append(("face_large", {"percent": round(ratio * 100)}))
    cx, cy = quality.face_center_x, quality.face_center_y
    if cx is not None and abs(cx - 0.5) > OFF_CENTRE_X:
        notes.append(
            ("off_centre", {"side": text("tips.side.left" if cx < 0.5 else "tips.side.right")})
        )
    elif cy is not None and not CENTRE_Y_RANGE[0] <= cy <= CENTRE_Y_RANGE[1]:
        notes.append(
            (
                "off_centre",
                {"side": text("tips.side.top" if cy < CENTRE_Y_RANGE[0] else "tips.side.bottom")},
            )
        )
    tilt = quality.face_tilt_degrees
    if tilt is not None and abs(tilt) > TILT_DEGREES:
        notes.append(("tilted", {"degrees": round(abs(tilt))}))
    if face.emotions and face.emotions.get("happy", 0.0) < SMILE:
        notes.append(("no_smile", {}))
    return notes


def _quality_notes(quality: Any) -> list[tuple[str, dict[str, Any]]]:
    notes: list[tuple[str, dict[str, Any]]] = []
    if quality.brightness < DARK:
        notes.append(("dark", {}))
    elif quality.brightness > BRIGHT:
        notes.append(("bright", {}))
    if quality.contrast < FLAT:
        notes.append(("flat", {}))
    if quality.sharpness < BLURRY:
        notes.append(("blurry", {}))
    return notes
