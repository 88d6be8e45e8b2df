"""The game facade adapters talk to (contract: bot/core/CONTRACT.md).

`handle` turns one platform-free event into replies; `due_announcements` hands out what the
core wants to say on its own. Idempotency lives here: every update is claimed in storage before
it is handled (`storage.claims`), so of all the copies of one delivery, in any number of
processes, exactly one is handled; its reply is fenced (recorded as going out, in the
transaction that counts a photo or right before the adapter sends) and marked answered when the
adapter reports it sent, so a copy that arrives after a crash is answered again only if no reply
can have gone out. An adapter that claims with the event's fields saves `handle` its own
registering transaction: a photo costs three transactions on every front end.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from bot.core.commands import ButtonAction
from bot.core.context import Clock, Services, Turn, parse_tag, system_clock, update_tag
from bot.core.events import (
    ButtonEvent,
    CardFormat,
    ChatRef,
    CommandEvent,
    Event,
    EventBase,
    EventFields,
    PhotoEvent,
    ReactionCountEvent,
    ReactionEvent,
    Sender,
)
from bot.core.flows import admin, boards, duels, help, photo, privacy, taste, tips, unrecorded
from bot.core.flows.photo import Arrival
from bot.core.flows.unrecorded import Preview
from bot.core.i18n import Translator, personal_language
from bot.core.replies import Announcement, Reply
from bot.core.scheduler import Scheduler
from bot.settings import Settings
from storage.claims import Claim, new_owner
from storage.repository import Store

if TYPE_CHECKING:
    from inference import Analyzer

log = logging.getLogger(__name__)
T = TypeVar("T")


class _ClaimLost(Exception):
    """Raised inside the transaction that records a reply going out when another process
    retook the update meanwhile: the transaction (the photo's count) is rolled back."""


class Game:
    """One game over one database; safe to share between adapters in one process."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        analyzer: Analyzer,
        clock: Clock = system_clock,
        *,
        owns_analyzer: bool = False,
    ) -> None:
        self.settings = settings
        self.store = store
        self.analyzer = analyzer
        self._svc = Services(settings, store, analyzer, clock)
        self._owns_analyzer = owns_analyzer
        self._scheduler = Scheduler(self._svc)
        self._lease = timedelta(seconds=settings.update_lease_seconds)
        self._process = f"{socket.gethostname()}:{os.getpid()}"
        self._held: dict[tuple[str, str], str] = {}
        """Claims this process holds, by (platform, update id): the owner token of each."""
        self._arrived: dict[tuple[str, str], tuple[Turn, Arrival | None]] = {}
        """What the claiming transaction registered and read for a held update (`claim_update`
        with `arriving`), waiting for `handle`."""
        self._going_out: set[tuple[str, str]] = set()
        """Held updates whose reply is already recorded as going out (the fence passed)."""
        self._lost: set[tuple[str, str]] = set()
        """Updates this process claimed and then lost to another: nothing may be sent."""
        self._handling: set[tuple[str, str]] = set()

    @classmethod
    async def open(
        cls,
        settings: Settings,
        analyzer: Analyzer | None = None,
        *,
        clock: Clock = system_clock,
    ) -> Game:
        """Open storage (migrating it) and load the models unless an analyzer is given.

        `clock` lets tests and simulations drive time (seasons, streaks, duels).
        """
        owns_analyzer = analyzer is None
        if analyzer is None:
            from inference import Analyzer

            analyzer = Analyzer.from_config(settings.analyzer_config())
        store = await Store.open(settings.resolved_database_url)
        return cls(settings, store, analyzer, clock, owns_analyzer=owns_analyzer)

    async def close(self) -> None:
        """Close storage, and the analyzer too when `open` loaded it (its thread pools)."""
        await self.store.close()
        if self._owns_analyzer:
            self.analyzer.close()

    async def claim_update(
        self,
        platform: str,
        update_id: str,
        *,
        arriving: EventFields | None = None,
        is_photo: bool = False,
        if_auto_score: bool = False,
    ) -> bool:
        """Take a delivery before doing any work on it (downloads, acknowledgements).

        False: another copy is being handled, or was answered, in this or another process;
        acknowledge this copy to the platform and drop it without a word. True: this process
        owns it until `finish_update`/`release_update` (or `reply_sent`), or until the lease
        (`SELFIEBOT_UPDATE_LEASE_SECONDS`) runs out. Adapters that never call it get the same
        guarantee from `handle`, which claims unclaimed updates itself.

        `arriving` (the delivery's chat and sender, given once the adapter knows the update
        goes to `handle`): the same transaction registers them and, for a photo (`is_photo`), reads
        whether it is a re-delivery and whether its sender is over the rate limit, all of which
        `handle` would otherwise do in a transaction of its own. Only the claim needs no photo,
        so this still happens before the download. `if_auto_score` (a photo posted in a group
        without a command): False, and nothing claimed or registered, unless the chat scores
        such photos (`auto_score_enabled`), asked in the same transaction.
        """
        key = (platform, update_id)
        if key in self._held:
            return False
        if arriving is None:
            return self._took(await self._claim(key))
        event = EventBase(**arriving)
        owner = new_owner(self._process)
        now = self._svc.clock()

        async def work(tx: Store) -> tuple[Claim | None, tuple[Turn, Arrival | None] | None]:
            if if_auto_score and not await self._auto_scores(tx, event.chat):
                return None, None
            claimed = await tx.claims.claim(*key, owner, lease=self._lease, now=now)
            if not claimed.taken:
                return claimed, None
            turn = await self._register(tx, event, now)
            if not is_photo:
                return claimed, (turn, None)
            first = claimed.first_claim
            return claimed, (turn, await photo.arrive(tx, turn, event, first_claim=first))

        claimed, arrived = await self._claiming(work)
        if claimed is None or not self._took(claimed):
            return False
        assert arrived is not None
        self._arrived[key] = arrived
        return True

    async def _claim(self, key: tuple[str, str]) -> Claim:
        owner, now = new_owner(self._process), self._svc.clock()
        return await self._claiming(
            lambda tx: tx.claims.claim(*key, owner, lease=self._lease, now=now)
        )

    async def _claiming(self, work: Callable[[Store], Awaitable[T]]) -> T:
        """A transaction that claims an update, run ahead of the writes queued in this process
        (`Store.transaction`): nothing of its update (download, analysis) starts before it,
        while a photo waiting to be counted has had its analysis."""
        return await self.store.transaction(work, ahead=True)

    def _took(self, claim: Claim) -> bool:
        """Hold a claim taken in storage; log why a copy is dropped."""
        platform, update_id = claim.platform, claim.update_id
        if not claim.taken:
            log.info(
                "Update %s on %s is %s elsewhere; copy dropped", update_id, platform, claim.state
            )
            return False
        if claim.retaken:
            log.info("Update %s on %s retaken after its owner's lease ran out", update_id, platform)
        self._held[(platform, update_id)] = claim.owner
        return True

    async def finish_update(self, platform: str, update_id: str) -> None:
        """The adapter is done with a claimed update (answered, or nothing to say): copies that
        arrive later are dropped. Nothing to write when `reply_sent` already marked it answered
        (or the claim was lost to another process, which answers instead)."""
        if self._let_go((platform, update_id)) is None:
            return
        await self.store.updates.mark_answered(platform, update_id, now=self._svc.clock())

    async def release_update(self, platform: str, update_id: str) -> None:
        """Give a claimed update up after a failure before anything was sent, so a
        re-delivery is handled at once instead of after the lease."""
        owner = self._let_go((platform, update_id))
        if owner is not None:
            await self.store.claims.release(platform, update_id, owner)

    def _let_go(self, key: tuple[str, str]) -> str | None:
        """Forget everything this process keeps about a claim; the owner token, if held."""
        self._arrived.pop(key, None)
        self._going_out.discard(key)
        self._lost.discard(key)
        return self._held.pop(key, None)

    async def handle(self, event: Event) -> list[Reply]:
        """Replies to send for one event; [] for a copy of an update handled elsewhere.

        Never raises: a failure anywhere (storage down, a bug) is logged and answered with a
        polite message, and nothing half-done is counted (storage writes are transactions).
        """
        if isinstance(event, ReactionCountEvent):
            return await self._reaction_count(event)
        if isinstance(event, ReactionEvent):
            return await self._handle_reaction(event)
        key = (event.chat.platform, event.update_id)
        if key in self._handling:
            return []
        self._handling.add(key)
        try:
            return await self._handle_claimed(event, key)
        finally:
            self._handling.discard(key)

    async def _handle_claimed(
        self, event: PhotoEvent | CommandEvent | ButtonEvent, key: tuple[str, str]
    ) -> list[Reply]:
        language: str | None = None
        claimed_here = False
        try:
            arrived = await self._arrive(event, claim=key not in self._held)
            if arrived is None:
                return []
            turn, arrival = arrived
            claimed_here = key in self._held and arrival.claimed
            language = turn.t.language
            replies = await self._dispatch(turn, arrival)
        except _ClaimLost:
            self._lose(key)
            return []
        except Exception:
            # The transaction that recorded the reply as going out may have been rolled back:
            # the apology asks the fence again (`reply_starting`).
            self._going_out.discard(key)
            log.exception("update %s on %s failed", event.update_id, event.chat.platform)
            replies = [Reply(Translator(language)("error.internal"), tag=update_tag(key[1]))]
        try:
            return await self._finish_if_silent(key, replies)
        finally:
            if claimed_here:
                # An adapter that does not claim does not fence its sends either; the claim
                # stays in storage (copies are dropped until its lease ends), the token goes.
                self._held.pop(key, None)

    async def _finish_if_silent(self, key: tuple[str, str], replies: list[Reply]) -> list[Reply]:
        """An update with nothing to say is finished at once: its copies are dropped."""
        if not replies and key in self._held:
            try:
                await self.finish_update(*key)
            except Exception:
                log.exception("Could not mark update %s on %s answered", key[1], key[0])
        return replies

    async def reply_starting(self, platform: str, update_id: str) -> bool:
        """Call right before sending anything for an update claimed with `claim_update`.

        Records, in the step that sends, that a reply is going out, so a process that retakes
        the update after a crash never posts a second one. False: this process lost the claim
        (its lease ran out and another process retook the update), so send nothing. Free when
        `handle` recorded it already, in the transaction that counted a photo (`_fence`).
        """
        key = (platform, update_id)
        if key in self._lost:
            return False
        owner = self._held.get(key)
        if owner is None or key in self._going_out:
            return True
        try:
            if await self.store.claims.start_sending(
                platform, update_id, owner, now=self._svc.clock()
            ):
                self._going_out.add(key)
                return True
        except Exception:
            # Storage is down: answering without the fence beats not answering at all.
            log.exception("Could not record the reply to update %s on %s", update_id, platform)
            return True
        self._lose(key)
        return False

    def _fence(self, key: tuple[str, str]) -> Callable[[Store], Awaitable[None]]:
        """`Turn.fence` for an update the adapter claimed: `reply_starting`'s record, made in
        the caller's transaction (a photo's count), so the send after it costs no transaction
        of its own. Raises `_ClaimLost`, rolling that transaction back, when another process
        retook the update: it counts and answers the photo instead. Once it passed, nobody can
        retake the update, so the lease no longer matters; what remains between it and the
        send is drawing the card and the platform call.

        It writes even when an earlier attempt passed: the caller's transaction runs again
        from scratch after a transient error, and the earlier record was rolled back with it."""

        async def fence(tx: Store) -> None:
            owner = self._held.get(key)
            if owner is None:
                return
            if not await tx.claims.start_sending(*key, owner, now=self._svc.clock()):
                raise _ClaimLost
            self._going_out.add(key)

        return fence

    def _lose(self, key: tuple[str, str]) -> None:
        """The claim was retaken by another process: send nothing, mark nothing."""
        self._let_go(key)
        self._lost.add(key)
        log.warning("Update %s on %s was retaken elsewhere meanwhile; not sent", key[1], key[0])

    async def _handle_reaction(self, event: ReactionEvent) -> list[Reply]:
        """Reactions carry their own receipt ids and answer nothing, so they are not claimed."""
        try:
            await self._reaction(await self._turn(event), event)
        except Exception:
            log.exception("reaction %s on %s failed", event.update_id, event.chat.platform)
        return []

    async def _arrive(
        self, event: PhotoEvent | CommandEvent | ButtonEvent, *, claim: bool
    ) -> tuple[Turn, Arrival] | None:
        """Claim the update (unless the adapter did), register chat and sender and, for a
        photo, read what decides whether it is analysed at all: one transaction.

        None: a copy of an update handled elsewhere (nothing was registered). An update the
        adapter claimed with `arriving` was registered (and its photo read) by that claim.
        """
        key = (event.chat.platform, event.update_id)
        early = self._arrived.pop(key, None)
        if early is not None and (early[0].event.chat, early[0].event.sender) == (
            event.chat,
            event.sender,
        ):
            resumed = replace(early[0], event=event, fence=self._fence(key))
            if not isinstance(event, PhotoEvent):
                return resumed, Arrival()
            if early[1] is not None:
                return resumed, early[1]
            found = await self.store.transaction(lambda tx: photo.arrive(tx, resumed, event))
            return resumed, found
        owner = new_owner(self._process)
        now = self._svc.clock()

        async def work(tx: Store) -> tuple[Claim | None, Turn | None, Arrival]:
            claimed = None
            if claim:
                claimed = await tx.claims.claim(*key, owner, lease=self._lease, now=now)
                if not claimed.taken:
                    return claimed, None, Arrival()
            turn = await self._register(tx, event, now)
            found = None
            if isinstance(event, PhotoEvent):
                first = claimed is not None and claimed.first_claim
                found = await photo.arrive(tx, turn, event, first_claim=first)
            return claimed, turn, replace(found or Arrival(), claimed=claimed is not None)

        claimed, turn, arrival = await self._claiming(work)
        if claimed is not None and not self._took(claimed):
            return None
        assert turn is not None
        if claimed is None:
            turn = replace(turn, fence=self._fence(key))
        return turn, arrival

    async def _turn(self, event: EventBase) -> Turn:
        """Register the chat and the sender (one transaction) and fix the time of this event."""
        now = self._svc.clock()
        return await self.store.transaction(lambda tx: self._register(tx, event, now))

    async def _register(self, store: Store, event: EventBase, now: datetime) -> Turn:
        """Register the chat and the sender (refreshing names) in `store`'s transaction."""
        svc = self._svc
        chat = await store.chats.upsert(
            event.chat.platform,
            event.chat.chat_id,
            title=event.chat.title,
            is_private=event.chat.is_private,
            defaults=svc.chat_defaults(event.chat.platform, event),
            now=now,
        )
        sender = event.sender
        user = await store.users.upsert(
            sender.platform,
            sender.user_id,
            sender.display_name,
            username=sender.username,
            language=sender.language,
            chat_id=chat.id,
            now=now,
        )
        t = Translator(personal_language(user.language, chat.settings.language), chat.platform)
        return Turn(event, chat, user, now, t)

    async def reply_sent(self, chat: ChatRef, tag: str, message_id: str) -> None:
        """Remember the bot's message (reactions point at it) and mark the update answered."""
        parsed = parse_tag(tag)
        if parsed is None:
            return
        submission_id, update_id = parsed
        self._let_go((chat.platform, update_id))
        now = self._svc.clock()

        async def work(tx: Store) -> None:
            if submission_id is not None:
                await tx.submissions.set_bot_message_id(submission_id, message_id)
            await tx.updates.mark_answered(chat.platform, update_id, now=now)

        await self.store.transaction(work)

    async def board(self, chat: ChatRef, period: str, viewer: Sender | None = None) -> Reply:
        """The chat's board for `period` (one of `boards.PERIODS`), as `/top` builds it but
        without a picture, and read in one transaction without claiming or recording an update:
        for a page that shows the board on every view.

        `data` has the entries and the viewer's rank (None for a viewer never seen here). An
        unseen chat is registered with its defaults, as its first update would.
        """
        if period not in boards.PERIODS:
            raise ValueError(f"unknown board period {period!r}")
        svc, now = self._svc, self._svc.clock()

        async def work(tx: Store) -> Reply:
            record = await tx.chats.by_platform_id(chat.platform, chat.chat_id)
            if record is None:
                record = await tx.chats.upsert(
                    chat.platform,
                    chat.chat_id,
                    title=chat.title,
                    is_private=chat.is_private,
                    defaults=svc.chat_defaults(chat.platform),
                    now=now,
                )
            user = (
                await tx.users.by_platform_id(viewer.platform, viewer.user_id) if viewer else None
            )
            in_tx = replace(svc, store=tx)
            viewer_id = user.id if user is not None else None
            return await boards.board(
                in_tx, record, period, now, viewer_id=viewer_id, picture=False
            )

        return await self.store.transaction(work)

    async def score_unrecorded(self, photo: bytes) -> dict[str, Any]:
        """Analyse a photo without playing it (the JSON API): nothing is claimed or recorded.

        The analysis as `inference.Analysis.to_dict` gives it; raises
        `unrecorded.PhotoRefused` (the reason and sentence a chat would get) for a photo the
        analyzer refuses, with the same limits.
        """
        return await unrecorded.score_unrecorded(self._svc, photo)

    async def preview(self, photo: bytes, max_side: int) -> Preview:
        """An upright JPEG of the photo for a page to show, at most `max_side` pixels a side,
        with the full-size dimensions its face boxes refer to; raises `unrecorded.PhotoRefused`
        for a photo the analyzer would refuse (before anything is recorded)."""
        limits = (self.analyzer.max_pixels, self.analyzer.max_bytes)
        return await asyncio.to_thread(unrecorded.preview, photo, max_side, *limits)

    async def result_card(
        self,
        picture: bytes,
        scored: Mapping[str, Any],
        display_name: str,
        language: str | None,
        platform: str,
    ) -> bytes:
        """The JPEG result card of a photo scored earlier, drawn from its display copy
        (`preview`) and its scored reply's `data`, for a front end that draws it only when
        someone asks for it."""
        t = Translator(language, platform)
        return await asyncio.to_thread(
            unrecorded.result_card, picture, scored, display_name, t, CardFormat.JPEG
        )

    async def auto_score_enabled(self, chat: ChatRef) -> bool:
        """Whether photos posted in `chat` without a command should be scored.

        Adapters ask before downloading anything, so photos in chats that did not opt in are
        never fetched; an unseen chat gets its platform's default. A photo's own claim can ask
        in its transaction instead (`claim_update(..., if_auto_score=True)`).
        """
        return await self._auto_scores(self.store, chat)

    async def _auto_scores(self, store: Store, chat: ChatRef) -> bool:
        record = await store.chats.by_platform_id(chat.platform, chat.chat_id)
        if record is None:
            return self._svc.chat_defaults(chat.platform).auto_score
        return record.settings.auto_score

    async def due_announcements(self, platform: str) -> list[Announcement]:
        """Season results, duel outcomes, weekly awards and streak reminders now due."""
        return await self._scheduler.due(platform)

    async def _dispatch(self, turn: Turn, arrival: Arrival) -> list[Reply]:
        event, svc = turn.event, self._svc
        if isinstance(event, PhotoEvent):
            return await photo.handle_photo(svc, turn, event, arrival)
        if isinstance(event, ButtonEvent):
            return await self._button(turn, event)
        if isinstance(event, CommandEvent):
            return await self._command(turn, event)
        return []

    async def _command(self, turn: Turn, event: CommandEvent) -> list[Reply]:
        svc, name = self._svc, event.name.lower().lstrip("/")
        if name in ("start", "help"):
            return help.help_text(turn, svc.settings.taste_min_rated_photos)
        if name == "rate":
            text = turn.t("photo.rate_needs_photo", rate_command=turn.rate_command)
            return [Reply(text, tag=update_tag(turn.update_id))]
        if name == "top":
            return await boards.top(svc, turn, event.args)
        if name == "me":
            return await boards.me(svc, turn)
        if name == "badges":
            return await boards.badges(turn)
        if name == "tips":
            return await tips.tips(svc, turn)
        if name == "duel":
            return await duels.challenge(svc, turn, event)
        if name == "whatworks":
            return await taste.whatworks(svc, turn)
        if name == "privacy":
            return privacy.privacy(svc, turn)
        if name == "forgetme":
            return privacy.ask_forget(turn)
        if name == "export":
            return await privacy.export(svc, turn)
        if name == "settings":
            return await admin.show_settings(svc, turn)
        if name in admin.ADMIN_COMMANDS:
            return await admin.admin(svc, turn, event)
        return help.unknown(turn, name)

    async def _button(self, turn: Turn, event: ButtonEvent) -> list[Reply]:
        svc, action = self._svc, event.action
        if action == ButtonAction.TIPS:
            return await tips.tips(svc, turn)
        if action == ButtonAction.TOP:
            return await boards.top(svc, turn, (event.payload,) if event.payload else ())
        if action == ButtonAction.ME:
            return await boards.me(svc, turn)
        if action in (ButtonAction.FORGET_CONFIRM, ButtonAction.FORGET_CANCEL):
            return await privacy.forget_button(svc, turn, event)
        if action in (ButtonAction.DUEL_ACCEPT, ButtonAction.DUEL_DECLINE):
            return await duels.answer(svc, turn, event)
        return []

    async def _reaction(self, turn: Turn, event: ReactionEvent) -> None:
        """Reactions on a scored photo or its result teach the group taste model."""
        await taste.reaction(self._svc, turn, event)

    async def _reaction_count(self, event: ReactionCountEvent) -> list[Reply]:
        """Anonymous reaction totals: no sender to register, nothing to answer."""
        try:
            await taste.reaction_count(self._svc, event)
        except Exception:
            log.exception("reaction count %s on %s failed", event.update_id, event.chat.platform)
        return []
