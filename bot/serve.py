"""`selfiebot run` and `selfiebot web`: one process, one Game, the page and the configured bots.

Everything shares one `Game` (one analyzer, one database pool), so the web page, Telegram and
Discord play the same game. The page always starts; a bot starts only when its token is set.
Signals are handled here rather than by uvicorn, so Ctrl-C or SIGTERM stops every component
in order (stop accepting, finish what is running, close the game) instead of only the page.

One platform's outage must not stop the product: a bot that fails (its platform unreachable at
start, a token refused, a crash) is logged and started again with exponential back-off (up to
`SELFIEBOT_PLATFORM_RETRY_MAX_SECONDS`) while the page and the other bot keep serving; each
part's state is in `bot.health` (shown by `/healthz`). Only the web page stopping on its own
stops everything (exit code 1), so a supervisor restarts the service.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import inspect
import logging
import signal
import socket
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import typer

from bot import logs
from bot.health import Health, PartState
from bot.memory import limit_malloc_arenas
from bot.settings import Settings, get_settings

if TYPE_CHECKING:
    import uvicorn
    from starlette.types import ASGIApp

    from bot.core.game import Game

log = logging.getLogger("selfiebot.serve")

SHUTDOWN_GRACE_SECONDS = 10.0
RETRY_FIRST_SECONDS = 1.0
STABLE_AFTER_SECONDS = 60.0
"""A bot that ran this long before failing starts its back-off again from the first delay."""
WEB = "web"


class StartupError(Exception):
    """A reason the service cannot start, as one sentence for the person who started it."""


@dataclass(frozen=True)
class BotSpec:
    """A chat adapter: started when its `token_setting` is set, from `module`'s `serve`;
    `part` is its name in `/healthz`."""

    name: str
    module: str
    token_setting: str
    part: str

    def configured(self, settings: Settings) -> bool:
        token = getattr(settings, self.token_setting)
        return token is not None and bool(token.get_secret_value().strip())


BOTS: tuple[BotSpec, ...] = (
    BotSpec("Telegram bot", "bot.telegram.runner", "telegram_bot_token", "telegram"),
    BotSpec("Discord bot", "bot.discord.runner", "discord_bot_token", "discord"),
)

Runner = Callable[..., Awaitable[None]]
"""`serve(game, settings)`; a runner that also takes `ready` calls it once it receives updates."""


def _web_server(app: ASGIApp) -> uvicorn.Server:
    """uvicorn without its own signal handlers: this module owns shutdown for all components.

    uvicorn is imported here so `selfiebot --help` does not pay for it.
    """
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    return Server(
        uvicorn.Config(
            app,
            log_config=None,
            access_log=False,
            lifespan="on",
            server_header=False,
            timeout_graceful_shutdown=int(SHUTDOWN_GRACE_SECONDS),
        )
    )


def bind_socket(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything is announced.

    uvicorn exits the whole process (`sys.exit`) when it cannot bind; binding here turns a
    busy port into a clear message instead.
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as error:
        raise StartupError(
            f"The web page cannot listen on {host}:{port} ({error.strerror or error}); "
            "set SELFIEBOT_WEB_PORT to a free port."
        ) from error
    sock.set_inheritable(True)
    return sock


def page_url(host: str, port: int) -> str:
    """The address to open in a browser (a wildcard bind is reachable on localhost)."""
    shown = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}.get(host, host)
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def load_bot_runners(settings: Settings) -> dict[BotSpec, Runner]:
    """The `serve` of each bot whose token is set; a configured bot with no adapter is skipped.

    Imported only when configured, so a page-only run never loads the chat libraries.
    """
    runners: dict[BotSpec, Runner] = {}
    for spec in BOTS:
        if not spec.configured(settings):
            log.info("%s: not started (no token configured)", spec.name)
            continue
        try:
            module = importlib.import_module(spec.module)
        except ModuleNotFoundError as error:
            if error.name is None or not spec.module.startswith(error.name):
                raise
            log.warning(
                "%s: a token is configured but this install has no %s module; not started",
                spec.name,
                spec.module,
            )
            continue
        runners[spec] = module.serve
    return runners


def register_secrets(settings: Settings) -> None:
    """Mask the configured tokens in every log line from the start, whichever part logs them."""
    for secret in (
        settings.telegram_bot_token,
        settings.discord_bot_token,
        settings.telegram_webhook_secret,
    ):
        if secret is not None:
            logs.register_secret(secret.get_secret_value().strip())


async def keep_running(
    spec: BotSpec, run: Runner, game: Game, settings: Settings, health: Health
) -> None:
    """Run one bot until cancelled, starting it again after every failure with back-off.

    The platform may be down, or refuse the token until someone fixes it: either way the rest
    of the service goes on, and the bot comes back on its own once the platform answers.
    """
    loop = asyncio.get_running_loop()
    delay = RETRY_FIRST_SECONDS
    accepts_ready = "ready" in inspect.signature(run).parameters
    while True:
        health.set(spec.part, PartState.STARTING)
        started = loop.time()

        def ready() -> None:
            health.set(spec.part, PartState.RUNNING)

        try:
            if accepts_ready:
                await run(game, settings, ready=ready)
            else:
                await run(game, settings)
            reason = "stopped on its own"
        except asyncio.CancelledError:
            health.set(spec.part, PartState.STOPPED)
            raise
        except Exception as error:
            reason = str(error) or type(error).__name__
            # The runners log their own (redacted) tracebacks; this copy is for debugging.
            log.debug("%s traceback", spec.name, exc_info=error)
        if loop.time() - started >= STABLE_AFTER_SECONDS:
            delay = RETRY_FIRST_SECONDS
        health.set(spec.part, PartState.RETRYING, reason)
        log.error(
            "%s failed: %s; the rest keeps serving, retrying in %.0f s", spec.name, reason, delay
        )
        await asyncio.sleep(delay)
        delay = min(delay * 2, settings.platform_retry_max_seconds)


async def open_game(settings: Settings) -> Game:
    """The shared Game; a missing popularity model becomes the model registry's one sentence."""
    from bot.core.game import Game
    from models.registry import ModelMissingError

    try:
        return await Game.open(settings)
    except ModelMissingError as error:
        raise StartupError(str(error)) from error


async def serve(settings: Settings, *, bots: bool = True) -> int:
    """Run the page (and the configured bots when `bots`) until a signal; the exit code."""
    from bot.web.app import create_app

    register_secrets(settings)
    sock = bind_socket(settings.web_host, settings.web_port)
    try:
        game = await open_game(settings)
    except BaseException:
        sock.close()
        raise
    try:
        runners = load_bot_runners(settings) if bots else {}
        app = create_app(settings, game=game)
        health = Health()
        app.state.health = health
        server = _web_server(app)
        return await _supervise(server, sock, runners, game, settings, health)
    finally:
        sock.close()
        await game.close()


async def _supervise(
    server: uvicorn.Server,
    sock: socket.socket,
    runners: dict[BotSpec, Runner],
    game: Game,
    settings: Settings,
    health: Health,
) -> int:
    """Start every component, wait for a signal or the page to stop, then stop them all."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    received: list[str] = []

    def on_signal(sig: signal.Signals) -> None:
        if stop.is_set():
            log.warning("Second %s: stopping now", sig.name)
            server.force_exit = True
        received.append(sig.name)
        stop.set()

    handled = (signal.SIGINT, signal.SIGTERM)
    for sig in handled:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, on_signal, sig)
    health.set(WEB, PartState.STARTING)
    web = asyncio.create_task(server.serve(sockets=[sock]), name="Web page")
    tasks = {web: "Web page"}
    for spec, run in runners.items():
        bot = keep_running(spec, run, game, settings, health)
        tasks[asyncio.create_task(bot, name=spec.name)] = spec.name
    while not server.started and not web.done() and not stop.is_set():
        await asyncio.sleep(0.02)
    if server.started:
        health.set(WEB, PartState.RUNNING)
        log.info(
            "Started: web page at %s%s",
            page_url(settings.web_host, settings.web_port),
            "".join(f", {spec.name}" for spec in runners),
        )
    stopper = asyncio.create_task(stop.wait())
    try:
        done, _ = await asyncio.wait({*tasks, stopper}, return_when=asyncio.FIRST_COMPLETED)
        failed = [task for task in tasks if task in done]
        for task in failed:
            _log_stopped(tasks[task], task)
        if received:
            log.info("Received %s: shutting down", received[0])
        await _shutdown(server, tasks, reported=set(failed))
        return 1 if failed else 0
    finally:
        stopper.cancel()
        for sig in handled:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)


def _log_stopped(name: str, task: asyncio.Task[None]) -> None:
    if task.cancelled():
        log.error("%s was cancelled unexpectedly; stopping everything", name)
    elif (error := task.exception()) is not None:
        log.error("%s failed: %s; stopping everything", name, error)
        log.debug("%s traceback", name, exc_info=error)
    else:
        log.error("%s stopped on its own; stopping everything", name)


async def _shutdown(
    server: uvicorn.Server,
    tasks: dict[asyncio.Task[None], str],
    *,
    reported: set[asyncio.Task[None]],
) -> None:
    """Let the page finish its requests, cancel the bots, and wait for all of them to end."""
    server.should_exit = True
    for task, name in tasks.items():
        if name != "Web page" and not task.done():
            task.cancel()
    _, pending = await asyncio.wait(tasks, timeout=SHUTDOWN_GRACE_SECONDS + 5)
    for task in pending:
        log.warning("%s did not stop in time; abandoning it", tasks[task])
        task.cancel()
    for task, name in tasks.items():
        if task in reported or not task.done() or task.cancelled():
            continue
        if (error := task.exception()) is not None:
            log.warning("%s raised while stopping: %s", name, error)
    log.info("Stopped")


def start(host: str | None, port: int | None, *, bots: bool) -> None:
    """The `run` and `web` verbs: serve until a signal, then exit with the service's code."""
    updates = {k: v for k, v in (("web_host", host), ("web_port", port)) if v is not None}
    settings = get_settings().model_copy(update=updates)
    limit_malloc_arenas(settings.malloc_arenas)
    logs.configure(settings.log_level)
    register_secrets(settings)
    try:
        code = asyncio.run(serve(settings, bots=bots))
    except StartupError as error:
        typer.echo(str(error), err=True)
        code = 1
    except KeyboardInterrupt:
        code = 130
    raise typer.Exit(code)
