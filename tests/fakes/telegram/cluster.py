"""Several real `selfiebot run` processes behind one webhook URL, on one database, against the
fake Bot API: what an operator runs behind a load balancer, for the exactly-once tests and the
redelivery benchmark.

Each process is the product as shipped (`selfiebot run` with the Telegram webhook configured,
the real game and models); updates are POSTed to the processes' webhook ports directly, the
way a load balancer spreads Telegram's deliveries. The processes run the code of `source`: this
checkout by default, another one for the benchmark's "before" figure.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.fakes.telegram.server import FakeBotApi
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[3]
SECRET = "cluster-webhook-secret"
HOOK_PATH = "/telegram/hook"


def accepting(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class BotProcess:
    """One `selfiebot run`; its log is kept for the failure message."""

    process: subprocess.Popen[bytes]
    hook_port: int
    log: Path

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class Cluster:
    """`count` bot processes sharing `database_url`, all pointed at `api`."""

    api: FakeBotApi
    database_url: str
    workdir: Path
    count: int = 2
    env: dict[str, str] = field(default_factory=dict)
    source: Path = ROOT
    processes: list[BotProcess] = field(default_factory=list)

    def _environment(self, hook_port: int) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("SELFIEBOT_", "TELEGRAM_", "DISCORD_"))
        }
        env.update(
            {
                "TELEGRAM_BOT_TOKEN": self.api.token,
                "TELEGRAM_API_BASE_URL": self.api.base_url,
                "SELFIEBOT_TELEGRAM_WEBHOOK_URL": f"https://bot.example.org{HOOK_PATH}",
                "SELFIEBOT_TELEGRAM_WEBHOOK_SECRET": SECRET,
                "SELFIEBOT_TELEGRAM_WEBHOOK_LISTEN": "127.0.0.1",
                "SELFIEBOT_TELEGRAM_WEBHOOK_PORT": str(hook_port),
                "SELFIEBOT_WEB_PORT": str(free_port()),
                "SELFIEBOT_DATABASE_URL": self.database_url,
                "SELFIEBOT_DATA_DIR": str(self.workdir / "data"),
                "SELFIEBOT_CACHE_DIR": str(self.workdir / "cache"),
                "SELFIEBOT_INFERENCE_WORKERS": "1",
                "SELFIEBOT_STREAK_REMINDERS": "false",
                "SELFIEBOT_TELEGRAM_ANNOUNCE_INTERVAL_SECONDS": "3600",
            }
        )
        model = os.environ.get("SELFIEBOT_POPULARITY_MODEL")
        if model:
            env["SELFIEBOT_POPULARITY_MODEL"] = model
        env["PYTHONPATH"] = str(self.source)
        env.update(self.env)
        return env

    def start_one(self) -> BotProcess:
        """Start a process and wait until its webhook accepts connections."""
        hook_port = free_port()
        log = self.workdir / f"bot-{len(self.processes)}.log"
        process = subprocess.Popen(
            [sys.executable, "-c", "from bot.cli import app; app()", "run"],
            env=self._environment(hook_port),
            cwd=self.workdir,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        bot = BotProcess(process, hook_port, log)
        self.processes.append(bot)
        deadline = time.monotonic() + 180
        while not accepting(hook_port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"bot process did not start:\n{bot.tail()}")
            time.sleep(0.1)
        return bot

    def start(self) -> Cluster:
        """One after the other: the first converts the model and migrates the database."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        for _ in range(self.count):
            self.start_one()
        return self

    def kill(self, index: int) -> None:
        """kill -9: no shutdown, no cleanup, as when a machine dies."""
        process = self.processes[index].process
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def stop(self) -> None:
        for bot in self.processes:
            if bot.process.poll() is None:
                bot.process.send_signal(signal.SIGTERM)
        for bot in self.processes:
            try:
                bot.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                bot.process.kill()
                bot.process.wait(timeout=10)

    def live(self) -> list[int]:
        return [i for i, bot in enumerate(self.processes) if bot.process.poll() is None]

    async def post(self, client: httpx.AsyncClient, index: int, update: dict[str, Any]) -> int:
        """Deliver `update` to process `index` as Telegram would; the HTTP status."""
        response = await client.post(
            f"http://127.0.0.1:{self.processes[index].hook_port}{HOOK_PATH}",
            content=json.dumps(update),
            headers={
                "Content-Type": "application/json",
                "X-Telegram-Bot-Api-Secret-Token": SECRET,
            },
            timeout=30,
        )
        return response.status_code

    async def deliver_copies(
        self, updates: Iterable[dict[str, Any]], copies: int, rng: random.Random
    ) -> None:
        """Every update `copies` times, all at once, each copy to a random live process."""
        targets = self.live()
        async with httpx.AsyncClient() as client:
            await asyncio.gather(
                *(
                    self.post(client, rng.choice(targets), update)
                    for update in updates
                    for _ in range(copies)
                )
            )


def message_of(update: dict[str, Any]) -> tuple[int, int]:
    """(chat id, message id) of the message an update carries."""
    message = update["message"]
    return message["chat"]["id"], message["message_id"]


def answers_per_update(api: FakeBotApi, updates: Iterable[dict[str, Any]]) -> dict[int, int]:
    """How many replies the bot posted to each update's message (a reply quotes it once)."""
    quoted: Counter[tuple[int, int]] = Counter()
    for call in api.sent():
        reply = call.params.get("reply_parameters") or {}
        if "message_id" in reply:
            quoted[(int(call.params["chat_id"]), int(reply["message_id"]))] += 1
    return {update["update_id"]: quoted[message_of(update)] for update in updates}


async def settle(
    api: FakeBotApi,
    updates: list[dict[str, Any]],
    *,
    timeout: float,
    quiet: float = 3.0,
    stall: float | None = None,
) -> dict[int, int]:
    """Wait until every update got an answer and nothing new was sent for `quiet` seconds, or
    (with `stall`) until nothing was sent for `stall` seconds though some are still unanswered."""
    deadline = time.monotonic() + timeout
    last_count, last_change = -1, time.monotonic()
    while time.monotonic() < deadline:
        answers = answers_per_update(api, updates)
        count = len(api.sent())
        if count != last_count:
            last_count, last_change = count, time.monotonic()
        if all(answers.values()) and time.monotonic() - last_change >= quiet:
            return answers
        if stall is not None and time.monotonic() - last_change >= stall:
            return answers
        await asyncio.sleep(0.1)
    return answers_per_update(api, updates)
