"""What every flow receives: the shared services and the facts about the event being handled."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.core.events import EventBase
from bot.core.i18n import Translator, chat_language, new_chat_language
from bot.settings import Settings
from storage.records import ChatRecord, ChatSettings, UserRecord

if TYPE_CHECKING:
    from inference import Analyzer
    from storage.repository import Store

Clock = Callable[[], datetime]
OPT_IN_PLATFORMS = frozenset({"discord"})
# The explicit "score this photo" command differs: Discord's slash command is /score.
RATE_COMMANDS = {"discord": "/score"}


def system_clock() -> datetime:
    """Real time in UTC; tests inject their own clock instead."""
    return datetime.now(UTC)


@dataclass
class Services:
    """Long-lived dependencies, built once by `Game.open` and shared by every flow."""

    settings: Settings
    store: Store
    analyzer: Analyzer
    clock: Clock

    def chat_defaults(self, platform: str, event: EventBase | None = None) -> ChatSettings:
        """Settings a chat starts with, taken from the global configuration.

        Discord channels opt in to scoring every photo (`/autoscore on`): a bot reading every
        attachment in a busy server uninvited would be unwelcome. The language comes from the
        first event's hints (`bot.core.i18n.languages.new_chat_language`).
        """
        hints = (event.chat.language, event.sender.language) if event else (None, None)
        private = event.chat.is_private if event else False
        return ChatSettings(
            season_days=self.settings.season_days,
            rate_limit_photos=self.settings.rate_limit_photos,
            rate_limit_window_minutes=self.settings.rate_limit_window_minutes,
            auto_score=platform not in OPT_IN_PLATFORMS,
            language=new_chat_language(*hints, private, self.settings.default_language),
        )


@dataclass(frozen=True)
class Turn:
    """One event being handled: who, where, when, and in which language to answer.

    `t` speaks to the sender (their language, else the chat's); `chat_t` speaks to the whole
    chat (leaderboards, duels, results): the rule is `bot.core.i18n.languages`.
    """

    event: EventBase
    chat: ChatRecord
    user: UserRecord
    now: datetime
    t: Translator
    fence: Callable[[Store], Awaitable[None]] | None = field(default=None, compare=False)
    """Set by `Game` for an update whose adapter fences its sends: records, in the given
    transaction, that the reply goes out now (raising, and so rolling the transaction back,
    when another process took the update over meanwhile)."""

    async def reply_goes_out(self, store: Store) -> None:
        """Record in `store`'s transaction, the one that writes the outcome, that the reply goes
        out: the adapter's send then costs no transaction of its own (`Game.reply_starting`)."""
        if self.fence is not None:
            await self.fence(store)

    @property
    def update_id(self) -> str:
        return self.event.update_id

    @property
    def chat_t(self) -> Translator:
        return chat_translator(self.chat)

    @property
    def rate_command(self) -> str:
        """How people on this platform ask for a photo to be scored explicitly."""
        return RATE_COMMANDS.get(self.chat.platform, "/rate")


def chat_translator(chat: ChatRecord) -> Translator:
    """How the bot speaks to a whole chat: in the chat's language (`/language`)."""
    return Translator(chat_language(chat.settings.language), chat.platform)


def submission_tag(submission_id: int, update_id: str) -> str:
    """Tag of a photo result: reactions on it map back to the submission."""
    return f"submission:{submission_id}:{update_id}"


def update_tag(update_id: str) -> str:
    """Tag of any other reply: its delivery marks the update answered."""
    return f"update:{update_id}"


def parse_tag(tag: str) -> tuple[int | None, str] | None:
    """(submission id or None, update id) from a tag made above; None for foreign tags."""
    kind, _, rest = tag.partition(":")
    if kind == "update" and rest:
        return None, rest
    if kind == "submission":
        sid, _, update_id = rest.partition(":")
        if sid.isdigit() and update_id:
            return int(sid), update_id
    return None
