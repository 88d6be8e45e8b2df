"""What adapters tell the game: platform events translated into plain, platform-free values.

Adapters (Telegram, Discord, the web page, `selfiebot play`) build these and call
`Game.handle(event)`; the core never sees a platform object.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Generic, NotRequired, TypedDict, TypeVar

if TYPE_CHECKING:
    from inference.decode import DecodedPhoto

T = TypeVar("T")


class CardFormat(StrEnum):
    """How the core draws the pictures that decorate a reply (the result card, the board, the
    tips' before/after): PNG for chats, JPEG (a fraction of the encoding time) where a photo-like
    picture need not be lossless, or NONE where the adapter shows the reply's data itself (the
    web page shows its result, board and tips as HTML and has the result card drawn on request,
    `Game.result_card`). Images that are the data, such as the tips' best edit whose exact PNG
    bytes re-score to the claimed score, are PNG whatever this says."""

    PNG = "png"
    JPEG = "jpeg"
    NONE = "none"


async def _never_admin() -> bool:
    return False


async def _unknown_count() -> int | None:
    return None


PhotoFetcher = Callable[[str], Awaitable[bytes]]
"""Fetches a photo again from its platform by the handle its adapter gave with it
(`PhotoEvent.photo_handle`): the core keeps handles, never photos. Raises `PhotoUnavailable`
when the platform no longer has it."""


class Handover(Generic[T]):
    """A value passed from an adapter to the flow that uses it up: `take` gives it once and
    forgets it, so that from then on only the taker holds it and can let it go."""

    def __init__(self, value: T) -> None:
        self._value: T | None = value

    def take(self) -> T | None:
        value, self._value = self._value, None
        return value


class PhotoUnavailable(Exception):
    """The platform cannot hand the photo back any more (deleted, expired, unreachable)."""


@dataclass(frozen=True)
class ChatRef:
    """A conversation on one platform; `chat_id` is the platform's own id as text.

    `language` is the platform's hint of what the chat speaks (a Discord server's preferred
    locale), used only when the chat is first seen; an admin's `/language` decides after that.
    """

    platform: str
    chat_id: str
    title: str | None = None
    is_private: bool = False
    language: str | None = None


@dataclass(frozen=True)
class Sender:
    """The person behind an event; `username` lets `/duel @name` find people by handle.

    `language` is the platform's hint of the person's language, passed through untouched
    (`pt-br`, `en-US`...): the core decides what to do with it (`bot.core.i18n.languages`).
    """

    platform: str
    user_id: str
    display_name: str
    username: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class EventBase:
    """Fields every event carries.

    `update_id` is the platform's delivery id (Telegram update id, Discord interaction or
    message id): the core uses it as the idempotency key, so a re-delivered update gets the
    same answer and is never counted twice. `is_admin` is asked lazily, only by admin
    commands, because checking it costs the adapter an API call. `fetch_photo` lets the core
    fetch the sender's last photo again (for `/tips`) in whichever process handles the event.
    `cards` says how the reply's decorative pictures are drawn (`CardFormat`).
    """

    chat: ChatRef
    sender: Sender
    update_id: str
    message_id: str | None = None
    is_admin: Callable[[], Awaitable[bool]] = field(default=_never_admin, compare=False)
    fetch_photo: PhotoFetcher | None = field(default=None, compare=False)
    cards: CardFormat = CardFormat.PNG


class EventFields(TypedDict):
    """The `EventBase` fields an adapter gathers once per delivery and spreads into whichever
    event it builds (`CommandEvent(**fields, name=...)`): typed, so mypy checks every key and
    value against the event's constructor instead of trusting an untyped dict. Keys left out
    take `EventBase`'s defaults; `message_id` is not among them because it names a different
    message per event (the command, the photo, the pressed button), so each event sets it."""

    chat: ChatRef
    sender: Sender
    update_id: str
    is_admin: NotRequired[Callable[[], Awaitable[bool]]]
    fetch_photo: NotRequired[PhotoFetcher | None]
    cards: NotRequired[CardFormat]


@dataclass(frozen=True)
class PhotoEvent(EventBase):
    """A photo to score. `photo` holds the raw file bytes as downloaded; `photo_handle` is how
    the adapter can fetch them again later (`fetch_photo`), e.g. a Telegram file_id."""

    photo: bytes = b""
    filename: str | None = None
    mime_type: str | None = None
    member_count: Callable[[], Awaitable[int | None]] = field(default=_unknown_count, compare=False)
    """The chat's member count on the platform, bots included (None: unknown), asked only for
    scored group photos: how many people could react to it (the group taste model)."""
    photo_handle: str | None = None
    reactions: bool = True
    """Whether people can react to the photo where it was posted. The group's taste is learnt
    from reactions only, so where there are none (the web page) a photo keeps no taste
    features and its analysis skips FaceMesh, which only those features need."""
    season_board: bool = False
    """The adapter shows the chat's season board beside the result (the web page): the scored
    reply's `data` then carries it (`season_board`) as it stood right after this photo, read in
    the transaction that counted the photo instead of in one more."""
    decoded: Handover[DecodedPhoto] | None = field(default=None, compare=False, repr=False)
    """`photo` as the analyzer decodes it, when the adapter had it decoded already for its own
    use (the web page's display copy, `Game.preview`): the score does not decode it again, and
    the flow, having taken it, is the only holder of its pixels."""
    on_analysed: Callable[[], None] | None = field(default=None, compare=False, repr=False)
    """Called once the photo is analysed and hashed and, as no card is drawn from it
    (`CardFormat.NONE`), the flow holds none of its pixels any more: the recording that follows
    holds only its bytes, so a front end that admits uploads by their memory (the web page's
    `bot.web.admission`) can let the next one in while this one is counted."""


@dataclass(frozen=True)
class CommandEvent(EventBase):
    """A command such as `/top week`: `name` without slash, lower case; `args` split on spaces.

    `mentions` are people the adapter could resolve from the message (e.g. `/duel @ann`).
    """

    name: str = ""
    args: tuple[str, ...] = ()
    mentions: tuple[Sender, ...] = ()


@dataclass(frozen=True)
class ButtonEvent(EventBase):
    """A press on a button the core sent earlier (`Button.action` / `Button.payload`)."""

    action: str = ""
    payload: str = ""


@dataclass(frozen=True)
class ReactionEvent(EventBase):
    """An emoji put on (or taken off) a message: a scored photo or the bot's result for it
    (`message_id`); reactions elsewhere are ignored."""

    emoji: str = ""
    added: bool = True


@dataclass(frozen=True)
class ReactionCountEvent:
    """A platform's total of anonymous reactions on a message (Telegram's
    `message_reaction_count`): nobody is named, so there is no sender. Answers nothing."""

    chat: ChatRef
    update_id: str
    message_id: str | None
    total: int


Event = PhotoEvent | CommandEvent | ButtonEvent | ReactionEvent | ReactionCountEvent
