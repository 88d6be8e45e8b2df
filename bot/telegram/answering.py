"""answering: what a person sees of an update while the bot works on it; the answer's state.

`Answer` remembers whether anything was sent for an update (a failure then apologises only if
nothing was) and the callback query still to answer, claims the update once something is to be
done for it (`Game.claim_update`) and fences every message with that claim
(`Game.reply_starting`). `chat_action` keeps "sending photo…" on screen; `answer_if_slow`
stops a button's spinner when the game takes a while.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any

from telegram import Bot, CallbackQuery
from telegram.error import TelegramError

from bot.core.events import EventFields
from bot.telegram.deliver import Destination

log = logging.getLogger(__name__)

CHAT_ACTION_EVERY_S = 4.0
"""Telegram shows a chat action for about five seconds; renew it a little before."""

BUTTON_ANSWER_AFTER_S = 2.0
"""A button press still being worked on after this long gets an empty answer right away."""


Claim = Callable[[EventFields | None, bool, bool], Awaitable[bool]]
"""`Game.claim_update` for one update: (the fields of the event it becomes, is it a photo, only
if its chat scores photos posted without a command)."""


class Answer:
    """Tracks one update's answer: whether anything was sent (so a failure can apologise
    without replying twice), the callback query still to answer, and the claim that fences
    every message sent for it (`Game.reply_starting`).

    The claim is taken when the adapter knows what the update is: with the event's fields when
    it goes to the game (the claim registers its chat and sender too, and reads a photo's
    arrival, in one transaction), plain before anything else is sent; never for an update
    that is ignored, which costs no transaction at all."""

    def __init__(
        self,
        query: CallbackQuery | None,
        fence: Callable[[], Awaitable[bool]] | None = None,
        claim: Claim | None = None,
    ) -> None:
        self.query = query
        self.query_answered = False
        self.sent_anything = False
        self._fence = fence
        self._claim = claim
        self.claimed: bool | None = None
        """None until claimed: then whether this process owns the update."""

    async def claim(
        self,
        fields: EventFields | None = None,
        *,
        is_photo: bool = False,
        if_auto_score: bool = False,
    ) -> bool:
        """Claim the update (once): False means another copy owns it, or (`if_auto_score`) the
        chat does not score photos posted without a command, so drop this one."""
        if self.claimed is None:
            self.claimed = self._claim is None or await self._claim(fields, is_photo, if_auto_score)
        return self.claimed

    async def may_send(self) -> bool:
        """Whether this process owns the update; records that a reply goes out now."""
        return await self.claim() and (self._fence is None or await self._fence())

    async def answer_query(self, text: str | None = None, *, show_alert: bool = False) -> bool:
        if self.query is None or self.query_answered:
            return False
        self.query_answered = True
        try:
            await self.query.answer(text=text, show_alert=show_alert)
        except TelegramError as exc:
            log.info("Could not answer callback query: %s", exc)
            return False
        return True


@contextlib.asynccontextmanager
async def answer_if_slow(answer: Answer) -> AsyncIterator[None]:
    """Stop the button's spinner if the game takes a while (Telegram drops a query left
    unanswered for long); a quick answer keeps the chance to reply with an alert instead."""

    async def answer_later() -> None:
        await asyncio.sleep(BUTTON_ANSWER_AFTER_S)
        await asyncio.shield(answer.answer_query())  # once started, let it finish

    async with _alongside(answer_later()):
        yield


@contextlib.asynccontextmanager
async def chat_action(bot: Bot, dest: Destination, action: str) -> AsyncIterator[None]:
    """Show "sending photo…" (or "typing…") in the chat until the block finishes."""

    async def keep_showing() -> None:
        while True:
            try:
                await bot.send_chat_action(
                    int(dest.chat.chat_id), action, message_thread_id=dest.thread_id
                )
            except TelegramError as exc:
                log.debug("Chat action not shown: %s", exc)
            await asyncio.sleep(CHAT_ACTION_EVERY_S)

    async with _alongside(keep_showing()):
        yield


@contextlib.asynccontextmanager
async def _alongside(work: Coroutine[Any, Any, None]) -> AsyncIterator[None]:
    """Run `work` as a task for as long as the block runs, then cancel it and wait it out."""
    task = asyncio.create_task(work)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
