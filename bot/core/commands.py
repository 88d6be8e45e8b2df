"""The command catalogue adapters register with their platform (Telegram menu, Discord slash).

Game rules live in the core; this list only names and describes the commands so every adapter
offers the same ones.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CommandSpec:
    """One command: `arguments` is a short usage hint such as `[week|season|all]`."""

    name: str
    description: str
    arguments: str = ""
    admin: bool = False


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("start", "What this bot does and how to play"),
    CommandSpec("help", "How to play, commands and tips"),
    CommandSpec("rate", "Score the photo this is attached to or replies to"),
    CommandSpec("top", "Leaderboard of this chat", "[week|season|all|taste]"),
    CommandSpec("whatworks", "What this chat's reactions reward, learned from its photos"),
    CommandSpec("me", "Your stats, streak, badges and rank"),
    CommandSpec("tips", "Edits that measurably raise your last photo's score"),
    CommandSpec("duel", "Challenge someone: both send a photo, higher score wins", "@someone"),
    CommandSpec("badges", "All badges and how to earn them"),
    CommandSpec("privacy", "What is stored and for how long"),
    CommandSpec("forgetme", "Delete all your data everywhere"),
    CommandSpec("export", "Get all your data as a JSON file"),
    CommandSpec("settings", "Show this chat's settings"),
    CommandSpec("resetseason", "Admin: end this season now and start a new one", admin=True),
    CommandSpec("seasonlength", "Admin: season length in days", "DAYS", admin=True),
    CommandSpec("ratelimit", "Admin: photos per user per window", "PHOTOS MINUTES", admin=True),
    CommandSpec("language", "Admin: chat language", "CODE", admin=True),
    CommandSpec("duels", "Admin: turn duels on or off", "on|off", admin=True),
    CommandSpec(
        "autoscore", "Admin: score every photo posted here, without a command", "on|off", admin=True
    ),
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
