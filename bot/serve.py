"""`selfiebot run` and `selfiebot web`: one process, one Game, the page and the configured bots.

Everything shares one `Game` (one analyzer, one database pool), so the web page, Telegram and
Discord play the same game. The page always starts; a bot starts only when its token is set.
Signals are handled here rather than by uvicorn, so Ctrl-C or SIGTERM stops every component
in order (stop accepting, finish what is running, close the game) instead of only the page.
A component that stops on its own is a failure: everything is stopped and the exit code is 1,
so a supervisor restarts the whole service rather than leaving half of it running.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import signal
import socket
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import typer

from bot.memory import limit_malloc_arenas
from bot.settings import Settings, get_settings

if TYPE_CHECKING:
    import uvicorn

    from bot.core.game import Game

log = logging.getLogger("selfiebot.serve")

SHUTDOWN_GRACE_SECONDS = 10.0


class StartupError(Exception):
    """A reason the service cannot start, as one sentence for the person who started it."""


@dataclass(frozen=True)
class BotSpec:
    """A chat adapter: started when its `token_setting` is set, from `module`'s `serve`."""

    name: str
    module: str
    token_setting: str

    def configured(self, settings: Settings) -> bool:
        token = getattr(settings, self.token_setting)
        return token is not None and bool(token.get_secret_value().strip())


BOTS: tuple[BotSpec, ...] = (
    BotSpec("Telegram bot", "bot.telegram.runner", "telegram_bot_token"),
    BotSpec("Discord bot", "bot.discord.runner", "discord_bot_token"),
)

Runner = Callable[["Game", Settings], Awaitable[None]]


def _web_server(app: object) -> uvicorn.Server:
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


def load_bot_runners(settings: Settings) -> dict[str, Runner]:
    """The `serve` of each bot whose token is set; a configured bot with no adapter is skipped.

    Imported only when configured, so a page-only run never loads the chat libraries.
    """
    runners: dict[str, Runner] = {}
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
        runners[spec.name] = module.serve
    return runners


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

    sock = bind_socket(settings.web_host, settings.web_port)
    try:
        game = await open_game(settings)
    except BaseException:
        sock.close()
        raise
    try:
        runners = load_bot_runners(settings) if bots else {}
        server = _web_server(create_app(settings, game=game))
        return await _supervise(server, sock, runners, game, settings)
    finally:
        sock.close()
        await game.close()


async def _supervise(
    server: uvicorn.Server,
    sock: socket.socket,
    runners: dict[str, Runner],
    game: Game,
    settings: Settings,
) -> int:
    """Start every component, wait for a signal or a component to stop, then stop them all."""
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
    web = asyncio.create_task(server.serve(sockets=[sock]), name="Web page")
    tasks = {web: "Web page"}
    for name, run in runners.items():
        tasks[asyncio.create_task(run(game, settings), name=name)] = name
    while not server.started and not web.done() and not stop.is_set():
        await asyncio.sleep(0.02)
    if server.started:
        log.info(
            "Started: web page at %s%s",
            page_url(settings.web_host, settings.web_port),
            "".join(f", {name}" for name in runners),
        )
    stopper = asyncio.create_task(stop.wait())
    try:
        done, _ = await asyncio.wait({*tasks, stopper}, return_when=asyncio.FIRST_COMPLETED)
        failed = [task for task in done if task is not stopper]
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
        # The runners log their own (redacted) tracebacks; repeating one here could only add
        # a second copy, so it goes to debug.
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


def _configure_logging(level: str) -> None:
    """Plain timestamped lines on stderr, unless the process already set logging up."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    root.setLevel(level.upper())
    # Alembic announces each built-in plugin at INFO when it is first imported (lazily, after
    # this point): start-up noise, not news.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def start(host: str | None, port: int | None, *, bots: bool) -> None:
    """The `run` and `web` verbs: serve until a signal, then exit with the service's code."""
    updates = {k: v for k, v in (("web_host", host), ("web_port", port)) if v is not None}
    settings = get_settings().model_copy(update=updates)
    limit_malloc_arenas(settings.malloc_arenas)
    _configure_logging(settings.log_level)
    try:
        code = asyncio.run(serve(settings, bots=bots))
    except StartupError as error:
        typer.echo(str(error), err=True)
        code = 1
    except KeyboardInterrupt:
        code = 130
    raise typer.Exit(code)
