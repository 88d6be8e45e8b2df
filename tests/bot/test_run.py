"""`selfiebot run` / `selfiebot web`: what starts, what is logged, and how it stops.

The in-process tests replace the chat runners with fakes through `sys.modules` (the real ones
would contact Telegram/Discord); the subprocess tests run the real command line.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import types
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot import serve
from bot.settings import Settings
from tests.bot.web.support import web_settings
from tests.conftest import SEED_MODEL, needs_shared
from tests.paths import REPO_ROOT
from tests.ports import free_port

ROOT = REPO_ROOT
SELFIEBOT = [str(Path(sys.executable).with_name("selfiebot"))]
TOKEN = "123456:SECRET-TOKEN-VALUE"


def command_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a child `selfiebot`: temp dirs, no bot tokens, no `.env` nearby."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SELFIEBOT_", "TELEGRAM_", "DISCORD_"))
    }
    env.update(
        SELFIEBOT_DATA_DIR=str(tmp_path / "data"),
        SELFIEBOT_CACHE_DIR=str(tmp_path / "cache"),
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def run_selfiebot(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the real `selfiebot` to completion in `tmp_path`, capturing its output."""
    return subprocess.run(
        [*SELFIEBOT, *args],
        env=command_env(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def wait_until_up(url: str, process: subprocess.Popen | None = None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the server exited early with {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer within {timeout} s")


# --- the command line ---------------------------------------------------------------------


def test_run_without_a_model_says_how_to_fix_it(tmp_path: Path) -> None:
    result = run_selfiebot(tmp_path, "run", "--port", str(free_port()))
    assert result.returncode == 1
    message = result.stderr.strip().splitlines()
    assert len(message) == 1, result.stderr
    assert "selfiebot models fetch" in message[0]
    assert "Traceback" not in result.stderr


def test_busy_port_is_one_clear_sentence(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_selfiebot(tmp_path, "web", "--port", str(port))
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "SELFIEBOT_WEB_PORT" in result.stderr
    assert "Traceback" not in result.stderr


@needs_shared
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "ctrl-c"])
def test_web_serves_then_stops_gracefully(tmp_path: Path, stop: signal.Signals) -> None:
    port = free_port()
    process = subprocess.Popen(
        [*SELFIEBOT, "web", "--port", str(port)],
        env=command_env(
            tmp_path, SELFIEBOT_POPULARITY_MODEL=str(SEED_MODEL), TELEGRAM_BOT_TOKEN=TOKEN
        ),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz", process)
        assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 200
        process.send_signal(stop)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, output
    assert f"Started: web page at http://127.0.0.1:{port}" in output
    assert "Telegram" not in output, "`selfiebot web` never starts the bots"
    assert f"Received {stop.name}: shutting down" in output
    assert output.rstrip().endswith("Stopped")
    assert "SECRET" not in output


# --- the orchestration, in process --------------------------------------------------------


class FakeRunner:
    """Stands in for `bot.<platform>.runner`; records what `serve` was given."""

    def __init__(self, *, fail: bool = False) -> None:
        self.fail = fail
        self.calls: list[tuple[object, Settings]] = []
        self.cancelled = False

    def module(self) -> types.ModuleType:
        module = types.ModuleType("fake_runner")
        module.serve = self.serve  # type: ignore[attr-defined]
        return module

    async def serve(self, game: object, settings: Settings) -> None:
        self.calls.append((game, settings))
        if self.fail:
            await asyncio.sleep(0.2)
            raise RuntimeError("boom")
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise


@pytest.fixture
def runners(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, FakeRunner]]:
    fakes = {"telegram": FakeRunner(), "discord": FakeRunner()}
    for name, fake in fakes.items():
        monkeypatch.setitem(sys.modules, f"bot.{name}.runner", fake.module())
    yield fakes


async def _wait_for(url: str, timeout: float = 60) -> None:
    async with httpx.AsyncClient() as http:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if (await http.get(url)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"{url} did not answer")


@needs_shared
async def test_run_starts_configured_bots_with_the_shared_game(
    tmp_path: Path, runners: dict[str, FakeRunner], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    settings = web_settings(tmp_path, web_port=free_port(), telegram_bot_token=TOKEN)
    service = asyncio.create_task(serve.serve(settings))
    await _wait_for(f"http://127.0.0.1:{settings.web_port}/healthz")
    assert len(runners["telegram"].calls) == 1
    game, given = runners["telegram"].calls[0]
    assert given is settings and type(game).__name__ == "Game"
    assert runners["discord"].calls == [], "no Discord token, no Discord bot"
    os.kill(os.getpid(), signal.SIGTERM)
    assert await asyncio.wait_for(service, 30) == 0
    assert runners["telegram"].cancelled
    logs = caplog.text
    assert f"Started: web page at http://127.0.0.1:{settings.web_port}, Telegram bot" in logs
    assert "Discord bot: not started (no token configured)" in logs
    assert "SECRET" not in logs


@needs_shared
async def test_a_failing_bot_is_retried_while_the_page_keeps_serving(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    runners: dict[str, FakeRunner],
    caplog: pytest.LogCaptureFixture,
) -> None:
    failing = FakeRunner(fail=True)
    monkeypatch.setitem(sys.modules, "bot.discord.runner", failing.module())
    monkeypatch.setattr(serve, "RETRY_FIRST_SECONDS", 0.1)
    settings = web_settings(
        tmp_path,
        web_port=free_port(),
        discord_bot_token=TOKEN,
        telegram_bot_token=TOKEN,
        platform_retry_max_seconds=1,
    )
    service = asyncio.create_task(serve.serve(settings))
    base = f"http://127.0.0.1:{settings.web_port}"
    await _wait_for(f"{base}/healthz")
    while len(failing.calls) < 3:
        await asyncio.sleep(0.05)
    async with httpx.AsyncClient() as http:
        health = (await http.get(f"{base}/healthz")).json()
        page = await http.get(f"{base}/")
        ready = await http.get(f"{base}/readyz")
    assert page.status_code == 200 and ready.status_code == 200
    assert health["status"] == "ok" and health["parts"]["web"]["state"] == "running"
    discord = health["parts"]["discord"]
    assert discord["state"] in ("retrying", "starting") and discord["failures"] >= 2
    assert health["parts"]["telegram"]["state"] == "starting", "the fake never says ready"
    assert not service.done(), "one platform's failure does not stop the service"
    os.kill(os.getpid(), signal.SIGTERM)
    assert await asyncio.wait_for(service, 30) == 0
    assert runners["telegram"].cancelled
    assert "Discord bot failed: boom; the rest keeps serving, retrying in" in caplog.text
    assert "SECRET" not in caplog.text


def test_a_configured_bot_without_its_adapter_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "bot.telegram.runner", None)
    settings = web_settings(tmp_path, telegram_bot_token=TOKEN)
    assert serve.load_bot_runners(settings) == {}
    assert "Telegram bot: a token is configured but this install has no" in caplog.text
    assert "SECRET" not in caplog.text


def test_blank_tokens_count_as_not_configured(tmp_path: Path) -> None:
    settings = web_settings(tmp_path, telegram_bot_token=" ", discord_bot_token=None)
    assert not any(spec.configured(settings) for spec in serve.BOTS)


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:8000"),
        ("0.0.0.0", "http://127.0.0.1:8000"),
        ("::", "http://[::1]:8000"),
        ("example.org", "http://example.org:8000"),
    ],
)
def test_page_url(host: str, url: str) -> None:
    assert serve.page_url(host, 8000) == url
