"""Raw gateway payloads (as Discord sends them) fed through the real client's parsers.

`DiscordWorld` plays Discord's side of the gateway: it builds GUILD_CREATE, INTERACTION_CREATE,
MESSAGE_CREATE and MESSAGE_REACTION_ADD dicts and hands them to `ConnectionState.parsers`,
exactly where discord.py's gateway would, so the client's own parsing, CommandTree routing
and dynamic-item dispatch all run. Attachments are hosted on the `FakeDiscord` CDN.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass
from typing import Any

import discord

from tests.fakes.discord.server import (
    APP_ID,
    BOT_ID,
    OWNER_ID,
    FakeDiscord,
    Message,
    message_fields,
    now_iso,
    user_json,
)

GUILD_ID = 800_000_000_000_000_001
CHANNEL_ID = 800_000_000_000_000_002
ADMIN_ROLE_ID = 800_000_000_000_000_003
MEMBER_PERMISSIONS = discord.Permissions(
    view_channel=True, send_messages=True, attach_files=True, add_reactions=True
)
ADMIN_PERMISSIONS = MEMBER_PERMISSIONS | discord.Permissions(manage_guild=True)


@dataclass(frozen=True)
class Person:
    id: int
    username: str
    global_name: str | None = None
    locale: str = "en-US"
    """The language of the person's Discord client, sent with each of their interactions."""

    def json(self) -> dict[str, Any]:
        return user_json(self.id, self.username, global_name=self.global_name)


def _settled_names(name: str) -> bool:
    """Tasks discord.py starts per event (the core's announcement poller, which runs forever,
    is named `announcements-discord`, so it is not one)."""
    return name.startswith(("discord", "CommandTree"))


def guild_payload() -> dict[str, Any]:
    """GUILD_CREATE for one server with one text channel and an admin role."""
    role = {"color": 0, "hoist": False, "managed": False, "mentionable": False, "flags": 0}
    return {
        "id": str(GUILD_ID),
        "name": "Selfie Club",
        "icon": None,
        "owner_id": str(OWNER_ID),
        "roles": [
            {
                **role,
                "id": str(GUILD_ID),
                "name": "@everyone",
                "position": 0,
                "permissions": str(MEMBER_PERMISSIONS.value),
            },
            {
                **role,
                "id": str(ADMIN_ROLE_ID),
                "name": "Selfie Admin",
                "position": 1,
                "permissions": str(MEMBER_PERMISSIONS.value),
            },
        ],
        "channels": [
            {
                "id": str(CHANNEL_ID),
                "type": 0,
                "name": "selfies",
                "position": 0,
                "permission_overwrites": [],
                "nsfw": False,
                "parent_id": None,
            }
        ],
        "members": [],
        "emojis": [],
        "stickers": [],
        "features": [],
        "threads": [],
        "voice_states": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "member_count": 3,
        "large": False,
        "unavailable": False,
        "preferred_locale": "en-US",
        "joined_at": now_iso(),
    }


def member_payload(
    person: Person, roles: tuple[int, ...], permissions: int | None
) -> dict[str, Any]:
    member: dict[str, Any] = {
        "user": person.json(),
        "roles": [str(r) for r in roles],
        "joined_at": now_iso(),
        "deaf": False,
        "mute": False,
        "flags": 0,
        "nick": None,
    }
    if permissions is not None:
        member["permissions"] = str(permissions)
    return member


def message_payload(
    message_id: int,
    person: Person,
    attachments: list[dict[str, Any]],
    content: str = "",
    *,
    dm_channel_id: int | None = None,
) -> dict[str, Any]:
    """MESSAGE_CREATE for a member's message in the guild channel, or in a DM with the bot."""
    where: dict[str, Any] = {"channel_id": str(dm_channel_id)}
    if dm_channel_id is None:
        member = {k: v for k, v in member_payload(person, (), None).items() if k != "user"}
        where = {"channel_id": str(CHANNEL_ID), "guild_id": str(GUILD_ID), "member": member}
    fields = message_fields(
        message_id, person.json(), content, attachments=attachments, embeds=[], components=[]
    )
    return {**fields, **where}


class DiscordWorld:
    """One guild with one text channel, seen from Discord's side."""

    def __init__(self, fake: FakeDiscord, client: discord.Client | None = None) -> None:
        """Without a client the world only builds payloads (e.g. to send over the gateway)."""
        self.fake = fake
        self.client = client
        self._ids = itertools.count(700_000_000_000_000_000)
        self.delivered: list[tuple[str, dict[str, Any]]] = []

    def next_id(self) -> int:
        return next(self._ids)

    def _parse(self, event: str, payload: dict[str, Any]) -> None:
        assert self.client is not None, "this world only builds payloads"
        self.delivered.append((event, payload))
        self.client._connection.parsers[event](payload)

    def redeliver_last(self, event: str) -> dict[str, Any]:
        """Deliver the latest `event` payload again, as a gateway resume may."""
        payload = next(p for name, p in reversed(self.delivered) if name == event)
        self._parse(event, payload)
        return payload

    async def settle(self) -> None:
        """Wait until every task the client started for the delivered events has finished."""
        current = asyncio.current_task()
        while True:
            pending = [
                task
                for task in asyncio.all_tasks()
                if task is not current and not task.done() and _settled_names(task.get_name())
            ]
            if not pending:
                return
            await asyncio.wait(pending)

    # --- guild -----------------------------------------------------------------------------

    def guild_create(self) -> None:
        self._parse("GUILD_CREATE", guild_payload())

    # --- interactions ----------------------------------------------------------------------

    def _interaction(
        self,
        kind: int,
        data: dict[str, Any],
        person: Person,
        *,
        admin: bool,
        roles: tuple[int, ...],
        dm: bool,
        message: dict[str, Any] | None = None,
    ) -> str:
        interaction_id = self.next_id()
        token = f"itoken-{interaction_id}-secret"
        channel_id = (
            self.fake.dm_channels.setdefault(person.id, self.next_id()) if dm else CHANNEL_ID
        )
        self.fake.expect_interaction(token, channel_id)
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(APP_ID),
            "type": kind,
            "data": data,
            "token": token,
            "version": 1,
            "locale": person.locale,
            "attachment_size_limit": 10 * 1024 * 1024,
            "app_permissions": str(discord.Permissions.text().value),
            "entitlements": [],
            "channel_id": str(channel_id),
        }
        if dm:
            payload["user"] = person.json()
            payload["context"] = 1
            payload["channel"] = {"id": str(channel_id), "type": 1, "recipients": [person.json()]}
        else:
            permissions = (ADMIN_PERMISSIONS if admin else MEMBER_PERMISSIONS).value
            payload["guild_id"] = str(GUILD_ID)
            payload["guild"] = {"id": str(GUILD_ID), "locale": "en-US", "features": []}
            payload["guild_locale"] = "en-US"
            payload["context"] = 0
            payload["member"] = member_payload(person, roles, permissions)
            payload["channel"] = {
                "id": str(CHANNEL_ID),
                "type": 0,
                "name": "selfies",
                "guild_id": str(GUILD_ID),
                "position": 0,
                "permission_overwrites": [],
            }
        if message is not None:
            payload["message"] = message
        self._parse("INTERACTION_CREATE", payload)
        return token

    def slash(
        self,
        name: str,
        person: Person,
        options: list[dict[str, Any]] | None = None,
        *,
        resolved: dict[str, Any] | None = None,
        admin: bool = False,
        roles: tuple[int, ...] = (),
        dm: bool = False,
    ) -> str:
        """Deliver a slash command invocation; returns the interaction token."""
        data: dict[str, Any] = {
            "id": str(self.next_id()),
            "name": name,
            "type": 1,
            "options": options or [],
        }
        if resolved:
            data["resolved"] = resolved
        return self._interaction(2, data, person, admin=admin, roles=roles, dm=dm)

    def attachment_json(self, filename: str, data: bytes, content_type: str | None,
                        size: int | None = None) -> dict[str, Any]:  # fmt: skip
        url = self.fake.serve_file(filename, data, content_type or "application/octet-stream")
        attachment = {
            "id": str(self.next_id()),
            "filename": filename,
            "size": len(data) if size is None else size,
            "url": url,
            "proxy_url": url,
        }
        if content_type:
            attachment["content_type"] = content_type
        return attachment

    def slash_score(self, person: Person, attachment: dict[str, Any], **kwargs: Any) -> str:
        option = {"name": "photo", "type": 11, "value": attachment["id"]}
        resolved = {"attachments": {attachment["id"]: attachment}}
        return self.slash("score", person, [option], resolved=resolved, **kwargs)

    def slash_duel(self, person: Person, opponent: Person) -> str:
        option = {"name": "opponent", "type": 6, "value": str(opponent.id)}
        resolved = {"users": {str(opponent.id): opponent.json()}}
        return self.slash("duel", person, [option], resolved=resolved)

    def press(self, message: Message, custom_id: str, person: Person, **kwargs: Any) -> str:
        """Click a button on a message the bot sent."""
        data = {"custom_id": custom_id, "component_type": 2}
        return self._interaction(
            3,
            data,
            person,
            admin=kwargs.get("admin", False),
            roles=(),
            dm=kwargs.get("dm", False),
            message=self.fake.message_json(message),
        )

    # --- messages and reactions ------------------------------------------------------------

    def post(self, person: Person, attachments: list[dict[str, Any]], *, dm: bool = False) -> int:
        """A member posts in the guild channel (or DMs the bot); returns the message id."""
        dm_channel = self.fake.dm_channels.setdefault(person.id, self.next_id()) if dm else None
        payload = message_payload(self.next_id(), person, attachments, dm_channel_id=dm_channel)
        self._parse("MESSAGE_CREATE", payload)
        return int(payload["id"])

    def react(
        self,
        message_id: int,
        person: Person,
        emoji: str,
        *,
        added: bool = True,
        author: Person | None = None,
    ) -> None:
        """`person` reacts to a message by `author` (default: the bot's own message)."""
        payload: dict[str, Any] = {
            "user_id": str(person.id),
            "channel_id": str(CHANNEL_ID),
            "message_id": str(message_id),
            "guild_id": str(GUILD_ID),
            "emoji": {"id": None, "name": emoji},
            "burst": False,
            "type": 0,
        }
        if added:
            payload["member"] = member_payload(person, (), None)
            payload["message_author_id"] = str(author.id if author is not None else BOT_ID)
        self._parse("MESSAGE_REACTION_ADD" if added else "MESSAGE_REACTION_REMOVE", payload)
