"""Per-user, per-chat photo rate limit as a pure function over recent submission times."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta


def retry_at(
    recent: Sequence[datetime], *, limit: int, window: timedelta, now: datetime
) -> datetime | None:
    """When the user may send again, or None if a photo is allowed now.

    `recent` are the times of the user's counted photos (any order). With `limit` of them
    inside the sliding window, the next slot opens when the oldest of the newest `limit`
    photos leaves the window.
    """
    inside = sorted(t for t in recent if now - window < t <= now)
    if len(inside) < limit:
        return None
    return inside[-limit] + window
