"""runner: build and run the Telegram bot; long polling, or a webhook server when configured.

`serve` manages the PTB lifecycle by hand (initialize, start, stop, shutdown) instead of
`Application.run_polling`, which would take over the event loop that the CLI shares with the
Discord bot and the web page.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from telegram import Bot, BotCommand, BotCommandScopeAllChatAdministrators, Update
from telegram.constants import BotCommandLimit
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, TypeHandler

from bot.core.commands import COMMANDS, CommandSpec
from bot.core.i18n import DEFAULT_LANGUAGE, LANGUAGES, Translator
from bot.core.poller import AnnouncementPoller
from bot.logs import redact, register_secret
from bot.settings import Settings
from bot.telegram.adapter import TelegramAdapter, download_limit
from bot.telegram.network import NetworkHealth, ResilientRateLimiter
from bot.telegram.translate import PLATFORM
from bot.telegram.webhook import WebhookServer

if TYPE_CHECKING:
    from bot.core.game import Game

log = logging.getLogger(__name__)

ALLOWED_UPDATES = (
    Update.MESSAGE,
    Update.CALLBACK_QUERY,
    Update.MESSAGE_REACTION,
    Update.MESSAGE_REACTION_COUNT,
)
"""Reactions (named, and anonymous totals) are delivered only when asked for explicitly, and
in groups only to an admin bot; edits and channel posts are not game input."""

COMMAND_MENU_RETRY_SECONDS = (30.0, 3600.0)
"""First and longest wait between attempts to register the command menu."""
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def bot_token(settings: Settings) -> str:
    if settings.telegram_bot_token is None or not settings.telegram_bot_token.get_secret_value():
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    return settings.telegram_bot_token.get_secret_value()


def webhook_secret(settings: Settings) -> str:
    """The secret Telegram must send with every webhook request.

    Without a configured one it is derived from the bot token, so every process behind a load
    balancer agrees on it without extra configuration, and it reveals nothing about the token.
    """
    configured = settings.telegram_webhook_secret
    if configured is not None and configured.get_secret_value():
        secret = configured.get_secret_value()
        if not _SECRET_TOKEN.match(secret):
            raise ValueError(
                "SELFIEBOT_TELEGRAM_WEBHOOK_SECRET may hold only A-Z, a-z, 0-9, _ and - "
                "(1 to 256 characters)"
            )
        return secret
    digest = hashlib.sha256(b"selfiebot-webhook:" + bot_token(settings).encode()).hexdigest()
    return digest


def build_application(game: Game, settings: Settings) -> Application:
    """The PTB Application wired to `game`: handlers, rate limiter, announcement poller
    (`bot_data["announcer"]`, started and stopped by `running`)."""
    token = bot_token(settings)
    register_secret(token)
    if settings.telegram_webhook_url:
        register_secret(webhook_secret(settings))
    base = settings.telegram_api_base_url.rstrip("/")
    health = NetworkHealth()
    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{base}/bot")
        .base_file_url(f"{base}/file/bot")
        .rate_limiter(ResilientRateLimiter(health))
        .concurrent_updates(settings.telegram_concurrent_updates)
        .build()
    )
    adapter = TelegramAdapter(
        game,
        health=health,
        max_download_bytes=download_limit(settings.max_upload_bytes, base),
    )
    application.add_handler(TypeHandler(Update, adapter.on_update))
    application.add_error_handler(adapter.on_error)
    every = settings.telegram_announce_interval_seconds
    application.bot_data["announcer"] = AnnouncementPoller(
        game, PLATFORM, partial(adapter.announce, application.bot), every=every, first=every
    )
    application.bot_data["health"] = health
    return application


def command_menu(admin: bool, language: str | None = None) -> list[BotCommand]:
    """The `/` menu in one language: everyone's commands, plus admin ones for administrators."""
    t = Translator(language)
    return [
        BotCommand(spec.name, _menu_description(t, spec))
        for spec in COMMANDS
        if admin or not spec.admin
    ]


def _menu_description(t: Translator, spec: CommandSpec) -> str:
    return t(spec.description_key)[: BotCommandLimit.MAX_DESCRIPTION]


async def register_commands(bot: Bot) -> None:
    """Publish the command menu in every language the game speaks.

    Telegram shows each person the menu for their app's language (`language_code`) and the one
    registered without a language to everyone else: that one is English. Admins get a longer
    menu through their own scope, in every language too.
    """
    admins = BotCommandScopeAllChatAdministrators()
    for language in LANGUAGES:
        code = None if language.code == DEFAULT_LANGUAGE else language.telegram
        await bot.set_my_commands(command_menu(False, language.code), language_code=code)
        await bot.set_my_commands(
            command_menu(True, language.code), scope=admins, language_code=code
        )


async def register_commands_soon(bot: Bot) -> None:
    """Register the command menu, retrying with back-off until Telegram takes it.

    The menu is a convenience: Telegram being slow, down, or refusing one description must not
    keep the bot from answering, so a failure is logged and tried again later.
    """
    delay, longest = COMMAND_MENU_RETRY_SECONDS
    while True:
        try:
            await register_commands(bot)
        except TelegramError as exc:
            log.warning("Command menu not registered (%s); retrying in %.0f s", exc, delay)
        else:
            return
        await asyncio.sleep(delay)
        delay = min(delay * 2, longest)


@asynccontextmanager
async def running(
    application: Application, settings: Settings, ready: Callable[[], None] | None = None
) -> AsyncIterator[None]:
    """The application receiving updates (polling or webhook) for the duration of the block.

    Webhook mode serves our own endpoint (`bot.telegram.webhook`: malformed requests get 400
    rather than PTB's 500) and registers it with Telegram; polling uses PTB's updater.

    Stops whatever did start even when cancelled half-way through start-up, so shutdown never
    finds a running updater.
    """
    health: NetworkHealth = application.bot_data["health"]
    announcer: AnnouncementPoller = application.bot_data["announcer"]
    updater = application.updater
    if updater is None:
        raise RuntimeError("the Application was built without an Updater")
    webhook: WebhookServer | None = None
    menu: asyncio.Task[None] | None = None
    async with application:
        try:
            menu = asyncio.create_task(register_commands_soon(application.bot))
            if settings.telegram_webhook_url:
                webhook = WebhookServer(
                    settings.telegram_webhook_listen,
                    settings.telegram_webhook_port,
                    urlsplit(settings.telegram_webhook_url).path,
                    bot=application.bot,
                    queue=application.update_queue,
                    secret=webhook_secret(settings),
                )
                await webhook.start()
                await application.bot.set_webhook(
                    url=settings.telegram_webhook_url,
                    secret_token=webhook_secret(settings),
                    allowed_updates=list(ALLOWED_UPDATES),
                )
                mode = "webhook"
            else:
                await updater.start_polling(
                    allowed_updates=list(ALLOWED_UPDATES), error_callback=health.polling_error
                )
                mode = "long polling"
            await application.start()
            announcer.start()
            log.info("Telegram bot @%s receiving updates by %s", application.bot.username, mode)
            if ready is not None:
                ready()
            yield
        finally:
            await announcer.stop()
            if menu is not None:
                menu.cancel()
                with contextlib.suppress(asyncio.CancelledError, TelegramError):
                    await menu
            if webhook is not None:
                await webhook.stop()
            if updater.running:
                await updater.stop()
            if application.running:
                await application.stop()


class TelegramBotError(RuntimeError):
    """The bot stopped on an error; the message is redacted, details are in the log."""


async def serve(game: Game, settings: Settings, ready: Callable[[], None] | None = None) -> None:
    """Run the Telegram bot until cancelled; `ready()` once it receives updates.

    A failure is logged with its (redacted) traceback and re-raised as a `TelegramBotError`
    without the original chain: tracebacks that print frame locals (rich, pytest) would
    otherwise show PTB objects whose repr contains the token.
    """
    try:
        await _run(game, settings, ready)
    except Exception as exc:
        log.exception("Telegram bot stopped")
        message = redact(f"{type(exc).__name__}: {exc}")
    else:
        return
    raise TelegramBotError(message) from None


async def _run(game: Game, settings: Settings, ready: Callable[[], None] | None) -> None:
    application = build_application(game, settings)
    async with running(application, settings, ready):
        await asyncio.Event().wait()
