"""busy: coalesce photo results in busy groups so every sender sees their score within seconds.

Telegram lets a bot post about 20 messages a minute into one group (PTB's `AIORateLimiter`
enforces it); in a contest 60 selfies a minute would queue their result cards for minutes.
Once the bot has posted `BUSY_AFTER` messages into a group within a minute, further results go
into one digest message ("Scores just in": a line per person) that is edited in place, at most
every `EDIT_EVERY_S` (a line waits `GATHER_S` for company when the digest was not touched
lately), so many results cost one edit; a result that beats the best score in the
digest still gets its full card. A digest takes `DIGEST_LINES` results, then the next starts.
Private chats are never coalesced.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.core.i18n import Translator
from bot.core.markup import literal
from bot.core.replies import Reply
from bot.telegram.render import to_telegram_html

log = logging.getLogger(__name__)

WINDOW_S = 60.0
BUSY_AFTER = 6
"""Messages posted into one group within `WINDOW_S` after which results are coalesced: the rest
of the ~20 a minute goes to digest edits and the best results' cards."""
EDIT_EVERY_S = 4.0
"""Least time between two edits of one digest: at most 15 a minute, the rest of the group's
budget is left for the digest itself and the best results' cards."""
GATHER_S = 1.0
"""How long a new line waits for others to share its edit, when the digest may be edited."""
DIGEST_LINES = 30


def score_of(reply: Reply) -> int | None:
    """The score of a scored-photo reply (the core's `data`), None for any other reply."""
    data = reply.data or {}
    score = data.get("score")
    return round(score) if isinstance(score, int | float) and "analysis" in data else None


@dataclass
class _Digest:
    """One group's digest message: its lines, the best score in it, and a pending edit."""

    chat_id: int
    thread_id: int | None
    language: str | None
    message_id: int | None = None
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


class BusyGroups:
    """Paces what the bot posts into groups; one per adapter (per process)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._sent: dict[int, deque[float]] = {}
        self._digests: dict[int, _Digest] = {}

    def note_sent(self, chat_id: int) -> None:
        """Count one message (or edit) the bot posted into `chat_id`."""
        recent = self._sent.setdefault(chat_id, deque())
        recent.append(self._clock())

    def busy(self, chat_id: int) -> bool:
        recent = self._sent.get(chat_id)
        if not recent:
            return False
        while recent and self._clock() - recent[0] > WINDOW_S:
            recent.popleft()
        return len(recent) >= BUSY_AFTER

    def takes(self, chat_id: int, is_private: bool, reply: Reply) -> bool:
        """Whether `reply` goes into the group's digest instead of its own card: a photo result
        in a busy group, unless it beats the best score of the digest (then it gets its card).
        A group that calmed down starts a fresh digest next time."""
        score = score_of(reply)
        if is_private or score is None:
            return False
        if not self.busy(chat_id):
            self._digests.pop(chat_id, None)
            return False
        digest = self._digests.get(chat_id)
        if digest is None or len(digest.lines) >= DIGEST_LINES:
            return True
        best = digest.best
        return best is None or score <= best

    def remember_card(self, chat_id: int, name: str, reply: Reply) -> None:
        """A result sent as its own card in a busy group still joins the digest's lines."""
        score = score_of(reply)
        digest = self._digests.get(chat_id)
        if score is not None and digest is not None and len(digest.lines) < DIGEST_LINES:
            digest.lines.append((name, score))

    async def add(
        self,
        bot: Bot,
        chat_id: int,
        thread_id: int | None,
        language: str | None,
        name: str,
        reply: Reply,
    ) -> int | None:
        """Put the result on the group's digest; the digest message's id (None if it failed)."""
        score = score_of(reply)
        assert score is not None
        digest = self._digests.get(chat_id)
        if digest is None or len(digest.lines) >= DIGEST_LINES:
            digest = _Digest(chat_id, thread_id, language)
            self._digests[chat_id] = digest
            digest.lines.append((name, score))
            await self._post(bot, digest)
            return digest.message_id
        digest.lines.append((name, score))
        await digest.created.wait()
        if digest.edit is None or digest.edit.done():
            digest.edit = asyncio.create_task(self._edit_soon(bot, digest))
        return digest.message_id

    def _wait(self, digest: _Digest) -> float:
        return max(GATHER_S, digest.touched + EDIT_EVERY_S - self._clock())

    async def _post(self, bot: Bot, digest: _Digest) -> None:
        try:
            message = await bot.send_message(
                chat_id=digest.chat_id,
                text=to_telegram_html(digest.text()),
                parse_mode=ParseMode.HTML,
                message_thread_id=digest.thread_id,
            )
        except TelegramError as exc:
            log.warning("Digest not posted in chat %s: %s", digest.chat_id, exc)
        else:
            digest.message_id = message.message_id
            digest.shown = len(digest.lines)
            self.note_sent(digest.chat_id)
        finally:
            digest.created.set()

    async def _edit_soon(self, bot: Bot, digest: _Digest) -> None:
        """One edit for every line added since the digest was last shown."""
        await asyncio.sleep(self._wait(digest))
        if digest.message_id is None or digest.shown == len(digest.lines):
            return
        shown = len(digest.lines)
        try:
            await bot.edit_message_text(
                chat_id=digest.chat_id,
                message_id=digest.message_id,
                text=to_telegram_html(digest.text()),
                parse_mode=ParseMode.HTML,
            )
        except TelegramError as exc:
            log.warning("Digest not updated in chat %s: %s", digest.chat_id, exc)
            return
        digest.shown = shown
        digest.touched = self._clock()
        self.note_sent(digest.chat_id)
        if shown < len(digest.lines):  # lines arrived during the edit
            digest.edit = asyncio.create_task(self._edit_soon(bot, digest))

    async def close(self) -> None:
        """Cancel pending edits (shutdown)."""
        for digest in self._digests.values():
            if digest.edit is not None:
                digest.edit.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await digest.edit
