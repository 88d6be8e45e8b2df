"""Measure how much each piece of tips advice is worth, on real selfies; write the table.

The tips engine ships `inference/advice_gains.json` and words each gain as "about N points".
This script is where those numbers come from. For each trait the score difference between
the same photo with and without it, simulated by ordinary edits, or between comparable
selfies when it cannot be simulated:

- light.dark / light.bright: the photo vs the same photo under-exposed (x0.55) / over-exposed
  (x1.6), on photos where the simulated one is detected as dark / bright;
- tilt: a level photo vs the same photo rotated by 15 degrees either way, both cropped to the
  same centred rectangle without empty corners;
- framing.large: the main face framed as the engine frames it (18% of a square) vs a square
  crop where it fills 65%;
- framing.off_centre: a square crop of 70% of the photo centred on the face vs the same crop
  with the face at 15% from a side;
- framing.small: the engine's framing crop (18%) vs the photo, on photos where the face fills
  under 15%;
- smile: mean score of smiling selfies minus non-smiling ones (cannot be simulated by an edit).

    .venv/bin/python benchmarks/measure_advice_gains.py [FOLDER] [--write]

FOLDER defaults to ../shared/selfies/dev; --write updates inference/advice_gains.json. Needs
a popularity model (SELFIEBOT_POPULARITY_MODEL or `selfiebot models import`).
"""

from __future__ import annotations

import json
import math
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.settings import get_settings  # noqa: E402
from inference import Analysis, Analyzer, advice, edits  # noqa: E402
from inference.decode import decode_photo  # noqa: E402

DEFAULT_FOLDER = ROOT.parent / "shared" / "selfies" / "dev"
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}
TILT = 15.0

Pair = tuple[Image.Image, Image.Image]
"""(with the advice followed, without it)."""


def face_luma(image: Image.Image, analysis: Analysis) -> float | None:
    face = analysis.main_face
    if face is None:
        return None
    x, y, w, h = face.box
    crop = image.crop((x, y, x + w, y + h)).convert("L")
    return sum(i * n for i, n in enumerate(crop.histogram())) / max(1, w * h)


def tilt_pair(image: Image.Image, _: Analysis, sign: float) -> Pair | None:
    w, h = largest_rotated_rect(image.width, image.height, math.radians(TILT))
    left, top = (image.width - w) / 2, (image.height - h) / 2
    box = (math.ceil(left), math.ceil(top), math.floor(left + w), math.floor(top + h))
    rotated = image.rotate(sign * TILT, resample=Image.Resampling.BICUBIC)
    return image.crop(box), rotated.crop(box)


def largest_rotated_rect(width: float, height: float, angle: float) -> tuple[float, float]:
    """The largest axis-aligned rectangle inside a `width` x `height` one rotated by `angle`
    radians (so no empty corner shows)."""
    long_side, short_side = (width, height) if width >= height else (height, width)
    sin_a, cos_a = abs(math.sin(angle)), abs(math.cos(angle))
    if short_side <= 2 * sin_a * cos_a * long_side or abs(sin_a - cos_a) < 1e-10:
        x = 0.5 * short_side
        return (x / sin_a, x / cos_a) if width >= height else (x / cos_a, x / sin_a)
    cos_2a = cos_a * cos_a - sin_a * sin_a
    return (width * cos_a - height * sin_a) / cos_2a, (height * cos_a - width * sin_a) / cos_2a


def square_around(image: Image.Image, cx: float, cy: float, side: float) -> Image.Image | None:
    side = round(side)
    if side > min(image.size) or side < 32:
        return None
    left = round(min(max(cx - side / 2, 0), image.width - side))
    top = round(min(max(cy - side / 2, 0), image.height - side))
    return image.crop((left, top, left + side, top + side))


def large_pair(image: Image.Image, analysis: Analysis) -> Pair | None:
    box = _box(analysis)
    framed = edits.frame_box(image.size, box, 0.18) if box else None
    if box is None or framed is None:
        return None
    tight = square_around(image, *box.center, math.sqrt(box.w * box.h / 0.65))
    return (edits.crop(image, framed), tight) if tight is not None else None


def off_centre_pair(image: Image.Image, analysis: Analysis) -> Pair | None:
    box = _box(analysis)
    if box is None:
        return None
    side = round(0.7 * min(image.size))
    cx, cy = box.center
    centred = square_around(image, cx, cy, side)
    for offset in (0.35, -0.35):
        left = round(min(max(cx + offset * side - side / 2, 0), image.width - side))
        if centred is not None and abs(left + side / 2 - cx) / side >= 0.25:
            return centred, image.crop(
                (
                    left,
                    round(centred_top(image, cy, side)),
                    left + side,
                    round(centred_top(image, cy, side)) + side,
                )
            )
    return None


def centred_top(image: Image.Image, cy: float, side: int) -> float:
    return min(max(cy - side / 2, 0), image.height - side)


def small_pair(image: Image.Image, analysis: Analysis) -> Pair | None:
    box = _box(analysis)
    if box is None or analysis.quality.face_area_ratio is None:
        return None
    if analysis.quality.face_area_ratio >= 0.15:
        return None
    framed = edits.frame_box(image.size, box, 0.18)
    return (edits.crop(image, framed), image) if framed else None


def exposure_pair(gain: float) -> Callable[[Image.Image, Analysis], Pair | None]:
    def pair(image: Image.Image, analysis: Analysis) -> Pair | None:
        if analysis.main_face is None:
            return None
        return image, edits.exposure(image, gain)

    return pair


def _box(analysis: Analysis) -> edits.Box | None:
    face = analysis.main_face
    return edits.Box(*(float(v) for v in face.box)) if face is not None else None


def measure(analyzer: Analyzer, photos: list[tuple[Image.Image, Analysis]]) -> dict:
    gains: dict[str, dict] = {}

    def record(kind: str, method: str, pairs: list[Pair], keep: Callable | None = None) -> None:
        flat = [image for pair in pairs for image in pair]
        analyses = analyzer.analyze_images(flat, mesh=True)
        diffs = []
        for index, pair in enumerate(pairs):
            good, bad = analyses[2 * index], analyses[2 * index + 1]
            if keep is None or keep(pair[1], bad):
                diffs.append(good.popular_probability * 100 - bad.popular_probability * 100)
        gains[kind] = {
            "gain": round(statistics.mean(diffs), 1) if diffs else 0.0,
            "photos": len(diffs),
            "method": method,
        }
        print(f"{kind:20s} {gains[kind]['gain']:+6.1f} points over {len(diffs)} photos")

    def pairs_of(make: Callable[[Image.Image, Analysis], Pair | None]) -> list[Pair]:
        return [p for image, analysis in photos if (p := make(image, analysis)) is not None]

    def detected(kind: str) -> Callable[[Image.Image, Analysis], bool]:
        def check(image: Image.Image, analysis: Analysis) -> bool:
            return kind in {k for k, _ in advice.traits(analysis, face_luma(image, analysis))}

        return check

    record(
        "light.dark",
        "photo vs the same photo at x0.55 exposure, where that is detected as dark",
        pairs_of(exposure_pair(0.55)),
        detected("light.dark"),
    )
    record(
        "light.bright",
        "photo vs the same photo at x1.6 exposure, where that is detected as bright",
        pairs_of(exposure_pair(1.6)),
        detected("light.bright"),
    )
    record(
        "tilt",
        f"level photo vs rotated by {TILT:g} degrees either way, same centred crop",
        pairs_of(lambda i, a: tilt_pair(i, a, 1.0)) + pairs_of(lambda i, a: tilt_pair(i, a, -1.0)),
    )
    record(
        "framing.large",
        "face framed at 18% of a square vs a square where it fills 65%",
        pairs_of(large_pair),
    )
    record(
        "framing.off_centre",
        "square of 70% of the photo centred on the face vs face 15% from a side",
        pairs_of(off_centre_pair),
    )
    record(
        "framing.small",
        "face framed at 18% of a square vs the photo, where the face fills under 15%",
        pairs_of(small_pair),
    )
    smiling = [a.score for i, a in photos if a.main_face and "smile" not in _traits(i, a)]
    serious = [a.score for i, a in photos if a.main_face and "smile" in _traits(i, a)]
    gain = statistics.mean(smiling) - statistics.mean(serious) if smiling and serious else 0.0
    gains["smile"] = {
        "gain": round(gain, 1),
        "photos": len(smiling) + len(serious),
        "method": f"mean score of {len(smiling)} smiling minus {len(serious)} non-smiling selfies",
    }
    print(f"{'smile':20s} {gain:+6.1f} points ({len(smiling)} smiling, {len(serious)} not)")
    return gains


def _traits(image: Image.Image, analysis: Analysis) -> set[str]:
    return {kind for kind, _ in advice.traits(analysis, face_luma(image, analysis))}


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    folder = Path(args[0]) if args else DEFAULT_FOLDER
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in PHOTO_SUFFIXES)
    if not paths:
        print(f"no photos in {folder}")
        return 1
    with Analyzer.from_config(get_settings().analyzer_config()) as analyzer:
        photos = []
        for path in paths:
            image = decode_photo(path.read_bytes(), analyzer.max_pixels, draft_min_side=None).image
            photos.append((image, analyzer.analyze_image(image, mesh=True)))
        gains = measure(analyzer, photos)
    table = {"source": f"{len(paths)} selfies in {folder.name}/", "gains": gains}
    if "--write" in argv:
        advice.GAINS_FILE.write_text(json.dumps(table, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {advice.GAINS_FILE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
