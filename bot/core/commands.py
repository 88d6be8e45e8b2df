"""The command catalogue adapters register with their platform (Telegram menu, Discord slash).

Game rules live in the core; this list only names and describes the commands so every adapter
offers the same ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CommandSpec:
    """One command; its description, usage hint included, is the catalogue's `command.<name>`
    in each language (platform menus are localized), so only the name and rights live here."""

    name: str
    admin: bool = field(default=False, kw_only=True)

    @property
    def description_key(self) -> str:
        return f"command.{self.name}"


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("start"),
    CommandSpec("help"),
    CommandSpec("rate"),
    CommandSpec("top"),
    CommandSpec("whatworks"),
    CommandSpec("me"),
    CommandSpec("tips"),
    CommandSpec("duel"),
    CommandSpec("badges"),
    CommandSpec("privacy"),
    CommandSpec("forgetme"),
    CommandSpec("export"),
    CommandSpec("settings"),
    CommandSpec("resetseason", admin=True),
    CommandSpec("seasonlength", admin=True),
    CommandSpec("ratelimit", admin=True),
    CommandSpec("language", admin=True),
    CommandSpec("duels", admin=True),
    CommandSpec("autoscore", admin=True),
)


class ButtonAction:
    """Actions carried by buttons; adapters pass them back untouched in `ButtonEvent`."""

    TIPS = "tips"
    TOP = "top"
    ME = "me"
    FORGET_CONFIRM = "forget_confirm"
    FORGET_CANCEL = "forget_cancel"
    DUEL_ACCEPT = "duel_accept"
    DUEL_DECLINE = "duel_decline"
