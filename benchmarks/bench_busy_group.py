"""A burst of photos in one Telegram group: how long until each sender sees their score, and
how many messages the bot posts, with and without coalescing (`bot/telegram/busy.py`).

The real PTB bot (rate limiter included: about 20 messages a minute per group) runs against the
fake Bot API with a scripted game that answers each photo with a result card at once, so only
the adapter's pacing is measured. A sender "sees their score" when a card quoting their photo
is posted or a digest text listing them is posted or edited.

    .venv/bin/python benchmarks/bench_busy_group.py            # coalesced, then one card each
    .venv/bin/python benchmarks/bench_busy_group.py --photos 60 --spread 60
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.settings import Settings  # noqa: E402
from bot.telegram import busy  # noqa: E402
from tests.fakes.telegram.harness import running_bot  # noqa: E402
from tests.fakes.telegram.people import Person, group_chat  # noqa: E402
from tests.fakes.telegram.server import FakeBotApi  # noqa: E402
from tests.test_telegram_busy import SELFIE, scored  # noqa: E402


async def burst(photos: int, spread: float, coalesce: bool) -> tuple[list[float], int, float]:
    """(seconds until each sender saw their score, messages + edits posted, total seconds)."""
    busy.BUSY_AFTER = 6 if coalesce else 10**9
    with FakeBotApi() as api, tempfile.TemporaryDirectory() as home:
        os.environ.update(
            TELEGRAM_BOT_TOKEN=api.token,
            TELEGRAM_API_BASE_URL=api.base_url,
            SELFIEBOT_DATA_DIR=home,
            SELFIEBOT_CACHE_DIR=home,
        )
        group = group_chat(api)
        people = [Person(api, f"P{n:02d}") for n in range(photos)]
        rng = random.Random(7)
        scores = {person.first_name: rng.randint(20, 95) for person in people}
        game = scored(scores)
        sent_at: dict[str, float] = {}
        message_of: dict[str, int] = {}
        seen: dict[str, float] = {}
        async with running_bot(game, Settings(_env_file=None), api):
            start = time.monotonic()
            for n, person in enumerate(people):
                await asyncio.sleep(max(0.0, start + spread * n / photos - time.monotonic()))
                update = person.send_photo(group, SELFIE)
                sent_at[person.first_name] = time.monotonic()
                message_of[person.first_name] = update["message"]["message_id"]
            while len(seen) < photos and time.monotonic() - start < 600:
                _observe(api, group["id"], scores, message_of, seen)
                await asyncio.sleep(0.05)
            total = time.monotonic() - start
        posted = [
            c
            for c in api.calls("sendPhoto", "sendMessage", "editMessageText", chat_id=group["id"])
            if c.error is None
        ]
    waits = [seen[name] - sent_at[name] for name in seen]
    return waits, len(posted), total


def _observe(
    api: FakeBotApi,
    chat_id: int,
    scores: dict[str, int],
    message_of: dict[str, int],
    seen: dict[str, float],
) -> None:
    now = time.monotonic()
    by_message = {message_id: name for name, message_id in message_of.items()}
    for call in api.calls("sendPhoto", "sendMessage", "editMessageText", chat_id=chat_id):
        if call.error is not None:
            continue
        quoted = (call.params.get("reply_parameters") or {}).get("message_id")
        if quoted in by_message:
            seen.setdefault(by_message[quoted], now)
        text = call.result.get("text") or ""
        for name, score in scores.items():
            if name not in seen and f"{name}: {score}/100" in text:
                seen[name] = now


def report(label: str, waits: list[float], posted: int, total: float, photos: int) -> None:
    waits = sorted(waits)
    p95 = waits[int(0.95 * (len(waits) - 1))]
    print(
        f"{label}: {len(waits)}/{photos} senders saw their score; wait median "
        f"{statistics.median(waits):.1f} s, p95 {p95:.1f} s, max {waits[-1]:.1f} s; "
        f"{posted} messages and edits posted; {total:.0f} s in all"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=60)
    parser.add_argument("--spread", type=float, default=0.0, help="seconds the burst lasts")
    args = parser.parse_args()
    for coalesce in (True, False):
        waits, posted, total = asyncio.run(burst(args.photos, args.spread, coalesce))
        label = "coalesced (digest + best cards)" if coalesce else "one card per photo"
        report(label, waits, posted, total, args.photos)


if __name__ == "__main__":
    main()
