"""The game facade adapters talk to (contract: bot/core/CONTRACT.md).

`handle` turns one platform-free event into replies; `due_announcements` hands out what the
core wants to say on its own. Idempotency lives here: every update is registered in storage
before it is handled, and only marked answered when the adapter reports the reply as sent, so a
re-delivered update is either ignored (already answered) or answered again the same way.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.core.commands import ButtonAction
from bot.core.context import Clock, Services, Turn, parse_tag, system_clock, update_tag
from bot.core.events import (
    ButtonEvent,
    ChatRef,
    CommandEvent,
    Event,
    PhotoEvent,
    ReactionCountEvent,
    ReactionEvent,
)
from bot.core.flows import admin, boards, duels, help, photo, privacy, taste, tips
from bot.core.i18n import Translator, personal_language
from bot.core.photocache import PhotoCache
from bot.core.replies import Announcement, Reply
from bot.core.scheduler import Scheduler
from bot.settings import Settings
from storage.records import UpdateState
from storage.repository import Store

if TYPE_CHECKING:
    from inference import Analyzer

log = logging.getLogger(__name__)


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
        photos = PhotoCache(
            ttl=timedelta(minutes=settings.tips_photo_ttl_minutes),
            max_items=settings.tips_cache_size,
            clock=clock,
        )
        self._svc = Services(settings, store, analyzer, clock, photos)
        self._owns_analyzer = owns_analyzer
        self._scheduler = Scheduler(self._svc)

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

            analyzer = Analyzer.from_settings(settings)
        store = await Store.open(settings.resolved_database_url)
        return cls(settings, store, analyzer, clock, owns_analyzer=owns_analyzer)

    async def close(self) -> None:
        """Close storage, and the analyzer too when `open` loaded it (its thread pools)."""
        await self.store.close()
        if self._owns_analyzer:
            self.analyzer.close()

    async def handle(self, event: Event) -> list[Reply]:
        """Replies to send for one event; [] for an update that was already answered.

        Never raises: a failure anywhere (storage down, a bug) is logged and answered with a
        polite message, and nothing half-done is counted (storage writes are transactions).
        """
        if isinstance(event, ReactionCountEvent):
            return await self._reaction_count(event)
        language: str | None = None
        try:
            turn = await self._turn(event)
            language = turn.t.language
            if isinstance(event, ReactionEvent):
                await self._reaction(turn, event)
                return []
            state = await self.store.begin_update(turn.chat.platform, event.update_id, now=turn.now)
            if state is UpdateState.ANSWERED:
                return []
            return await self._dispatch(turn)
        except Exception:
            log.exception("update %s on %s failed", event.update_id, event.chat.platform)
            if isinstance(event, ReactionEvent):
                return []
            text = Translator(language)("error.internal")
            return [Reply(text, tag=update_tag(event.update_id))]

    async def _turn(self, event: Event) -> Turn:
        """Register the chat and the sender (refreshing names) and fix the time of this event."""
        svc = self._svc
        now = svc.clock()
        chat = await self.store.upsert_chat(
            event.chat.platform,
            event.chat.chat_id,
            title=event.chat.title,
            is_private=event.chat.is_private,
            defaults=svc.chat_defaults(event.chat.platform, event),
            now=now,
        )
        sender = event.sender
        user = await self.store.upsert_user(
            sender.platform,
            sender.user_id,
            sender.display_name,
            username=sender.username,
            language=sender.language,
            chat_id=chat.id,
            now=now,
        )
        t = Translator(personal_language(user.language, chat.settings.language))
        return Turn(event, chat, user, now, t)

    async def reply_sent(self, chat: ChatRef, tag: str, message_id: str) -> None:
        """Remember the bot's message (reactions point at it) and mark the update answered."""
        parsed = parse_tag(tag)
        if parsed is None:
            return
        submission_id, update_id = parsed
        if submission_id is not None:
            await self.store.set_bot_message_id(submission_id, message_id)
        await self.store.mark_update_answered(chat.platform, update_id, now=self._svc.clock())

    async def auto_score_enabled(self, chat: ChatRef) -> bool:
        """Whether photos posted in `chat` without a command should be scored.

        Adapters ask before downloading anything, so photos in chats that did not opt in are
        never fetched; an unseen chat gets its platform's default.
        """
        record = await self.store.get_chat_by_platform_id(chat.platform, chat.chat_id)
        if record is None:
            return self._svc.chat_defaults(chat.platform).auto_score
        return record.settings.auto_score

    async def due_announcements(self, platform: str) -> list[Announcement]:
        """Season results, duel outcomes, weekly awards and streak reminders now due."""
        return await self._scheduler.due(platform)

    async def _dispatch(self, turn: Turn) -> list[Reply]:
        event, svc = turn.event, self._svc
        if isinstance(event, PhotoEvent):
            return await photo.handle_photo(svc, turn, event)
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
