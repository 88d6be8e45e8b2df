"""The `selfiebot` command: one Typer app; each verb's module keeps its heavy imports inside the
verb so `selfiebot --help` stays instant."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="selfiebot",
    help="Score selfies on-device, play the selfie game, run the chat bots and the web page.",
    no_args_is_help=True,
    add_completion=False,
)


def main() -> None:
    """Console-script entry point."""
    app()
