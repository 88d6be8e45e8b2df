"""How much do the tips really raise the score? Runs /tips on a folder of selfies.

For each photo: the best tip's gain (0 when no edit helps), how many photos improved, the time
per photo (wall clock and CPU), and a check that every claimed score is what scoring the
returned PNG gives.

    .venv/bin/python benchmarks/bench_tips.py [FOLDER]   # default ../shared/selfies/dev

Needs a popularity model (SELFIEBOT_POPULARITY_MODEL or `selfiebot models import`).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core import tips  # noqa: E402
from inference import Analyzer  # noqa: E402

DEFAULT_FOLDER = ROOT.parent / "shared" / "selfies" / "dev"
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}


def main(folder: Path) -> int:
    photos = sorted(p for p in folder.iterdir() if p.suffix.lower() in PHOTO_SUFFIXES)
    if not photos:
        print(f"no photos in {folder}")
        return 1
    analyzer = Analyzer.from_settings()
    gains: list[int] = []
    seconds: list[float] = []
    cpu_seconds: list[float] = []
    first_edit: Counter[str] = Counter()
    mismatches = 0
    for path in photos:
        data = path.read_bytes()
        shown = analyzer.analyze(data)
        with Image.open(path) as opened:
            photo = opened.convert("RGB")
        start, cpu_start = time.perf_counter(), time.process_time()
        report = tips.suggest_tips(analyzer, photo, shown)
        seconds.append(time.perf_counter() - start)
        cpu_seconds.append(time.process_time() - cpu_start)
        for tip in report.tips:
            if analyzer.analyze(tip.image_png).score != tip.new_score:
                mismatches += 1
        gain = report.best.gain if report.best else 0
        gains.append(gain)
        if report.best:
            first_edit[report.best.edit.split("+")[0]] += 1
        best = report.best.edit if report.best else "-"
        print(
            f"{path.name[:28]:28s} {report.original_score:3d} -> "
            f"{report.original_score + gain:3d} (+{gain:2d}) {len(report.tips)} tips "
            f"{seconds[-1]:.2f}s best: {best}"
        )
    improved = sum(1 for g in gains if g > 0)
    print()
    print(f"photos: {len(photos)}")
    print(
        f"mean best gain: {statistics.mean(gains):.1f} points (median {statistics.median(gains)})"
    )
    print(f"improved: {improved}/{len(photos)} ({100 * improved / len(photos):.0f}%)")
    print(f"time per photo: median {statistics.median(seconds):.2f}s, max {max(seconds):.2f}s")
    # CPU time (all threads) does not grow when other processes share the machine.
    print(f"CPU time per photo: median {statistics.median(cpu_seconds):.2f}s")
    print(f"best tip starts with: {dict(first_edit.most_common())}")
    print(f"claims that did not re-score exactly: {mismatches}")
    analyzer.close()
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_FOLDER))
