"""Taking a forgotten user out of the announcement payloads that name them.

Announcements (the outbox) keep their payload after they are sent, and a payload names people
by their store id. `/forgetme` deletes the user's rows; this removes their id from every
payload too, so nothing in the database links that id to a score, a rank or a rating.

Payloads name users only in these shapes (the producers in `bot.core.scheduler` and
`storage.seasons._season_payload` follow them):

- a key ending in `user_id` holding one id (`winner_user_id`, `user_id`): set to None;
- a key ending in `user_ids` holding a list of ids: the id is removed from the list;
- a list of objects each with a `user_id` (board entries): their object is removed;
- a key in `USER_KEYED` holding an object keyed by the id as text (`ratings`): key removed.

An announcement whose top-level `user_id` is the user is about them alone (most improved
player): its payload is scrubbed all the same, and if it has not gone out yet it is cancelled
(marked sent) rather than deleted, so its dedupe key still stops it being queued again.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.records import utcnow
from storage.schema import announcements

USER_KEYED = frozenset({"ratings"})


def without_user(value: Any, user_id: int, key: str = "") -> Any:
    """`value` (a payload or part of one) with every mention of `user_id` removed."""
    if isinstance(value, dict):
        if key in USER_KEYED:
            return {k: v for k, v in value.items() if k != str(user_id)}
        return {k: _scrub_field(k, v, user_id) for k, v in value.items()}
    if isinstance(value, list):
        kept = [
            item
            for item in value
            if not (isinstance(item, dict) and item.get("user_id") == user_id)
            and not (key.endswith("user_ids") and item == user_id)
        ]
        return [without_user(item, user_id) for item in kept]
    return value


def _scrub_field(key: str, value: Any, user_id: int) -> Any:
    if key.endswith("user_id") and value == user_id:
        return None
    return without_user(value, user_id, key)


async def scrub_announcements(conn: AsyncConnection, user_id: int, chat_ids: list[int]) -> int:
    """Rewrite the payloads of the chats' announcements that mention `user_id`; returns how
    many were changed (cancelling the unsent ones that were about the user alone)."""
    if not chat_ids:
        return 0
    rows = await conn.execute(
        select(announcements.c.id, announcements.c.payload, announcements.c.sent_at).where(
            announcements.c.chat_id.in_(chat_ids)
        )
    )
    changed = 0
    for row in rows.all():
        payload = dict(row.payload or {})
        scrubbed = without_user(payload, user_id)
        if scrubbed == payload:
            continue
        values: dict[str, Any] = {"payload": scrubbed}
        if payload.get("user_id") == user_id and row.sent_at is None:
            values.update(sent_at=utcnow(), claimed_by=None, claimed_until=None)
        await conn.execute(
            update(announcements).where(announcements.c.id == row.id).values(**values)
        )
        changed += 1
    return changed
