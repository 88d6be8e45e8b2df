"""The web page's recent photos, kept in this process's memory only, for `/tips`.

Chat platforms keep the photos people send, so the core stores only their handle and fetches a
photo again when `/tips` needs it. The page has no such platform: the upload itself is the only
copy, so the page keeps it here, bounded in time (`SELFIEBOT_TIPS_PHOTO_TTL_MINUTES`), number
(`SELFIEBOT_TIPS_CACHE_SIZE`) and bytes (`MAX_BYTES`: 200 uploads of up to 20 MB would be 4 GB),
least recently used dropped first, and hands it to the core as the photo's `fetch_photo`. Never
written to disk or the database.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from bot.core.events import PhotoUnavailable

MAX_BYTES = 64 * 1024 * 1024


class RecentPhotos:
    """LRU + TTL map from an upload's handle to its bytes."""

    def __init__(
        self,
        *,
        ttl_seconds: float,
        max_items: int,
        max_bytes: int = MAX_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl_seconds
        self._max_items = max_items
        self._max_bytes = max_bytes
        self._clock = clock
        self._items: OrderedDict[str, tuple[bytes, float]] = OrderedDict()
        self._bytes = 0

    def put(self, handle: str, data: bytes) -> None:
        self._drop(handle)
        self._items[handle] = (data, self._clock())
        self._bytes += len(data)
        while len(self._items) > self._max_items or self._bytes > self._max_bytes:
            self._drop(next(iter(self._items)))

    def _drop(self, handle: str) -> None:
        item = self._items.pop(handle, None)
        if item is not None:
            self._bytes -= len(item[0])

    async def fetch(self, handle: str) -> bytes:
        """The photo if still kept (the core's `PhotoFetcher`); an expired one is dropped."""
        item = self._items.get(handle)
        if item is not None and self._clock() - item[1] > self._ttl:
            self._drop(handle)
            item = None
        if item is None:
            raise PhotoUnavailable("the page no longer keeps this photo in memory")
        self._items.move_to_end(handle)
        return item[0]

    def __len__(self) -> int:
        return len(self._items)

    @property
    def bytes(self) -> int:
        return self._bytes
