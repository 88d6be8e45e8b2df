"""Storage benchmark: leaderboard and stats latency on a big database, insert throughput.

    .venv/bin/python benchmarks/bench_storage.py                      # 1,000,000 submissions
    .venv/bin/python benchmarks/bench_storage.py --submissions 100000 --users 2000
    .venv/bin/python benchmarks/bench_storage.py --postgres-url postgresql+asyncpg://...

The dataset is bulk-loaded (the load is not what is measured): 10,000 users, 100 chats, photos
spread over 90 days, each photo by a random user in a random chat (so a chat has thousands of
players, the hard case for a board). Then, through the real `Store` API:
- median leaderboard query for one chat (all time and this week), target <= 20 ms on SQLite;
- median user stats (best, average, count, streaks, badges, rank), target <= 10 ms on SQLite;
- insert throughput through `store.submissions.record`, one writer and
  50 concurrent writers.
PostgreSQL runs when --postgres-url (or SELFIEBOT_BENCH_POSTGRES_URL) is given; the benchmark
creates and drops its own database there.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.schema import CreateIndex  # noqa: E402

from storage import NewSubmission, Store, Window  # noqa: E402
from storage.schema import submissions as submissions_table  # noqa: E402
from storage.types import phash_to_db  # noqa: E402

NOW = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
SPAN = timedelta(days=90)
EMOTIONS = '{"happy": 0.6, "neutral": 0.3, "surprise": 0.1}'
QUALITY = '{"brightness": 0.52, "sharpness": 0.71, "face_ratio": 0.3}'
DERIVED_ROWS = (
    # What record_submission maintains row by row, rebuilt in bulk after the load.
    "INSERT INTO memberships (chat_id, user_id, first_seen_at, last_seen_at)"
    " SELECT chat_id, user_id, MIN(created_at), MAX(created_at) FROM submissions"
    " GROUP BY chat_id, user_id",
    "INSERT INTO standings (chat_id, user_id, best, best_at, photos, total, last_at)"
    " SELECT chat_id, user_id, best, (SELECT MIN(s.created_at) FROM submissions s"
    "   WHERE s.chat_id = g.chat_id AND s.user_id = g.user_id AND s.status = 'scored'"
    "   AND s.score = g.best), photos, total, last_at"
    " FROM (SELECT chat_id, user_id, MAX(score) AS best, COUNT(*) AS photos,"
    "   SUM(score) AS total, MAX(created_at) AS last_at FROM submissions"
    "   WHERE status = 'scored' AND score IS NOT NULL GROUP BY chat_id, user_id) AS g",
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--chats", type=int, default=100)
    parser.add_argument("--queries", type=int, default=200, help="Timed queries per kind.")
    parser.add_argument("--inserts", type=int, default=2_000, help="Timed inserts per mode.")
    parser.add_argument("--workdir", type=Path, default=ROOT / ".bench")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--postgres-url", default=os.environ.get("SELFIEBOT_BENCH_POSTGRES_URL"), help="Server."
    )
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    return parser.parse_args()


def dataset(args: argparse.Namespace) -> Iterator[tuple[Any, ...]]:
    """Submission rows (chat, user, update, status, created_at, score, phash) in time order."""
    rng = random.Random(args.seed)
    start = NOW - SPAN
    step = SPAN / args.submissions
    for n in range(args.submissions):
        status = "scored" if rng.random() < 0.95 else "no_face"
        score = round(min(100.0, max(0.0, rng.gauss(55, 15))), 2) if status == "scored" else None
        yield (
            rng.randrange(args.chats) + 1,
            rng.randrange(args.users) + 1,
            f"bulk-{n}",
            status,
            start + step * n,
            score,
            phash_to_db(rng.getrandbits(64)),
        )


# --- bulk loading ---------------------------------------------------------------------------

CHAT_COLUMNS = (
    "id",
    "platform",
    "platform_chat_id",
    "title",
    "is_private",
    "season_days",
    "language",
    "duels_enabled",
    "rate_limit_photos",
    "rate_limit_window_minutes",
    "auto_score",
    "created_at",
)
USER_COLUMNS = (
    "id",
    "platform",
    "platform_user_id",
    "display_name",
    "username",
    "username_key",
    "language",
    "created_at",
    "updated_at",
)
SUBMISSION_COLUMNS = (
    "chat_id",
    "user_id",
    "platform",
    "update_id",
    "status",
    "created_at",
    "phash",
    "popularity",
    "score",
    "emotions",
    "quality",
    "face_count",
    "model_version",
)


def bulk_rows(
    args: argparse.Namespace, when: Callable[[datetime], Any]
) -> Iterator[tuple[str, tuple[str, ...], Iterable[tuple[Any, ...]]]]:
    """(table, columns, rows) of the dataset in load order, the same for both databases;
    `when` writes a time the way the database's bulk path takes it."""
    created = when(NOW - SPAN - timedelta(days=1))
    yield (
        "chats",
        CHAT_COLUMNS,
        (
            (c, "bench", f"chat-{c}", f"Chat {c}", False, 7, "en", True, 1000, 1, True, created)
            for c in range(1, args.chats + 1)
        ),
    )
    yield (
        "users",
        USER_COLUMNS,
        (
            (u, "bench", f"user-{u}", f"User {u}", f"user{u}", f"user{u}", "en", created, created)
            for u in range(1, args.users + 1)
        ),
    )
    yield (
        "submissions",
        SUBMISSION_COLUMNS,
        (
            (
                chat,
                user,
                "bench",
                update,
                status,
                when(at),
                phash,
                0.5,
                score,
                EMOTIONS,
                QUALITY,
                1,
                "bench",
            )
            for chat, user, update, status, at, score, phash in dataset(args)
        ),
    )


def sqlite_time(at: datetime) -> str:
    """A time as SQLAlchemy stores it in SQLite: naive UTC text with microseconds."""
    return at.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def load_sqlite(path: Path, args: argparse.Namespace) -> None:
    """Fill the migrated file fast: plain sqlite3, one transaction, indexes built afterwards."""
    from sqlalchemy.dialects import sqlite as sqlite_dialect

    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    indexes = list(submissions_table.indexes)
    with db:
        for index in indexes:
            db.execute(f"DROP INDEX {index.name}")
        for table, columns, rows in bulk_rows(args, sqlite_time):
            marks = ", ".join("?" * len(columns))
            db.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
        dialect = sqlite_dialect.dialect()
        for index in indexes:
            db.execute(str(CreateIndex(index).compile(dialect=dialect)))
        for statement in DERIVED_ROWS:
            db.execute(statement)
    db.execute("ANALYZE")
    db.close()


async def load_postgres(url: str, args: argparse.Namespace) -> None:
    """COPY the same dataset into PostgreSQL."""
    import asyncpg

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        for table, columns, rows in bulk_rows(args, lambda at: at):
            await conn.copy_records_to_table(table, columns=list(columns), records=rows)
        for statement in DERIVED_ROWS:
            await conn.execute(statement)
        for table in ("chats", "users"):
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" (SELECT MAX(id) FROM {table}))"
            )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


# --- measuring ------------------------------------------------------------------------------


async def median_ms(runs: int, query: Callable[[int], Awaitable[object]]) -> float:
    for warm in range(3):
        await query(warm)
    timings = []
    for n in range(runs):
        started = time.perf_counter()
        await query(n)
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


async def measure_queries(store: Store, args: argparse.Namespace) -> dict[str, float]:
    rng = random.Random(args.seed + 1)
    picks = [(rng.randrange(args.chats) + 1, rng.randrange(args.users) + 1) for _ in range(1000)]
    week = Window.week_of(NOW)
    return {
        "leaderboard_all_time_median_ms": await median_ms(
            args.queries,
            lambda n: store.standings.leaderboard(
                picks[n][0], limit=10, viewer_user_id=picks[n][1]
            ),
        ),
        "leaderboard_week_median_ms": await median_ms(
            args.queries,
            lambda n: store.standings.leaderboard(
                picks[n][0], window=week, limit=10, viewer_user_id=picks[n][1]
            ),
        ),
        "user_stats_median_ms": await median_ms(
            args.queries, lambda n: store.standings.user_stats(picks[n][0], picks[n][1])
        ),
    }


async def measure_inserts(store: Store, args: argparse.Namespace) -> dict[str, float]:
    """Photos per second through the real record path, one writer and 50 at once."""
    rng = random.Random(args.seed + 2)
    run = uuid.uuid4().hex[:8]

    def new(n: int, mode: str) -> NewSubmission:
        return NewSubmission(
            chat_id=rng.randrange(args.chats) + 1,
            user_id=rng.randrange(args.users) + 1,
            platform="bench",
            update_id=f"{run}-{mode}-{n}",
            score=rng.uniform(0, 100),
            popularity=0.5,
            phash=rng.getrandbits(64),
            sha256="ab" * 32,
            emotions={"happy": 0.6, "neutral": 0.4},
            quality={"brightness": 0.5},
            face_count=1,
            model_version="bench",
        )

    started = time.perf_counter()
    for n in range(args.inserts):
        await store.submissions.record(new(n, "seq"))
    sequential = args.inserts / (time.perf_counter() - started)

    queue = list(range(args.inserts))

    async def writer() -> None:
        while queue:
            await store.submissions.record(new(queue.pop(), "par"))

    started = time.perf_counter()
    await asyncio.gather(*(writer() for _ in range(50)))
    concurrent = args.inserts / (time.perf_counter() - started)
    return {"inserts_per_s_1_writer": sequential, "inserts_per_s_50_writers": concurrent}


async def measure(
    url: str, load: Callable[[], Awaitable[None]], args: argparse.Namespace
) -> dict[str, float]:
    """Migrate the empty database, bulk-load it (timed apart), then time queries and inserts."""
    await (await Store.open(url)).close()
    started = time.perf_counter()
    await load()
    figures: dict[str, float] = {"load_s": time.perf_counter() - started}
    store = await Store.open(url)
    try:
        figures |= await measure_queries(store, args)
        figures |= await measure_inserts(store, args)
    finally:
        await store.close()
    return figures


async def bench_sqlite(args: argparse.Namespace) -> dict[str, float]:
    args.workdir.mkdir(parents=True, exist_ok=True)
    path = args.workdir / "bench_storage.db"
    for leftover in args.workdir.glob("bench_storage.db*"):
        leftover.unlink()

    async def load() -> None:
        load_sqlite(path, args)

    figures = await measure(f"sqlite+aiosqlite:///{path}", load, args)
    figures["file_mb"] = path.stat().st_size / 1e6
    for leftover in args.workdir.glob("bench_storage.db*"):
        leftover.unlink()
    return figures


async def bench_postgres(base_url: str, args: argparse.Namespace) -> dict[str, float]:
    import asyncpg

    base = make_url(base_url).set(drivername="postgresql+asyncpg")
    name = f"selfiebot_bench_{uuid.uuid4().hex[:8]}"
    admin_dsn = base.set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        return await measure(url, lambda: load_postgres(url, args), args)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def main() -> None:
    args = parse_args()
    print(
        f"dataset: {args.submissions:,} submissions, {args.users:,} users, {args.chats} chats",
        flush=True,
    )
    results: dict[str, dict[str, float]] = {"sqlite": await bench_sqlite(args)}
    if args.postgres_url:
        results["postgresql"] = await bench_postgres(args.postgres_url, args)
    for backend, figures in results.items():
        print(f"\n[{backend}]")
        for key, value in figures.items():
            print(f"  {key:34s} {value:10.2f}")
    sqlite_figures = results["sqlite"]
    verdicts = {
        "leaderboard <= 20 ms": sqlite_figures["leaderboard_all_time_median_ms"] <= 20
        and sqlite_figures["leaderboard_week_median_ms"] <= 20,
        "user stats <= 10 ms": sqlite_figures["user_stats_median_ms"] <= 10,
    }
    print(
        "\nSQLite targets: "
        + ", ".join(f"{k}: {'met' if v else 'MISSED'}" for k, v in verdicts.items())
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "args": {k: str(v) for k, v in vars(args).items() if k != "postgres_url"},
                    "results": results,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    asyncio.run(main())
