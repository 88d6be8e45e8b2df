"""slash: the slash commands; one per core command, typed options, catalogue descriptions.

Each callback only turns its options into `CommandEvent.args` and hands over to the client;
what the command does is the core's business. Admin commands are hidden from members without
Manage Server (`default_permissions`), but server owners can change that in Server Settings,
so the core still asks `is_admin` at run time.

Descriptions are `locale_str`s carrying their catalogue key: `CatalogueTranslator` gives
Discord every language's wording when the commands are synced, so each person sees the menu in
their client's language. Command names stay the same everywhere: replies and `/help` name them.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from typing import Any, Literal, Protocol

import discord
from discord import app_commands

from bot.core.commands import COMMANDS, CommandSpec
from bot.core.events import Sender
from bot.core.i18n import BY_CODE, DEFAULT_LANGUAGE, Translator, normalize, supported_languages
from bot.discord.translate import sender_of

_SPECS: dict[str, CommandSpec] = {spec.name: spec for spec in COMMANDS}

# Commands whose answers only the asker sees (ephemeral), whatever visibility the core picked,
# and whose "thinking…" message is ephemeral too when the command has to be deferred.
PRIVATE_COMMANDS = frozenset({"privacy", "forgetme", "export"})


class CommandHandler(Protocol):
    """What the client offers a slash command (kept abstract to avoid an import cycle)."""

    async def on_core_command(
        self,
        interaction: discord.Interaction,
        name: str,
        args: Sequence[str] = (),
        mentions: Sequence[Sender] = (),
    ) -> None: ...

    async def on_score_command(
        self, interaction: discord.Interaction, photo: discord.Attachment
    ) -> None: ...


# Discord's limit on command and option descriptions, in every language.
DESCRIPTION_LIMIT = 100


def _text(key: str) -> app_commands.locale_str:
    """English wording for Discord's default, with the key the translator looks up."""
    return app_commands.locale_str(Translator()(key)[:DESCRIPTION_LIMIT], key=key)


def _description(name: str) -> app_commands.locale_str:
    return _text(_SPECS[name].description_key)


class CatalogueTranslator(app_commands.Translator):
    """Words the slash commands in the game's languages, from the same catalogue as replies."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        key = string.extras.get("key")
        language = normalize(locale.value)
        if key is None or language is None or language == DEFAULT_LANGUAGE:
            return None
        return Translator(language)(key)[:DESCRIPTION_LIMIT]


def register_commands(tree: app_commands.CommandTree, handler: CommandHandler) -> None:
    """Add every command to `tree`; `handler` receives the invocations."""

    @tree.command(name="score", description=_text("discord.score"))
    @app_commands.describe(photo=_text("discord.option.photo"))
    async def score(interaction: discord.Interaction, photo: discord.Attachment) -> None:
        await handler.on_score_command(interaction, photo)

    @tree.command(name="top", description=_description("top"))
    @app_commands.describe(window=_text("discord.option.window"))
    async def top(
        interaction: discord.Interaction,
        window: Literal["week", "season", "all", "taste"] | None = None,
    ) -> None:
        await handler.on_core_command(interaction, "top", (window,) if window else ())

    @tree.command(name="duel", description=_description("duel"))
    @app_commands.describe(opponent=_text("discord.option.opponent"))
    async def duel(interaction: discord.Interaction, opponent: discord.User) -> None:
        await handler.on_core_command(
            interaction, "duel", (f"@{opponent.name}",), (sender_of(opponent),)
        )

    for name in (
        "help",
        "me",
        "tips",
        "whatworks",
        "badges",
        "privacy",
        "forgetme",
        "export",
        "settings",
    ):
        tree.add_command(_plain_command(name, handler))

    _register_admin_commands(tree, handler)


def _plain_command(name: str, handler: CommandHandler) -> app_commands.Command:
    """A command without options: the same callback body under every name."""

    async def callback(interaction: discord.Interaction) -> None:
        await handler.on_core_command(interaction, name)

    return app_commands.Command(name=name, description=_description(name), callback=callback)


def _admin_command(
    name: str, callback: Callable[..., Coroutine[Any, Any, None]]
) -> app_commands.Command:
    """Server-only, and shown by default only to members with Manage Server."""
    gated = app_commands.guild_only()(app_commands.default_permissions(manage_guild=True)(callback))
    return app_commands.Command(name=name, description=_description(name), callback=gated)


def _register_admin_commands(tree: app_commands.CommandTree, handler: CommandHandler) -> None:
    languages = [
        app_commands.Choice(name=f"{BY_CODE[code].name} ({code})", value=code)
        for code in supported_languages()
    ]

    async def resetseason(interaction: discord.Interaction) -> None:
        await handler.on_core_command(interaction, "resetseason")

    # Plain integers: the bounds are game rules, checked by the core, which answers an
    # out-of-range value with its usage line. Bounds declared here would drift from the core's.
    @app_commands.describe(days=_text("discord.option.days"))
    async def seasonlength(interaction: discord.Interaction, days: int) -> None:
        await handler.on_core_command(interaction, "seasonlength", (str(days),))

    @app_commands.describe(
        photos=_text("discord.option.photos"), minutes=_text("discord.option.minutes")
    )
    async def ratelimit(interaction: discord.Interaction, photos: int, minutes: int) -> None:
        await handler.on_core_command(interaction, "ratelimit", (str(photos), str(minutes)))

    @app_commands.describe(code=_text("discord.option.code"))
    @app_commands.choices(code=languages)
    async def language(interaction: discord.Interaction, code: app_commands.Choice[str]) -> None:
        await handler.on_core_command(interaction, "language", (code.value,))

    @app_commands.describe(state=_text("discord.option.duels"))
    async def duels(interaction: discord.Interaction, state: Literal["on", "off"]) -> None:
        await handler.on_core_command(interaction, "duels", (state,))

    @app_commands.describe(state=_text("discord.option.autoscore"))
    async def autoscore(interaction: discord.Interaction, state: Literal["on", "off"]) -> None:
        await handler.on_core_command(interaction, "autoscore", (state,))

    for name, callback in (
        ("resetseason", resetseason),
        ("seasonlength", seasonlength),
        ("ratelimit", ratelimit),
        ("language", language),
        ("duels", duels),
        ("autoscore", autoscore),
    ):
        tree.add_command(_admin_command(name, callback))
