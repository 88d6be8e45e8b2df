"""runner: build the Discord client, log in, run the gateway until cancelled."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import discord

from bot.discord.adapter import SelfieBotClient, default_intents
from bot.logs import register_secret

if TYPE_CHECKING:
    from bot.core.game import Game
    from bot.settings import Settings

log = logging.getLogger(__name__)


class MissingTokenError(RuntimeError):
    """`serve` was called without DISCORD_BOT_TOKEN."""


def build_client(
    game: Game,
    settings: Settings,
    *,
    on_ready: Callable[[], None] | None = None,
    **options: Any,
) -> SelfieBotClient:
    """The configured client, not yet connected (tests log it in against a local fake)."""
    if settings.discord_bot_token is not None:
        register_secret(settings.discord_bot_token.get_secret_value())
    if settings.discord_shard_count is not None:
        options.setdefault("shard_count", settings.discord_shard_count)
        if settings.discord_shard_ids is not None:
            options.setdefault("shard_ids", settings.discord_shard_ids)
    client = SelfieBotClient(game, settings, **options)
    client.on_ready_callback = on_ready
    return client


async def serve(game: Game, settings: Settings, ready: Callable[[], None] | None = None) -> None:
    """Run the bot until cancelled; the gateway reconnects on its own after network errors.

    `ready()` is called once the gateway session is up (for `/healthz`).

    If the Message Content intent is not enabled in the Developer Portal, Discord refuses the
    connection; the bot then runs without it (slash commands, buttons and reactions work,
    auto-scoring of channel uploads does not) and says how to turn it on.
    """
    if settings.discord_bot_token is None:
        raise MissingTokenError("DISCORD_BOT_TOKEN is not set")
    token = settings.discord_bot_token.get_secret_value()
    try:
        await _run(build_client(game, settings, on_ready=ready), token)
    except discord.PrivilegedIntentsRequired:
        log.error(
            "Discord refused the Message Content intent: enable it in the Developer Portal "
            "(your application > Bot > Privileged Gateway Intents). Running without it: "
            "photos posted in auto-scoring channels are not seen, slash commands work."
        )
        intents = default_intents()
        intents.message_content = False
        await _run(build_client(game, settings, intents=intents, on_ready=ready), token)


async def _run(client: SelfieBotClient, token: str) -> None:
    try:
        await client.start(token, reconnect=True)
    finally:
        if not client.is_closed():
            await client.close()
