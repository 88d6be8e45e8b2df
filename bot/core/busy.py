"""busy: coalesce photo results in busy group chats, the same policy on every chat platform.

A platform lets a bot post only so many messages into one chat (Telegram about 20 a minute
per group, Discord about 5 per 5 seconds per channel); in a contest the result cards of a
burst of selfies would queue behind that limit for minutes. Once the bot has posted
`Pace.busy_after` messages into a chat within `Pace.window_s`, further results go into one
digest message ("Scores just in": a line per person) that is edited in place, at most every
`Pace.edit_every_s` (a line waits `Pace.gather_s` for company when the digest was not touched
lately), so many results cost one edit; a result that beats the best score in the digest still
gets its full card. A digest takes `Pace.digest_lines` results, then the next starts. Private
chats are never coalesced.

The adapter says what a post and an edit are (a `Transport`, the core's one protocol: `send`
posts the digest and `edit` rewrites it, given a `Reply` of the core's text with its markup,
which each platform renders its own way; a digest's transport is best effort, logging a refusal
instead of raising) and what its platform's pace is; the rest (when a chat is busy, which
results join, when to edit) lives here, once.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from bot.core.i18n import Translator
from bot.core.markup import literal
from bot.core.replies import Reply
from bot.core.transport import Transport


@dataclass(frozen=True)
class Pace:
    """One platform's budget for a chat: when it counts as busy and how often a digest may
    change."""

    window_s: float
    busy_after: int
    """Messages posted into one chat within `window_s` after which results are coalesced."""
    edit_every_s: float
    """Least time between two edits of one digest."""
    gather_s: float
    """How long a new line waits for others to share its edit, when the digest may be edited."""
    digest_lines: int = 30
    card_budget: int | None = None
    """Posts within `window_s` after which even a new best joins the digest instead of its
    card, so new digests still find room in a tight budget; None: new bests always get it."""


def score_of(reply: Reply) -> int | None:
    """The score of a scored-photo reply (the core's `data`), None for any other reply."""
    data = reply.data or {}
    score = data.get("score")
    return round(score) if isinstance(score, int | float) and "analysis" in data else None


@dataclass
class _Digest:
    """One chat's digest message: its lines, the best score in it, and a pending edit."""

    poster: Transport
    language: str | None
    message_id: str | None = None
    lines: list[tuple[str, int]] = field(default_factory=list)
    shown: int = 0
    touched: float = 0.0
    edit: asyncio.Task[None] | None = None
    created: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def best(self) -> int | None:
        return max((score for _, score in self.lines), default=None)

    def text(self) -> str:
        t = Translator(self.language)
        lines = [t("busy.digest_title")]
        lines += [
            t("busy.digest_line", name=literal(name), score=score) for name, score in self.lines
        ]
        return "\n".join(lines)


class BusyChats:
    """Paces what the bot posts into group chats; one per adapter (per process)."""

    def __init__(self, pace: Pace, clock: Callable[[], float] = time.monotonic) -> None:
        self.pace = pace
        self._clock = clock
        self._sent: dict[Hashable, deque[float]] = {}
        self._digests: dict[Hashable, _Digest] = {}
        # One edit in flight per chat: a client learns a rate-limit bucket from its first
        # answer (discord.py holds concurrent requests to an unknown bucket until it resets).
        self._editing: dict[Hashable, asyncio.Lock] = {}

    def note_sent(self, chat: Hashable) -> None:
        """Count one message (or edit) the bot posted into `chat`."""
        recent = self._sent.setdefault(chat, deque())
        recent.append(self._clock())

    def busy(self, chat: Hashable) -> bool:
        recent = self._sent.get(chat)
        if not recent:
            return False
        while recent and self._clock() - recent[0] > self.pace.window_s:
            recent.popleft()
        return len(recent) >= self.pace.busy_after

    def takes(self, chat: Hashable, is_private: bool, reply: Reply) -> bool:
        """Whether `reply` goes into the chat's digest instead of its own card: a photo result
        in a busy chat, unless it beats the best score of the digest (then it gets its card).
        A chat that calmed down starts a fresh digest next time."""
        score = score_of(reply)
        if is_private or score is None:
            return False
        if not self.busy(chat):
            self._digests.pop(chat, None)
            return False
        digest = self._digests.get(chat)
        if digest is None or len(digest.lines) >= self.pace.digest_lines:
            return True
        best = digest.best
        budget = self.pace.card_budget
        spent = budget is not None and len(self._sent[chat]) >= budget
        return best is None or score <= best or spent

    def remember_card(self, chat: Hashable, name: str, reply: Reply) -> None:
        """A result sent as its own card in a busy chat still joins the digest's lines, and
        the digest is edited soon: the card may wait for the chat's posting budget, while
        edits often have their own."""
        score = score_of(reply)
        digest = self._digests.get(chat)
        if score is None or digest is None or len(digest.lines) >= self.pace.digest_lines:
            return
        digest.lines.append((name, score))
        if digest.created.is_set() and (digest.edit is None or digest.edit.done()):
            digest.edit = asyncio.create_task(self._edit_soon(chat, digest))

    async def add(
        self,
        chat: Hashable,
        poster: Transport,
        language: str | None,
        name: str,
        reply: Reply,
    ) -> str | None:
        """Put the result on the chat's digest; the digest message's id (None if it failed).
        `poster` is used when this result starts a new digest."""
        score = score_of(reply)
        assert score is not None
        digest = self._digests.get(chat)
        if digest is None or len(digest.lines) >= self.pace.digest_lines:
            digest = _Digest(poster, language)
            self._digests[chat] = digest
            digest.lines.append((name, score))
            await self._post(chat, digest)
            return digest.message_id
        digest.lines.append((name, score))
        await digest.created.wait()
        if digest.edit is None or digest.edit.done():
            digest.edit = asyncio.create_task(self._edit_soon(chat, digest))
        return digest.message_id

    async def _post(self, chat: Hashable, digest: _Digest) -> None:
        """Post the digest with the lines it has now; lines added while the post waits for
        the platform are shown by the first edit."""
        shown = len(digest.lines)
        try:
            digest.message_id = await digest.poster.send(Reply(digest.text()))
            if digest.message_id is not None:
                digest.shown = shown
                self.note_sent(chat)
        finally:
            digest.created.set()

    async def _edit_soon(self, chat: Hashable, digest: _Digest) -> None:
        """One edit for every line added since the digest was last shown, one chat's edits
        one at a time."""
        wait = max(self.pace.gather_s, digest.touched + self.pace.edit_every_s - self._clock())
        await asyncio.sleep(wait)
        if digest.message_id is None or digest.shown == len(digest.lines):
            return
        async with self._editing.setdefault(chat, asyncio.Lock()):
            shown = len(digest.lines)
            if not await digest.poster.edit(digest.message_id, Reply(digest.text())):
                return
        digest.shown = shown
        digest.touched = self._clock()
        self.note_sent(chat)
        if shown < len(digest.lines):  # lines arrived during the edit
            digest.edit = asyncio.create_task(self._edit_soon(chat, digest))

    async def close(self) -> None:
        """Cancel pending edits (shutdown)."""
        for digest in self._digests.values():
            if digest.edit is not None:
                digest.edit.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await digest.edit
