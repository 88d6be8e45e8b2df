"""`/start` and `/help`: the game in a few lines."""

from __future__ import annotations

from bot.core.context import Turn, update_tag
from bot.core.markup import literal
from bot.core.replies import Reply


def help_text(turn: Turn, taste_needed: int) -> list[Reply]:
    """How to play; admins' commands are listed too so they find them. `taste_needed`: rated
    photos before a chat's group taste shows."""
    t = turn.t
    text = "\n".join(
        [
            t(
                "help.text",
                season_days=turn.chat.settings.season_days,
                rate_command=turn.rate_command,
            ),
            t("help.taste", needed=taste_needed),
            t("help.admin"),
        ]
    )
    return [Reply(text, tag=update_tag(turn.update_id))]


def unknown(turn: Turn, name: str) -> list[Reply]:
    return [Reply(turn.t("unknown_command", name=literal(name)), tag=update_tag(turn.update_id))]
