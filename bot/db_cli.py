"""`selfiebot db ...`: schema maintenance from the command line (the bot also migrates itself
at start-up; this is for operators who want to do it ahead of a deploy).

It lives in the bot, not in `storage`, because it reads the settings (the database URL); the
storage layer below never does."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

T = TypeVar("T")

app = typer.Typer(help="Database schema: upgrade and inspect.", no_args_is_help=True)

UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url",
        help="SQLAlchemy URL of the database.",
        show_default="SELFIEBOT_DATABASE_URL, else the SQLite file in the data dir",
    ),
]


def _url(url: str | None) -> str:
    if url:
        return url
    from bot.settings import get_settings

    return get_settings().resolved_database_url


def _safe(url: str) -> str:
    """The URL with any password masked, fit for a terminal or a log."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _on_database(
    url: str | None, work: Callable[[AsyncEngine], Awaitable[T]], failure: str
) -> tuple[str, T]:
    """Run `work` on a fresh engine for `url`; a database error exits 1 with `failure TARGET`.

    Returns the resolved URL (for messages) and what `work` returned.
    """
    import asyncio

    from sqlalchemy.exc import SQLAlchemyError

    from storage.engine import create_engine

    target = _url(url)

    async def go() -> T:
        engine = create_engine(target)
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    try:
        return target, asyncio.run(go())
    except (SQLAlchemyError, OSError, ValueError) as exc:
        typer.echo(f"{failure} {_safe(target)}: {exc}", err=True)
        raise typer.Exit(1) from exc


@app.command()
def upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
    url: UrlOption = None,
) -> None:
    """Apply pending migrations (safe to run while bots use the database)."""
    from storage.migrate import upgrade as run_upgrade

    target, applied = _on_database(
        url, lambda engine: run_upgrade(engine, revision), "Could not upgrade"
    )
    typer.echo(f"{_safe(target)} is at revision {applied}")


@app.command()
def current(url: UrlOption = None) -> None:
    """Show the database's revision and the newest one this code knows."""
    from storage.migrate import current_revision, head_revision

    _, revision = _on_database(url, current_revision, "Could not read")
    typer.echo(f"database: {revision or 'empty (never migrated)'}; code: {head_revision()}")
