"""The `selfiebot` command: one Typer app; each verb's module keeps its heavy imports inside the
verb so `selfiebot --help` stays instant."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.db_cli import app as db_app
from bot.models_cli import app as models_app
from bot.score_cli import score
from bot.taste_cli import taste

app = typer.Typer(
    name="selfiebot",
    help="Score selfies on-device, play the selfie game, run the chat bots and the web page.",
    no_args_is_help=True,
    add_completion=False,
)

app.add_typer(models_app, name="models")
app.add_typer(db_app, name="db")
app.command("score")(score)
app.command("taste")(taste)


@app.command()
def play(
    items: Annotated[
        list[str],
        typer.Argument(
            metavar="PHOTO|/COMMAND...",
            help="Photos and /commands handled in order; words after a /command are its "
            "arguments; press:ACTION:PAYLOAD presses a button; react:EMOJI:PHOTO reacts to "
            "a photo scored in this chat.",
        ),
    ],
    chat: Annotated[str, typer.Option(help="Chat name (each name is its own chat).")] = "terminal",
    user: Annotated[str, typer.Option(help="Your name in the game (also your @handle).")] = "me",
    out: Annotated[
        Path | None,
        typer.Option(help="Save reply images and files here.", show_default="not saved"),
    ] = None,
    admin: Annotated[
        bool, typer.Option("--admin", help="Act as a chat admin.", show_default="off")
    ] = False,
    language: Annotated[
        str | None,
        typer.Option(
            metavar="CODE",
            help="Your language: en, es, pt-br, ru, de, fr, it, tr, id.",
            show_default="the chat's, else English",
        ),
    ] = None,
) -> None:
    """Play the selfie game from the terminal on the embedded database."""
    import asyncio

    from bot.core.i18n import normalize, supported_languages
    from bot.settings import get_settings
    from bot.terminal.play import Player, run
    from models.registry import ModelMissingError

    if language is not None and normalize(language) is None:
        known = ", ".join(supported_languages())
        raise typer.BadParameter(f"{language!r} is not one of {known}", param_hint="--language")

    try:
        player = Player(chat, user, admin, language)
        lines = asyncio.run(run(get_settings(), player, items, out))
    except (ModelMissingError, FileNotFoundError) as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from error
    typer.echo("\n".join(lines).rstrip())


WebHost = Annotated[
    str | None,
    typer.Option(
        help="Address the page listens on.", show_default="SELFIEBOT_WEB_HOST, else 127.0.0.1"
    ),
]
WebPort = Annotated[
    int | None,
    typer.Option(
        min=1,
        max=65535,
        help="Port of the page.",
        show_default="SELFIEBOT_WEB_PORT, else 8000",
    ),
]


@app.command("run")
def run_product(host: WebHost = None, port: WebPort = None) -> None:
    """Start the product: the web page, and the Telegram/Discord bots whose tokens are set."""
    from bot.serve import start

    start(host, port, bots=True)


@app.command("web")
def web(host: WebHost = None, port: WebPort = None) -> None:
    """Start only the web page and its JSON API (no chat bots, even with tokens set)."""
    from bot.serve import start

    start(host, port, bots=False)


def main() -> None:
    """Console-script entry point; unusable settings end it with their sentences (exit 2)."""
    from bot.settings import SettingsError

    try:
        app()
    except SettingsError as error:
        typer.echo(str(error), err=True)
        raise SystemExit(2) from None
