"""CPU of one photo on the page against one on the JSON API, sequential and in process.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/bench_web_photo_cost.py [--photos 60] [--rounds 3]
        [--season-photos 10000]

`bench_web_load.py` measures throughput under 50 users, which on a shared machine moves with
everyone else's load; this one sends the same dev-selfie variants (`bench_web_load.photo_variants`)
one at a time through the app in this process (`httpx.ASGITransport`: no sockets) and reads the
process's CPU time (every thread: the analyzer's pool and SQLite's included), so the page's cost
per photo against the API's can be compared between two versions of the code. The page is a
form POST with the tips left for later, as the page's script sends it (a redirect to the
result, from older code, is followed); rate limit and duplicate check are off, as in the load
script, so every photo is counted.

Each figure is given twice: the whole process, and the server alone (the CPU spent inside the
web app's requests, so without the in-process client's share). `--season-photos N` first
records N scored photos of 200 other players in the page's chat this season, as a busy web
page holds after a few days: what a photo costs must not grow with the season.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_web_load import photo_variants  # noqa: E402
from benchmarks.devset import SEED_MODEL, SELFIES_DEV  # noqa: E402
from bot.core.game import Game  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.web.app import create_app  # noqa: E402
from bot.web.players import PLATFORM, WEB_CHAT  # noqa: E402
from inference import Analyzer  # noqa: E402
from storage.records import NewSubmission  # noqa: E402

WARM_UP = 5
SEASON_PLAYERS = 200


class ServerClock:
    """Process CPU spent inside the app's requests: the server's share of a photo."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.seconds = 0.0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        started = time.process_time()
        try:
            await self.app(scope, receive, send)
        finally:
            self.seconds += time.process_time() - started


async def fill_season(game: Game, count: int) -> None:
    """`count` scored photos of other players in the page's chat, this season."""
    store = game.store
    chat = await store.chats.upsert(WEB_CHAT.platform, WEB_CHAT.chat_id)
    rng = random.Random(3)
    players = [
        (await store.users.upsert(PLATFORM, f"season-{n}", f"Player {n}", chat_id=chat.id)).id
        for n in range(SEASON_PLAYERS)
    ]
    # Between the season's start (the warm-up's first photo) and now.
    now = datetime.now(UTC)
    for index in range(count):
        new = NewSubmission(
            chat_id=chat.id,
            user_id=rng.choice(players),
            platform=PLATFORM,
            update_id=f"season-fill-{index}",
            phash=rng.getrandbits(64),
            popularity=0.5,
            score=float(rng.randint(0, 100)),
            created_at=now - timedelta(microseconds=count - index),
        )
        await store.submissions.record(new)


async def measure(count: int, rounds: int, season_photos: int = 0) -> dict[str, list[float]]:
    """Milliseconds of CPU per photo, per round, for `api` and `page`, and for the server
    alone (`api server`, `page server`)."""
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
            server = ServerClock(create_app(settings, game=game))
            transport = httpx.ASGITransport(app=server)
            try:
                async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                    warm = await _warm_up(client, photos)
                    if season_photos:
                        await fill_season(game, season_photos)
                    return await _rounds(warm, server, count, rounds)
            finally:
                await game.close()


Send = Callable[[int], Awaitable[None]]


async def _warm_up(client: httpx.AsyncClient, photos: list[bytes]) -> dict[str, Send]:
    """The two ways to send photo number `index`, each tried a few times first."""

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

    kinds: dict[str, Send] = {"api": api, "page": page}
    for send in kinds.values():
        for index in range(WARM_UP):
            await send(10_000 + index)
    return kinds


async def _rounds(
    kinds: dict[str, Send], server: ServerClock, count: int, rounds: int
) -> dict[str, list[float]]:
    cost: dict[str, list[float]] = {
        label: [] for name in kinds for label in (name, f"{name} server")
    }
    for round_number in range(rounds):
        for name, send in kinds.items():
            started, server.seconds = time.process_time(), 0.0
            for index in range(count):
                await send(round_number * count + index)
            cost[name].append((time.process_time() - started) / count * 1000)
            cost[f"{name} server"].append(server.seconds / count * 1000)
    return cost


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=60, help="photos per kind and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--season-photos", type=int, default=0, help="photos already in this season's board"
    )
    args = parser.parse_args()
    cost = asyncio.run(measure(args.photos, args.rounds, args.season_photos))
    for name, values in cost.items():
        rounds = ", ".join(f"{value:.1f}" for value in values)
        print(f"{name:11} CPU ms a photo: {rounds} (median {statistics.median(values):.1f})")
    for scope in ("", " server"):
        page, api = statistics.median(cost[f"page{scope}"]), statistics.median(cost[f"api{scope}"])
        print(f"page / API{scope}: {page / api:.2f}x")


if __name__ == "__main__":
    main()
