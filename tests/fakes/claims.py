"""The claim half of the core's adapter API for the scripted games the platform tests use.

Each copy of a delivery is claimed once, as `Game.claim_update` does across processes; sends are
never fenced off and releasing a claim lets a later copy take it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.core.events import ChatRef, EventFields


class ClaimsOnce:
    """Mixin for a scripted game with a `claimed: set[str]` field and its own
    `auto_score_enabled` (a photo's claim asks it, as `Game.claim_update` does)."""

    claimed: set[str]
    auto_score_enabled: Callable[[ChatRef], Awaitable[bool]]

    async def claim_update(
        self,
        platform: str,
        update_id: str,
        *,
        arriving: EventFields | None = None,
        is_photo: bool = False,
        if_auto_score: bool = False,
    ) -> bool:
        if (
            if_auto_score
            and arriving is not None
            and not await self.auto_score_enabled(arriving["chat"])
        ):
            return False
        key = f"{platform}:{update_id}"
        if key in self.claimed:
            return False
        self.claimed.add(key)
        return True

    async def reply_starting(self, platform: str, update_id: str) -> bool:
        return True

    async def finish_update(self, platform: str, update_id: str) -> None:
        return None

    async def release_update(self, platform: str, update_id: str) -> None:
        self.claimed.discard(f"{platform}:{update_id}")
