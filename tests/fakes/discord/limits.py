"""Discord's per-channel rate limits for the fake Discord: headers discord.py paces by, 429s.

Discord lets a bot post about 5 messages per 5 seconds into one channel (and edit about as
many); each answer carries the bucket's `X-RateLimit-*` headers, which discord.py reads to wait
before it runs out, and a request past the limit gets 429 with `retry_after`, after which
discord.py waits and retries. Buckets are fixed windows opened by their first request, as
Discord's are. Off (`limit=None`: no headers, no 429) unless a test or benchmark sets
`FakeDiscord.channel_limits`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from aiohttp import web


class ChannelLimits:
    """`limit` requests per `per` seconds for each (bucket, channel)."""

    def __init__(
        self, limit: int | None = 5, per: float = 5.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.per = per
        self._clock = clock
        self._windows: dict[tuple[str, int], tuple[float, int]] = {}
        self.refused = 0
        """Requests answered 429 (discord.py retries them)."""

    def take(self, bucket: str, channel_id: int) -> tuple[dict[str, str], web.Response | None]:
        """The headers for this request's answer, and a 429 answer when it is over the limit."""
        if self.limit is None:
            return {}, None
        now = self._clock()
        start, used = self._windows.get((bucket, channel_id), (now, 0))
        if now - start >= self.per:
            start, used = now, 0
        reset_after = start + self.per - now
        over = used >= self.limit
        if not over:
            used += 1
            self._windows[(bucket, channel_id)] = (start, used)
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.limit - used),
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket,
        }
        if not over:
            return headers, None
        self.refused += 1
        body = {"message": "You are being rate limited.", "retry_after": reset_after}
        refusal = web.Response(
            body=json.dumps({**body, "global": False}).encode(),
            status=429,
            # discord.py takes a 429 without `Via` for a Cloudflare ban and gives up.
            headers={**headers, "Content-Type": "application/json", "Via": "1.1 google"},
        )
        return headers, refusal
