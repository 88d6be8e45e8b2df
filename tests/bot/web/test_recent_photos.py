"""The web page's in-memory photos for /tips: bounded in time and number, never on disk."""

from __future__ import annotations

import pytest

from bot.core.events import PhotoUnavailable
from bot.web.recent_photos import RecentPhotos


async def test_web_recent_photos_expire_and_stay_bounded() -> None:
    now = [0.0]
    photos = RecentPhotos(ttl_seconds=30 * 60, max_items=2, clock=lambda: now[0])
    photos.put("a", b"a")
    photos.put("b", b"b")
    assert await photos.fetch("a") == b"a"  # now "a" is the most recently used
    photos.put("c", b"c")
    with pytest.raises(PhotoUnavailable):
        await photos.fetch("b")
    assert len(photos) == 2
    now[0] += 31 * 60
    with pytest.raises(PhotoUnavailable):
        await photos.fetch("a")


async def test_web_recent_photos_are_bounded_in_bytes() -> None:
    photos = RecentPhotos(ttl_seconds=60, max_items=10, max_bytes=250)
    for name in "abc":
        photos.put(name, name.encode() * 100)
    assert len(photos) == 2 and photos.bytes == 200, "the least recently used went first"
    with pytest.raises(PhotoUnavailable):
        await photos.fetch("a")
    photos.put("c", b"c" * 50)
    assert photos.bytes == 150, "a photo put again is counted once"
    assert await photos.fetch("b") == b"b" * 100
