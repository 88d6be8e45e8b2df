"""`selfiebot play`: the real game core on the embedded database, driven from a terminal.

Each input is a photo path or a `/command`; inputs of one invocation share a process, so
`selfiebot play --chat c --user ann selfie.jpg /tips` can show tips for that photo (the game
keeps the photo's file path as its handle, never the photo). Buttons are printed as the
command that presses them.
"""

from __future__ import annotations

import hashlib
import re
import shlex
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.commands import ButtonAction
from bot.core.events import (
    ButtonEvent,
    ChatRef,
    CommandEvent,
    Event,
    EventFields,
    PhotoEvent,
    PhotoUnavailable,
    ReactionEvent,
    Sender,
)
from bot.core.game import Game
from bot.core.markup import to_plain
from bot.core.poller import AnnouncementPoller
from bot.core.replies import Announcement, Button, Reply
from bot.core.transport import send_and_record
from bot.settings import Settings

PLATFORM = "cli"
# What a command word looks like on every platform: a slash and a plain name.
_COMMAND = re.compile(r"/[A-Za-z0-9_]+")
REACT = "react:"
"""`react:EMOJI:PHOTO`: the player reacts to that photo (the group taste learns from it)."""


@dataclass(frozen=True)
class Player:
    """Who plays where; the name doubles as the @handle so `/duel @bob` finds bob."""

    chat: str
    user: str
    admin: bool = False
    language: str | None = None
    """The terminal's language hint (`--language`): personal replies, and a new chat's posts."""

    def prefix(self) -> str:
        prefix = f"selfiebot play --chat {shlex.quote(self.chat)} --user {shlex.quote(self.user)}"
        return f"{prefix} --language {shlex.quote(self.language)}" if self.language else prefix


def group_inputs(items: Sequence[str]) -> list[str]:
    """Join shell words into inputs: a photo path, or a command with the words after it.

    `play /duel @ann /top week` is two commands, so nobody has to quote them. Existing files
    win over commands because absolute paths start with a slash too; a slash word that is not
    a command name (`/tmp/me.jpg`) is a photo path that does not exist, not a command.
    Raises `FileNotFoundError` for a word that is neither a file nor after a command.
    """
    grouped: list[str] = []
    open_command = False
    for item in items:
        if Path(item).is_file():
            grouped.append(item)
            open_command = False
        elif item.startswith("/") and not _COMMAND.fullmatch(item):
            raise FileNotFoundError(f"No such photo: {item}")
        elif item.startswith(("/", "press:", REACT)):
            grouped.append(item)
            open_command = item.startswith("/")
        elif open_command:
            grouped[-1] = f"{grouped[-1]} {item}"
        else:
            raise FileNotFoundError(f"No such photo: {item}")
    return grouped


def photo_message_id(path: Path) -> str:
    """The "message" a photo file is in this chat, so `react:EMOJI:PHOTO` can point at it."""
    return "file:" + hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:24]


async def read_photo_file(handle: str) -> bytes:
    """The photo again for `/tips`: on the command line a photo's handle is its file."""
    try:
        return Path(handle).read_bytes()
    except OSError as error:
        raise PhotoUnavailable(str(error)) from error


def build_event(player: Player, item: str) -> Event:
    """The event for one grouped input (see `group_inputs`)."""
    chat = ChatRef(PLATFORM, player.chat, player.chat, language=player.language)
    sender = Sender(PLATFORM, player.user, player.user, player.user, player.language)

    async def is_admin() -> bool:
        return player.admin

    base: EventFields = {
        "chat": chat,
        "sender": sender,
        "update_id": uuid.uuid4().hex,
        "is_admin": is_admin,
        "fetch_photo": read_photo_file,
    }
    path = Path(item)
    if path.is_file():
        return PhotoEvent(
            **base,
            message_id=photo_message_id(path),
            photo=path.read_bytes(),
            filename=path.name,
            photo_handle=str(path.resolve()),
        )
    if item.startswith(REACT):
        emoji, _, photo = item.removeprefix(REACT).partition(":")
        return ReactionEvent(**base, message_id=photo_message_id(Path(photo)), emoji=emoji)
    if item.startswith("press:"):
        action, _, payload = item.removeprefix("press:").partition(":")
        return ButtonEvent(**base, action=action, payload=payload)
    name, *args = item.split()
    return CommandEvent(**base, name=name[1:].lower(), args=tuple(args))


def button_hint(
    player: Player, button: Button, photo: str | None, answerer: str | None = None
) -> str:
    """The command line that presses `button` (Tips needs the photo again: memory only).

    `answerer` is who may press it when that is not the asker (the challenged person).
    """
    simple = {
        ButtonAction.TIPS: "/tips",
        ButtonAction.TOP: f"/top {button.payload}".strip(),
        ButtonAction.ME: "/me",
    }
    command = simple.get(button.action)
    if command is None:
        target = shlex.quote(f"press:{button.action}:{button.payload}")
        prefix = Player(player.chat, answerer).prefix() if answerer else player.prefix()
        return f"[{button.label}] -> {prefix} {target}"
    if button.action == ButtonAction.TIPS and photo is not None:
        return f"[{button.label}] -> {player.prefix()} {shlex.quote(photo)} {command}"
    return f"[{button.label}] -> {player.prefix()} {command}"


def render(
    reply: Reply, player: Player, out: Path | None, photo: str | None, counter: list[int]
) -> list[str]:
    """Plain text, saved attachments and button hints of one reply, as printed lines."""
    lines = [to_plain(reply.text)]
    if reply.private:
        lines[0] = f"(only you) {lines[0]}"
    for attachment in reply.attachments:
        if out is None:
            lines.append(f"({attachment.filename}: use --out DIR to save it)")
            continue
        out.mkdir(parents=True, exist_ok=True)
        counter[0] += 1
        target = out / f"{counter[0]:02d}-{attachment.filename}"
        target.write_bytes(attachment.data)
        lines.append(f"(saved {target})")
    answerer = (reply.data or {}).get("opponent_user_id")
    lines.extend(button_hint(player, button, photo, answerer) for button in reply.buttons)
    return lines


@dataclass
class Printer:
    """The terminal as a `bot.core.transport.Transport`: a reply becomes printed lines, and the
    "message" it became gets a fresh id (nothing can react to it). Printed lines cannot be
    taken back, so an edit prints the message again, marked as the edit of the earlier one."""

    player: Player
    out: Path | None
    printed: list[str] = field(default_factory=list)
    counter: list[int] = field(default_factory=lambda: [0])
    photo: str | None = None
    """The photo path of the input being answered, for the Tips button's command line."""
    sent: list[str] = field(default_factory=list)
    """The ids of the messages printed so far; a message's number is its place here, from 1."""

    async def send(self, reply: Reply) -> str:
        self.printed.extend(render(reply, self.player, self.out, self.photo, self.counter))
        self.printed.append("")
        self.sent.append(uuid.uuid4().hex)
        return self.sent[-1]

    async def edit(self, message_id: str, reply: Reply) -> bool:
        if message_id not in self.sent:
            return False
        lines = render(reply, self.player, self.out, self.photo, self.counter)
        number = self.sent.index(message_id) + 1
        self.printed.extend([f"(edited message {number}) {lines[0]}", *lines[1:], ""])
        return True


async def run(
    settings: Settings, player: Player, items: Sequence[str], out: Path | None
) -> list[str]:
    """Feed `items` to a game on the configured database; returns the lines to print."""
    inputs = group_inputs(items)
    game = await Game.open(settings)
    printer = Printer(player, out)
    try:
        for item in inputs:
            event = build_event(player, item)
            printer.photo = item if isinstance(event, PhotoEvent) else None
            replies = await game.handle(event)
            await send_and_record(printer, event.chat, replies, game.reply_sent)
        printer.photo = None

        async def print_announcement(announcement: Announcement) -> bool:
            printer.printed.append(f"[announcement to {announcement.chat_id}]")
            await printer.send(announcement.reply)
            return True

        # One tick of the core's poller: a terminal session is one invocation, not a service.
        await AnnouncementPoller(game, PLATFORM, print_announcement, every=0).poll_once()
    finally:
        await game.close()
    return printer.printed
