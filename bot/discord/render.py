"""render: a core reply as Discord markup: one embed, the pictures as files, buttons as a view.

Every reply becomes an embed because embeds hold 4096 characters (plain messages 2000) and
can show the result card inline (`attachment://name`). A scored photo's embed is titled with
its first line (name, score, verdict) and coloured by the score; the remaining lines
(expression, rank and movement, badges) stay in the core's own localized wording.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import discord

from bot.core.drawing import verdict_color
from bot.core.markup import render, strip_markup
from bot.core.replies import Attachment, Reply
from bot.discord.components import view_for

EMBED_DESCRIPTION_MAX = 4096
EMBED_TITLE_MAX = 256
BRAND_COLOUR = discord.Colour.from_rgb(88, 101, 242)
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class MessageParts:
    """Keyword arguments shared by every discord.py send/edit call.

    Files are built fresh for each send because discord.py closes a `File` after uploading.
    """

    embed: discord.Embed
    files: list[discord.File]
    view: discord.ui.View | None


def safe_filename(name: str, index: int, taken: set[str]) -> str:
    """`attachment://` references need plain ASCII names, unique within one message."""
    cleaned = _UNSAFE_FILENAME.sub("_", name).strip("._") or f"file{index}"
    return cleaned if cleaned not in taken else f"{index}_{cleaned}"


def _inert(text: str) -> str:
    """Text a person chose, shown as typed: no Markdown (masked links, bold, spoilers, code)
    and no mentions (`@everyone`, `<@id>`); the client's AllowedMentions.none() is the
    second guard."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def to_discord(text: str) -> str:
    """Discord already speaks the core's Markdown subset; only literals need escaping."""
    return render(text, markup=lambda own: own, escape=_inert)


def to_discord_plain(text: str) -> str:
    """Embed titles: the core's markup removed, literals escaped."""
    return render(text, markup=strip_markup, escape=_inert)


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _score_of(data: Mapping[str, Any] | None) -> int | None:
    if not data:
        return None
    for key in ("score", "best_score"):
        value = data.get(key)
        if isinstance(value, int | float):
            return round(value)
    return None


def build_embed(reply: Reply, image_name: str | None) -> discord.Embed:
    """Score replies (with `data["score"]`) get a title line and a verdict colour."""
    score = _score_of(reply.data)
    if reply.data is not None and "score" in reply.data and "\n" in reply.text:
        first, rest = reply.text.split("\n", 1)
        embed = discord.Embed(
            title=_truncate(to_discord_plain(first), EMBED_TITLE_MAX),
            description=_truncate(to_discord(rest), EMBED_DESCRIPTION_MAX),
        )
    else:
        embed = discord.Embed(description=_truncate(to_discord(reply.text), EMBED_DESCRIPTION_MAX))
    embed.colour = (
        discord.Colour.from_rgb(*verdict_color(score)) if score is not None else BRAND_COLOUR
    )
    if image_name is not None:
        embed.set_image(url=f"attachment://{image_name}")
    return embed


def _file(attachment: Attachment, name: str) -> discord.File:
    return discord.File(
        io.BytesIO(attachment.data), filename=name, description=attachment.description or None
    )


def message_parts(reply: Reply) -> MessageParts:
    """The embed, files and view for one reply; the first picture is shown in the embed."""
    image = reply.image
    files: list[discord.File] = []
    image_name: str | None = None
    taken: set[str] = set()
    for index, attachment in enumerate(reply.attachments):
        name = safe_filename(attachment.filename, index, taken)
        taken.add(name)
        if attachment is image:
            image_name = name
        files.append(_file(attachment, name))
    return MessageParts(
        embed=build_embed(reply, image_name), files=files, view=view_for(reply.buttons)
    )
