"""answering: what a person sees of an update while the bot works on it; the answer's state.

`Answer` remembers whether anything was sent for an update (a failure then apologises only if
nothing was) and the callback query still to answer, claims the update once something is to be
done for it (`Game.claim_update`) and fences every message with that claim
(`Game.reply_starting`). `chat_action` keeps "sending photo…" on screen; `answer_if_slow`
stops a button's spinner when the game takes a while. `UpdateReplies` is the update's
`Transport`: where each of its replies goes (in place, a busy group's digest, an alert, the
asker's private chat).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any

from telegram import Bot, CallbackQuery
from telegram.constants import CallbackQueryLimit
from telegram.error import TelegramError

from bot.core.busy import BusyChats
from bot.core.events import EventFields
from bot.core.i18n import Translator
from bot.core.markup import to_plain
from bot.core.replies import Reply
from bot.telegram import busy
from bot.telegram.deliver import ChatTransport, Destination, Outbox, utf16_len

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


class UpdateReplies:
    """One update's replies as a `bot.core.transport.Transport`: a busy group's results join
    its digest, a private reply may become an alert or go to the asker's private chat (said
    once, on the button or by a note), everything else is posted in place."""

    def __init__(
        self,
        groups: BusyChats,
        outbox: Outbox,
        dest: Destination,
        answer: Answer,
        language: str | None,
        photo_of: str | None,
        *,
        notify_private: bool = False,
    ) -> None:
        self._groups = groups
        self._outbox = outbox
        self._dest = dest
        self._answer = answer
        self._language = language
        self._photo_of = photo_of
        self._group = None if dest.chat.is_private else int(dest.chat.chat_id)
        self._notify_private = notify_private
        """Whether a command's private reply gets a one-line note in the chat."""
        self._told_private = False

    async def send(self, reply: Reply) -> str:
        """Post one reply; its message id, "" for an alert or a digest not posted yet (the core
        needs an id only for photo results, never alerts)."""
        answer, group, photo_of = self._answer, self._group, self._photo_of
        answer.sent_anything = True
        if group is not None and photo_of is not None and self._groups.takes(group, False, reply):
            where = Destination(self._dest.chat, thread_id=self._dest.thread_id)
            poster = busy.GroupDigest(ChatTransport(Outbox(self._outbox.bot), where))
            digest_id = await self._groups.add(group, poster, self._language, photo_of, reply)
            return digest_id or ""
        if group is not None and photo_of is not None:
            self._groups.remember_card(group, photo_of, reply)  # a new best: listed too
        if group is not None and not reply.private:
            # Counted when decided, not when posted: a burst's results are decided while the
            # first cards are still on their way, and they must already find the group busy.
            self._groups.note_sent(group)
        alert = self._alert if answer.query else None
        delivered = await self._outbox.deliver(reply, self._dest, alert=alert)
        if group is not None and reply.private and not delivered.privately:
            self._groups.note_sent(group)  # a private reply the group got after all
        if delivered.privately and not delivered.as_alert and not self._told_private:
            self._told_private = True
            sent_privately = Translator(self._language)("telegram.sent_privately")
            if answer.query is not None:
                await answer.answer_query(to_plain(sent_privately))
            elif self._notify_private:
                await self._outbox.deliver(Reply(sent_privately), self._dest)
        return "" if delivered.message_id is None else str(delivered.message_id)

    async def edit(self, message_id: str, reply: Reply) -> bool:
        """Edit a message this update's answer posted (a digest is the group's to edit)."""
        return await self._outbox.edit(message_id, reply)

    async def _alert(self, text: str) -> bool:
        if utf16_len(text) > CallbackQueryLimit.ANSWER_CALLBACK_QUERY_TEXT_LENGTH:
            return False
        return await self._answer.answer_query(text, show_alert=True)
