"""CPU of one photo on the page against one on the JSON API, sequential and in process.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/bench_web_photo_cost.py [--photos 60] [--rounds 3]

`bench_web_load.py` measures throughput under 50 users, which on a shared machine moves with
everyone else's load; this one sends the same dev-selfie variants (`bench_web_load.photo_variants`)
one at a time through the app in this process (`httpx.ASGITransport`: no sockets) and reads the
process's CPU time (every thread: the analyzer's pool and SQLite's included), so the page's cost
per photo against the API's can be compared between two versions of the code. The page is a
form POST with the tips left for later and its redirect followed, as the page's script sends
it; rate limit and duplicate check are off, as in the load script, so every photo is counted.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_web_load import photo_variants  # noqa: E402
from benchmarks.devset import SEED_MODEL, SELFIES_DEV  # noqa: E402
from bot.core.game import Game  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.web.app import create_app  # noqa: E402
from inference import Analyzer  # noqa: E402

WARM_UP = 5


async def measure(count: int, rounds: int) -> dict[str, list[float]]:
    """Milliseconds of CPU per photo, per round, for `api` and `page`."""
    photos = photo_variants(SELFIES_DEV, 200)
    with tempfile.TemporaryDirectory(prefix="selfiebot-cost-") as tmp:
        settings = Settings(
            _env_file=None,
            data_dir=Path(tmp) / "data",
            cache_dir=Path(tmp) / "cache",
            popularity_model=SEED_MODEL,
            rate_limit_photos=1000,
            rate_limit_window_minutes=1,
            duplicate_hamming_distance=0,
        )
        with Analyzer.from_config(settings.analyzer_config()) as analyzer:
            game = await Game.open(settings, analyzer=analyzer)
            transport = httpx.ASGITransport(app=create_app(settings, game=game))
            try:
                async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                    return await _rounds(client, photos, count, rounds)
            finally:
                await game.close()


async def _rounds(
    client: httpx.AsyncClient, photos: list[bytes], count: int, rounds: int
) -> dict[str, list[float]]:
    async def api(index: int) -> None:
        files = {"photo": (f"p{index}.jpg", photos[index % len(photos)], "image/jpeg")}
        response = await client.post("/api/score", files=files)
        response.raise_for_status()

    async def page(index: int) -> None:
        files = {"photo": (f"p{index}.jpg", photos[index % len(photos)], "image/jpeg")}
        data = {"nickname": f"load{index % 50}", "key": f"bench-cost-{index:08d}-0123456789"}
        response = await client.post(
            "/",
            data=data,
            files=files,
            headers={"X-Selfiebot-Tips": "later"},
            follow_redirects=True,
        )
        response.raise_for_status()

    kinds: dict[str, Callable[[int], Awaitable[None]]] = {"api": api, "page": page}
    for send in kinds.values():
        for index in range(WARM_UP):
            await send(10_000 + index)
    cost: dict[str, list[float]] = {name: [] for name in kinds}
    for round_number in range(rounds):
        for name, send in kinds.items():
            started = time.process_time()
            for index in range(count):
                await send(round_number * count + index)
            cost[name].append((time.process_time() - started) / count * 1000)
    return cost


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=60, help="photos per kind and round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    cost = asyncio.run(measure(args.photos, args.rounds))
    for name, values in cost.items():
        rounds = ", ".join(f"{value:.1f}" for value in values)
        print(f"{name:5} CPU ms a photo: {rounds} (median {statistics.median(values):.1f})")
    ratio = statistics.median(cost["page"]) / statistics.median(cost["api"])
    print(f"page / API: {ratio:.2f}x")


if __name__ == "__main__":
    main()
