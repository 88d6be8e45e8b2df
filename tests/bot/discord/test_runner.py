"""`serve()` as `selfiebot run` calls it: log in, connect the gateway (a local websocket), run.

Events here travel the whole way a real deployment uses: the fake gateway pushes DISPATCH
frames over the websocket, discord.py's gateway reader parses them, and the bot answers
through the REST fake.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging

import discord
import pytest
from PIL import Image

from bot.core.replies import Announcement, Reply
from bot.discord.runner import MissingTokenError, build_client, serve
from bot.settings import Settings
from tests.fakes.discord.harness import ANN, TOKEN, ScriptedGame, discord_settings, fake_discord
from tests.fakes.discord.people import CHANNEL_ID, DiscordWorld, guild_payload, message_payload
from tests.fakes.discord.server import MESSAGE_CONTENT_INTENT, FakeDiscord

__all__ = ["fake_discord"]

# Only guards against a hang if the bot never answers; no test asserts on timing.
HANG_GUARD_SECONDS = 60


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (90, 140, 200)).save(buffer, "PNG")
    return buffer.getvalue()


async def _until(condition: asyncio.Event) -> None:
    await asyncio.wait_for(condition.wait(), HANG_GUARD_SECONDS)


async def _answered(fake: FakeDiscord, count: int) -> None:
    async def poll() -> None:
        while len(fake.visible()) < count:
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), HANG_GUARD_SECONDS)


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_serve_posts_announcements_and_scores_an_upload_from_the_gateway(
    fake_discord: FakeDiscord,
) -> None:
    game = ScriptedGame(script=lambda event: [Reply("scored!", tag="s")])
    game.auto_channels.add(str(CHANNEL_ID))
    game.announcements = [Announcement("discord", str(CHANNEL_ID), Reply("Season over!"))]
    fake_discord.guild_create = guild_payload()
    task = asyncio.create_task(serve(game, discord_settings()))  # type: ignore[arg-type]
    try:
        await _until(fake_discord.ready)
        world = DiscordWorld(fake_discord)
        photo = _png()
        upload = world.attachment_json("me.png", photo, "image/png")
        await fake_discord.dispatch_event(
            "MESSAGE_CREATE", message_payload(world.next_id(), ANN, [upload])
        )
        await _answered(fake_discord, 2)
    finally:
        await _stop(task)
    (identify,) = fake_discord.identifies
    assert identify["token"] == TOKEN
    assert identify["intents"] & MESSAGE_CONTENT_INTENT
    assert game.events[0].photo == photo  # type: ignore[union-attr]
    assert sorted(m.text for m in fake_discord.visible()) == ["Season over!", "scored!"]
    assert fake_discord.synced_commands["global"]


async def test_serve_runs_without_message_content_when_the_portal_refuses_it(
    fake_discord: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="bot.discord")
    fake_discord.refuse_message_content = True
    game = ScriptedGame()
    task = asyncio.create_task(serve(game, discord_settings()))  # type: ignore[arg-type]
    try:
        await _until(fake_discord.ready)
    finally:
        await _stop(task)
    first, second = fake_discord.identifies
    assert first["intents"] & MESSAGE_CONTENT_INTENT
    assert not second["intents"] & MESSAGE_CONTENT_INTENT
    assert "Privileged Gateway Intents" in caplog.text


async def test_serve_needs_a_token() -> None:
    with pytest.raises(MissingTokenError):
        await serve(ScriptedGame(), Settings(_env_file=None))  # type: ignore[arg-type]


def test_build_client_runs_the_configured_shards() -> None:
    """Never logged in, so there is nothing to close (discord.py sets shards up in `login`)."""
    settings = discord_settings(discord_shard_count=4, discord_shard_ids=[0, 1])
    client = build_client(ScriptedGame(), settings)  # type: ignore[arg-type]
    assert isinstance(client, discord.AutoShardedClient)
    assert (client.shard_count, client.shard_ids) == (4, [0, 1])


def test_the_token_comes_from_the_environment_or_dotenv(monkeypatch: pytest.MonkeyPatch) -> None:
    """conftest runs each test in its own empty directory, so `.env` here is this test's."""
    with open(".env", "w", encoding="utf-8") as dotenv:
        dotenv.write("DISCORD_BOT_TOKEN=from-dotenv.token\n")
    from_file = Settings()
    monkeypatch.setenv("DISCORD_BOT_TOKEN", "from-env.token")
    from_env = Settings()
    assert from_file.discord_bot_token is not None and from_env.discord_bot_token is not None
    assert from_file.discord_bot_token.get_secret_value() == "from-dotenv.token"
    assert from_env.discord_bot_token.get_secret_value() == "from-env.token"
    assert "from-env.token" not in repr(from_env), "a SecretStr never prints itself"
