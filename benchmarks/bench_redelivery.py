"""How many updates get more than one reply when every update reaches several processes at once.

Starts PROCESSES real `selfiebot run` processes in webhook mode on one fresh PostgreSQL database
(from SELFIEBOT_TEST_POSTGRES_URL's server) against the fake Bot API, POSTs each of N updates
(a selfie every 4th, else /me, /top, /help or /badges, each from its own person) COPIES times at
once to random processes, waits until the bots go quiet, and counts the replies quoting each
update's message.

    .venv/bin/python benchmarks/bench_redelivery.py                      # this checkout
    git archive <commit> | tar -x -C /tmp/before
    .venv/bin/python benchmarks/bench_redelivery.py --source /tmp/before # the bots of <commit>

Needs the seed model (SELFIEBOT_POPULARITY_MODEL, or ../shared/seed/best_model.h5).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import SEED_MODEL  # noqa: E402
from tests.fakes.telegram.cluster import Cluster, settle  # noqa: E402
from tests.fakes.telegram.people import Person, private_chat  # noqa: E402
from tests.fakes.telegram.server import FakeBotApi  # noqa: E402
from tests.storage.support import create_postgres_database, drop_postgres_database  # noqa: E402

SELFIE = (ROOT / "tests" / "data" / "astronaut.jpg").read_bytes()
COMMANDS = ("/me", "/top", "/help", "/badges")


async def measure(source: Path, updates_count: int, copies: int, processes: int, seed: int) -> None:
    os.environ.setdefault("SELFIEBOT_POPULARITY_MODEL", str(SEED_MODEL))
    database = await create_postgres_database("selfiebot_bench")
    try:
        with FakeBotApi() as api, tempfile.TemporaryDirectory() as work:
            cluster = Cluster(api, database, Path(work), count=processes, source=source)
            started = time.monotonic()
            cluster.start()
            print(f"{processes} processes of {source} up in {time.monotonic() - started:.1f} s")
            updates = []
            for n in range(updates_count):
                person = Person(api, f"Player{n}")
                chat = private_chat(api, person)
                if n % 4 == 0:
                    updates.append(person.send_photo(chat, SELFIE))
                else:
                    updates.append(person.send_text(chat, COMMANDS[n % len(COMMANDS)]))
            try:
                sent = time.monotonic()
                await cluster.deliver_copies(updates, copies, random.Random(seed))
                answers = await settle(api, updates, timeout=600)
                elapsed = time.monotonic() - sent
            finally:
                cluster.stop()
    finally:
        await drop_postgres_database(database)
    spread = Counter(answers.values())
    print(
        f"{updates_count} updates x {copies} copies to {processes} processes in {elapsed:.1f} s: "
        f"{sum(n for k, n in spread.items() if k > 1)} answered more than once, "
        f"{spread.get(0, 0)} never answered; replies per update: {dict(sorted(spread.items()))}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=ROOT, help="checkout the bots run")
    parser.add_argument("--updates", type=int, default=200)
    parser.add_argument("--copies", type=int, default=3)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    if not os.environ.get("SELFIEBOT_TEST_POSTGRES_URL"):
        sys.exit("Set SELFIEBOT_TEST_POSTGRES_URL to a PostgreSQL server (see .ci/run).")
    asyncio.run(
        measure(args.source.resolve(), args.updates, args.copies, args.processes, args.seed)
    )


if __name__ == "__main__":
    main()
