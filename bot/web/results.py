"""Scored results kept for a while, so the page can answer a form POST with a redirect.

Post/Redirect/Get: `POST /` scores the photo, keeps what the page shows here under the upload's
idempotency key and answers 303 to `/result/<key>`, a URL that survives a reload or the back
button without posting the photo again. The photo on the page, the result card and the improved
photo are served once each, as separate URLs under the result, instead of being embedded in
the HTML.

Photos never touch the disk, so the store is in this process's memory: bounded in entries and
bytes, each result expiring after `RESULT_TTL_SECONDS`. With several web processes a result URL
only works on the process that scored it (the README says to pin a browser to one process);
anywhere else it is a 404 that says the score is on the board all the same.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from markupsafe import Markup

    from bot.web.views import BoardView, ResultView, TipsView

RESULT_TTL_SECONDS = 30 * 60
MAX_RESULTS = 500
MAX_BYTES = 64 * 1024 * 1024
"""What the kept images may take at most: the oldest results go first beyond it."""
RESULT_PATH = "/result"


def result_url(key: str) -> str:
    return f"{RESULT_PATH}/{key}"


def image_url(key: str, name: str) -> str:
    """Where the page finds one of a result's images (`photo.jpg`, `card.jpg`, ...)."""
    return f"{RESULT_PATH}/{key}/{name}"


@dataclass(frozen=True)
class StoredImage:
    data: bytes
    mime_type: str


@dataclass(frozen=True)
class CardOrder:
    """What drawing a result's card takes, kept until someone asks for it: the scored reply's
    `data`, the player's name and the page's language when the photo was played."""

    scored: Mapping[str, Any]
    display_name: str
    language: str


@dataclass(frozen=True)
class StoredResult:
    """What a result page shows, for the player who scored it.

    `tips_on_view`: the form was posted without the script, which would have fetched the tips
    itself, so the result page computes them when first shown (after the redirect, outside the
    upload's POST and its upload slot) and keeps them here.
    """

    player_id: str
    result: ResultView | None
    notices: tuple[Markup, ...]
    images: Mapping[str, StoredImage] = field(default_factory=dict)
    stored_at: float = 0.0
    tips_on_view: bool = False
    card: CardOrder | None = None
    season_board: BoardView | None = None
    """The season board as the photo left it (read when it was counted): the result page
    shows it instead of reading the board again; the other periods, and the board on `/`,
    are read fresh."""

    @property
    def tips_due(self) -> bool:
        return self.tips_on_view and self.result is not None and self.result.tips is None

    @property
    def size(self) -> int:
        return sum(len(image.data) for image in self.images.values())


class ResultStore:
    """A bounded, expiring map from upload key to result; safe to use from any thread."""

    def __init__(
        self,
        *,
        ttl: float = RESULT_TTL_SECONDS,
        max_results: int = MAX_RESULTS,
        max_bytes: int = MAX_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.max_results = max_results
        self.max_bytes = max_bytes
        self._clock = clock
        self._results: OrderedDict[str, StoredResult] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._results)

    @property
    def bytes(self) -> int:
        return self._bytes

    def put(self, key: str, stored: StoredResult) -> None:
        with self._lock:
            self._remove(key)
            self._results[key] = replace(stored, stored_at=self._clock())
            self._bytes += stored.size
            self._evict()

    def get(self, key: str, player_id: str) -> StoredResult | None:
        """The result when it is still kept and belongs to this player (else None: a result
        URL that leaks shows nobody else's photo)."""
        with self._lock:
            self._expire()
            stored = self._results.get(key)
        if stored is None or stored.player_id != player_id:
            return None
        return stored

    def add_tips(self, key: str, tips: TipsView, images: Mapping[str, StoredImage]) -> None:
        """Keep the tips fetched after the score, so reloading the result shows them too."""
        with self._lock:
            stored = self._results.get(key)
            if stored is None or stored.result is None:
                return
            self._replace(key, replace(stored, result=replace(stored.result, tips=tips)), images)

    def add_images(self, key: str, images: Mapping[str, StoredImage]) -> None:
        """Keep images drawn after the score (the result card), so they are drawn once."""
        with self._lock:
            stored = self._results.get(key)
            if stored is not None:
                self._replace(key, stored, images)

    def _replace(self, key: str, stored: StoredResult, images: Mapping[str, StoredImage]) -> None:
        old = self._results[key]
        merged = replace(stored, images={**stored.images, **images})
        self._bytes += merged.size - old.size
        self._results[key] = merged
        self._evict()

    def _remove(self, key: str) -> None:
        old = self._results.pop(key, None)
        if old is not None:
            self._bytes -= old.size

    def _expire(self) -> None:
        deadline = self._clock() - self.ttl
        while self._results:
            key, oldest = next(iter(self._results.items()))
            if oldest.stored_at > deadline:
                break
            self._remove(key)

    def _evict(self) -> None:
        self._expire()
        while self._results and (
            len(self._results) > self.max_results or self._bytes > self.max_bytes
        ):
            self._remove(next(iter(self._results)))
