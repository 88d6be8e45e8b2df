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
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import SEED_MODEL  # noqa: E402
from tests.fakes.telegram.cluster import Cluster, settle  # noqa: E402
from tests.fakes.telegram.people import Person, private_chat  # noqa: E402
from tests.fakes.telegram.server import FakeBotApi  # noqa: E402
from tests.storage.support import create_postgres_database, drop_postgres_database  # noqa: E402

SELFIE = (ROOT / "tests" / "data" / "astronaut.jpg").read_bytes()
COMMANDS = ("/me", "/top", "/help", "/badges")


def show_unusual(work: Path, updates: list[dict[str, Any]], answers: dict[int, int]) -> None:
    """The processes' log lines about each update answered other than once (for the reason)."""
    logs = sorted(work.glob("bot-*.log"))
    for update in updates:
        replies = answers[update["update_id"]]
        if replies == 1:
            continue
        print(f"update {update['update_id']}: {replies} replies")
        pattern = re.compile(rf"\b{update['update_id']}\b")
        for log in logs:
            for line in log.read_text(errors="replace").splitlines():
                if pattern.search(line):
                    print(f"  {log.name}: {line}")


async def measure(
    source: Path,
    updates_count: int,
    copies: int,
    processes: int,
    seed: int,
    keep: Path | None,
    stall: float,
    lease: float | None,
) -> None:
    os.environ.setdefault("SELFIEBOT_POPULARITY_MODEL", str(SEED_MODEL))
    database = await create_postgres_database("selfiebot_bench")
    try:
        with FakeBotApi() as api, tempfile.TemporaryDirectory() as work:
            env = {} if lease is None else {"SELFIEBOT_UPDATE_LEASE_SECONDS": str(lease)}
            cluster = Cluster(api, database, Path(work), count=processes, source=source, env=env)
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
                answers = await settle(api, updates, timeout=600, stall=stall)
                elapsed = time.monotonic() - sent
            finally:
                cluster.stop()
                if keep is not None:
                    shutil.copytree(work, keep, dirs_exist_ok=True)
            show_unusual(Path(work), updates, answers)
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
    parser.add_argument(
        "--keep", type=Path, help="copy the processes' logs and data here when the run ends"
    )
    parser.add_argument(
        "--stall",
        type=float,
        default=120.0,
        help="give up waiting for the missing answers after this many seconds without a send",
    )
    parser.add_argument(
        "--lease",
        type=float,
        help="SELFIEBOT_UPDATE_LEASE_SECONDS for the bots: a short one makes copies that wait "
        "in a busy process retake updates whose owner is still working on them",
    )
    args = parser.parse_args()
    if not os.environ.get("SELFIEBOT_TEST_POSTGRES_URL"):
        sys.exit("Set SELFIEBOT_TEST_POSTGRES_URL to a PostgreSQL server (see .ci/run).")
    asyncio.run(
        measure(
            args.source.resolve(),
            args.updates,
            args.copies,
            args.processes,
            args.seed,
            args.keep,
            args.stall,
            args.lease,
        )
    )


if __name__ == "__main__":
    main()
