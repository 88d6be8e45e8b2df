"""What do the tips do to real selfies, and how long do they take? Runs the engine on a folder.

For each photo: the best believable edit's gain (0 when none gains 2 points), the suggestions a
reply would show, the candidates the plausibility guard refused and why, and the time. Then the
summary: mean believable gain, photos that got an edit, refusals per rule, suggestions per
reply (mean, max), the time per photo (median over the photos, each the median of --runs runs)
against the time to score the same photo once (the baseline, measured in the same run), and a
check that every claimed score is what scoring the returned PNG gives.

    .venv/bin/python benchmarks/bench_tips.py [FOLDER] [--runs N] [--size WxH] [--sheet DIR]

FOLDER defaults to ../shared/selfies/dev. --size resizes every photo first (e.g. 1280x960, a
phone photo's scale); --sheet DIR writes before/after contact sheets of the best edits there, to
look at. Needs a popularity model (SELFIEBOT_POPULARITY_MODEL or `selfiebot models import`).
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core import tips as wording  # noqa: E402
from bot.core.i18n import Translator  # noqa: E402
from bot.settings import get_settings  # noqa: E402
from inference import Analyzer  # noqa: E402
from inference import tips as engine  # noqa: E402

DEFAULT_FOLDER = ROOT.parent / "shared" / "selfies" / "dev"
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}
TILE = 200
SHEET_COLUMNS = 3
SHEET_ROWS = 5


def median_seconds(run, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def contact_sheets(pairs: list[tuple[str, Image.Image, Image.Image, str]], folder: Path) -> None:
    """Before/after tiles, SHEET_COLUMNS pairs a row, one file per SHEET_ROWS rows."""
    folder.mkdir(parents=True, exist_ok=True)
    per_sheet = SHEET_COLUMNS * SHEET_ROWS
    for number, first in enumerate(range(0, len(pairs), per_sheet)):
        chunk = pairs[first : first + per_sheet]
        rows = (len(chunk) + SHEET_COLUMNS - 1) // SHEET_COLUMNS
        sheet = Image.new("RGB", (SHEET_COLUMNS * (2 * TILE + 20), rows * (TILE + 40)), "white")
        draw = ImageDraw.Draw(sheet)
        for index, (label, before, after, codes) in enumerate(chunk):
            x, y = (index % SHEET_COLUMNS) * (2 * TILE + 20), (index // SHEET_COLUMNS) * (TILE + 40)
            for offset, photo in ((0, before), (TILE + 4, after)):
                tile = photo.copy()
                tile.thumbnail((TILE, TILE))
                sheet.paste(tile, (x + offset, y))
            draw.text((x, y + TILE + 2), label, fill="black")
            draw.text((x, y + TILE + 16), codes[:64], fill="black")
        sheet.save(folder / f"tips-sheet-{number + 1}.png")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size", default=None, help="resize every photo to WxH first")
    parser.add_argument("--sheet", type=Path, default=None)
    args = parser.parse_args()
    photos = sorted(p for p in args.folder.iterdir() if p.suffix.lower() in PHOTO_SUFFIXES)
    if not photos:
        print(f"no photos in {args.folder}")
        return 1
    size = tuple(int(v) for v in args.size.split("x")) if args.size else None
    t = Translator()
    gains: list[int] = []
    tips_seconds: list[float] = []
    score_seconds: list[float] = []
    suggestion_counts: list[int] = []
    rejected: Counter[str] = Counter()
    tried = 0
    mismatches = 0
    pairs = []
    with Analyzer.from_config(get_settings().analyzer_config()) as analyzer:
        for path in photos:
            with Image.open(path) as opened:
                photo = opened.convert("RGB")
            if size is not None:
                photo = photo.resize(size, Image.Resampling.LANCZOS)
            shown = analyzer.analyze_image(photo)
            result = engine.suggest(analyzer, photo, shown)
            tips_seconds.append(
                median_seconds(lambda p=photo, a=shown: engine.suggest(analyzer, p, a), args.runs)
            )
            score_seconds.append(
                median_seconds(lambda p=photo: analyzer.analyze_image(p), max(5, args.runs))
            )
            found = wording.suggestions(result, t)
            suggestion_counts.append(len(found))
            rejected.update(result.rejected)
            tried += result.tried
            best = result.best
            if best is not None and analyzer.analyze(best.png).score != best.score:
                mismatches += 1
            gains.append(best.gain if best else 0)
            codes = " ".join(best.codes) if best else "-"
            if best is not None:
                label = f"{path.name[:10]} {result.original_score}->{best.score}"
                pairs.append((label, photo, Image.open(io.BytesIO(best.png)), codes))
            print(
                f"{path.name[:24]:24s} {result.original_score:3d} -> "
                f"{result.original_score + gains[-1]:3d} (+{gains[-1]:2d}) "
                f"{len(found)} suggestions, {tips_seconds[-1]:.2f}s; {codes}; "
                f"advice: {', '.join(a.kind for a in result.advice) or '-'}"
            )
    count = len(photos)
    with_edit = sum(1 for g in gains if g > 0)
    refused = sum(rejected.values())
    tips_median, score_median = statistics.median(tips_seconds), statistics.median(score_seconds)
    print()
    print(f"photos: {count}" + (f" (resized to {args.size})" if size else ""))
    print(f"mean believable gain: {statistics.mean(gains):.1f} points over all photos")
    if with_edit:
        edited = [g for g in gains if g > 0]
        print(
            f"  over the {with_edit} edited: mean {statistics.mean(edited):.1f}, max {max(edited)}"
        )
    print(f"photos with a believable edit (gain >= {engine.MIN_GAIN}): {with_edit}/{count}")
    print(f"candidate edits built: {tried}; refusals by the guard (per rule): {refused}")
    for rule, number in rejected.most_common():
        print(f"  {rule}: {number}")
    print(
        f"suggestions per reply: mean {statistics.mean(suggestion_counts):.2f}, "
        f"max {max(suggestion_counts)}"
    )
    print(
        f"time per photo: tips median {tips_median:.3f}s (max {max(tips_seconds):.3f}s); "
        f"one score {1000 * score_median:.1f} ms; ratio {tips_median / score_median:.0f}x"
    )
    print(f"claims that did not re-score exactly: {mismatches}")
    if args.sheet is not None:
        contact_sheets(pairs, args.sheet)
        print(f"contact sheets in {args.sheet}")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
