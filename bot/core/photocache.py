"""The last photo of each user, kept in memory only, for a limited time, for `/tips`.

Photos are never written to disk or the database; this bounded cache is the one place a
photo lives after it was scored, and it forgets on its own (TTL) and under pressure (LRU).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class CachedPhoto:
    """The photo bytes and when they were scored."""

    data: bytes
    stored_at: datetime


class PhotoCache:
    """LRU + TTL map from (platform, user id) to that user's last photo."""

    def __init__(self, *, ttl: timedelta, max_items: int, clock: Callable[[], datetime]) -> None:
        self._ttl = ttl
        self._max_items = max_items
        self._clock = clock
        self._items: OrderedDict[tuple[str, str], CachedPhoto] = OrderedDict()

    def put(self, key: tuple[str, str], data: bytes) -> None:
        self._items.pop(key, None)
        self._items[key] = CachedPhoto(data, self._clock())
        while len(self._items) > self._max_items:
            self._items.popitem(last=False)

    def get(self, key: tuple[str, str]) -> bytes | None:
        """The photo if still fresh; an expired one is dropped on the way."""
        item = self._items.get(key)
        if item is None:
            return None
        if self._clock() - item.stored_at > self._ttl:
            del self._items[key]
            return None
        self._items.move_to_end(key)
        return item.data

    def forget(self, platform: str, user_id: str) -> None:
        """Drop the user's photo now (used by /forgetme)."""
        self._items.pop((platform, user_id), None)

    def __len__(self) -> int:
        return len(self._items)
