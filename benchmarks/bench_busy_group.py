"""A burst of photos in one busy group: how long until each sender sees their score, and how
many messages the bot posts, with and without coalescing (`bot/core/busy.py`).

Telegram: the real PTB bot (rate limiter included: about 20 messages a minute per group) runs
against the fake Bot API. Discord: the real discord.py client against the fake Discord, which
enforces Discord's per-channel limit (5 posts and 5 edits per 5 s; discord.py waits when a
bucket is spent), photos posted into a channel with auto-scoring on. Both play a scripted game
that answers each photo with a result card at once, so only the adapter's pacing is measured.
A sender "sees their score" when a card with their score is posted or a digest listing them is
posted or edited.

    .venv/bin/python benchmarks/bench_busy_group.py            # both platforms, both modes
    .venv/bin/python benchmarks/bench_busy_group.py --platform discord --photos 60 --spread 60
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import discord  # noqa: E402

from bot.discord import busy as discord_busy  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.telegram import busy  # noqa: E402
from tests.bot.discord.test_busy import CARD, DIGEST_LINE, PICTURE  # noqa: E402
from tests.bot.discord.test_busy import scored as discord_scored  # noqa: E402
from tests.bot.telegram.test_busy import SELFIE, scored  # noqa: E402
from tests.fakes.discord.harness import TOKEN, discord_settings, logged_in  # noqa: E402
from tests.fakes.discord.limits import ChannelLimits  # noqa: E402
from tests.fakes.discord.people import Person as DiscordPerson  # noqa: E402
from tests.fakes.discord.server import FakeDiscord  # noqa: E402
from tests.fakes.telegram.harness import running_bot  # noqa: E402
from tests.fakes.telegram.people import Person, group_chat  # noqa: E402
from tests.fakes.telegram.server import FakeBotApi  # noqa: E402


async def burst(photos: int, spread: float, coalesce: bool) -> tuple[list[float], int, float]:
    """(seconds until each sender saw their score, messages + edits posted, total seconds)."""
    busy.PACE = dataclasses.replace(busy.PACE, busy_after=6 if coalesce else 10**9)
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


async def discord_burst(
    photos: int, spread: float, coalesce: bool
) -> tuple[list[float], int, float]:
    """The same burst in one Discord channel (photos auto-scored, not slash commands)."""
    discord_busy.PACE = dataclasses.replace(discord_busy.PACE, busy_after=2 if coalesce else 10**9)
    fake = FakeDiscord(TOKEN)
    await fake.start()
    discord.http.Route.BASE = fake.api_base
    fake.channel_limits = ChannelLimits(limit=5, per=5.0)
    people = [
        DiscordPerson(650_000_000_000_000_000 + n, f"p{n:02d}", f"P{n:02d}") for n in range(photos)
    ]
    rng = random.Random(7)
    scores = {f"P{n:02d}": rng.randint(20, 95) for n in range(photos)}
    sent_at: dict[str, float] = {}
    seen: dict[str, float] = {}
    try:
        async with logged_in(fake, discord_scored(scores), discord_settings()) as (_, world):
            start = time.monotonic()
            for n, person in enumerate(people):
                await asyncio.sleep(max(0.0, start + spread * n / photos - time.monotonic()))
                world.post(person, [world.attachment_json("me.png", PICTURE, "image/png")])
                sent_at[person.global_name or ""] = time.monotonic()
            while len(seen) < photos and time.monotonic() - start < 600:
                now = time.monotonic()
                for message in fake.visible():
                    for name, _ in CARD.findall(message.text) + DIGEST_LINE.findall(message.text):
                        seen.setdefault(name, now)
                await asyncio.sleep(0.05)
            total = time.monotonic() - start
        posted = len(fake.calls("POST", r"/channels/\d+/messages"))
        posted += len(fake.calls("PATCH", r"/channels/\d+/messages/\d+"))
    finally:
        await fake.stop()
    waits = [seen[name] - sent_at[name] for name in seen]
    return waits, posted, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=60)
    parser.add_argument("--spread", type=float, default=0.0, help="seconds the burst lasts")
    parser.add_argument("--platform", choices=("telegram", "discord", "both"), default="both")
    args = parser.parse_args()
    runs = {"telegram": burst, "discord": discord_burst}
    for platform, run in runs.items():
        if args.platform not in (platform, "both"):
            continue
        for coalesce in (True, False):
            waits, posted, total = asyncio.run(run(args.photos, args.spread, coalesce))
            mode = "coalesced (digest + best cards)" if coalesce else "one card per photo"
            report(f"{platform}, {mode}", waits, posted, total, args.photos)


if __name__ == "__main__":
    main()
