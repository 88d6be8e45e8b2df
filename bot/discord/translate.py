"""translate: Discord objects in, core values out: who, where, and who may run admin commands.

A chat is one Discord channel (or thread, or DM): leaderboards and settings such as
auto-scoring are per channel, which is how Discord servers already split their topics.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import discord

from bot.core.events import ChatRef, Sender

PLATFORM = "discord"


def language_of(locale: discord.Locale | None) -> str | None:
    """Discord's locale tag as is (`pt-BR`, `es-419`): the core picks the catalogue from it."""
    if locale is None:
        return None
    return str(locale.value)


def chat_of(
    channel: discord.abc.Messageable | discord.abc.GuildChannel | None,
    *,
    channel_id: int | None,
    guild: discord.Guild | None,
    fallback_id: int,
    guild_locale: discord.Locale | None = None,
) -> ChatRef:
    """The chat a message or interaction belongs to; `fallback_id` if Discord sent no channel.

    A server channel carries the server's preferred locale as the chat's language hint.
    """
    if guild is None:
        ident = str(channel_id if channel_id is not None else fallback_id)
        return ChatRef(PLATFORM, ident, title=None, is_private=True)
    name = getattr(channel, "name", None)
    guild_name = getattr(guild, "name", None)
    title = f"{guild_name} #{name}" if name and guild_name else name or guild_name
    ident = str(channel_id or fallback_id)
    language = language_of(guild_locale or getattr(guild, "preferred_locale", None))
    return ChatRef(PLATFORM, ident, title=title, is_private=False, language=language)


def chat_of_interaction(interaction: discord.Interaction) -> ChatRef:
    return chat_of(
        interaction.channel,
        channel_id=interaction.channel_id,
        guild=interaction.guild if interaction.guild_id else None,
        fallback_id=interaction.user.id,
        guild_locale=interaction.guild_locale,
    )


def chat_of_message(message: discord.Message) -> ChatRef:
    return chat_of(
        message.channel,
        channel_id=message.channel.id,
        guild=message.guild,
        fallback_id=message.author.id,
    )


def sender_of(user: discord.abc.User, language: str | None = None) -> Sender:
    """`username` is the unique handle, `display_name` the server nickname or global name."""
    return Sender(
        platform=PLATFORM,
        user_id=str(user.id),
        display_name=user.display_name,
        username=user.name,
        language=language,
    )


def admin_check(
    user: discord.abc.User, permissions: discord.Permissions, admin_role: str | None
) -> Callable[[], Awaitable[bool]]:
    """The lazy `is_admin` the core calls: Manage Server (or Administrator), or the named role.

    `admin_role` may be a role name or a role id, so operators can pin it against renames.
    """

    async def is_admin() -> bool:
        if permissions.administrator or permissions.manage_guild:
            return True
        if admin_role and isinstance(user, discord.Member):
            return any(role.name == admin_role or str(role.id) == admin_role for role in user.roles)
        return False

    return is_admin
