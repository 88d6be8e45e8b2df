"""The web page as a game adapter: turns uploads and board views into Game events and back.

The page plays the same game as the chat bots: every photo goes through `Game.handle` (rate
limit, duplicates, recording, rank, badges), tips come from its `/tips` command and the board
from `Game.board` (the `/top` board, read without an update to record), all in the one shared
web chat. The page asks the core for no picture at all (`CardFormat.NONE`): it shows the result,
the board and the tips as HTML from the replies' data, and the result card, a download few
people take, is drawn by `Game.result_card` when its link is followed (it used to be ~14 ms of
every photo's request). The photo it shows is the core's display copy (`Game.preview`).
Delivery is confirmed with `Game.reply_sent` like any adapter, so a re-submitted form (browser
refresh, double click) is recognised by its idempotency key and never counted twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from bot.core.events import CardFormat, CommandEvent, Event, PhotoEvent
from bot.core.flows.unrecorded import PhotoRefused
from bot.core.replies import Reply
from bot.core.transport import send_and_record
from bot.web.photos import DISPLAY_MAX_SIDE, refusal_problem
from bot.web.players import PLATFORM, WEB_CHAT, Player
from bot.web.recent_photos import RecentPhotos
from bot.web.results import CardOrder, StoredImage, image_url
from bot.web.text import t
from bot.web.uploads import UploadedFile
from bot.web.views import (
    BoardRow,
    BoardView,
    PhotoFrame,
    ResultView,
    TipsView,
    face_views,
    markup_html,
    quality_measures,
    sharpness_words,
)

if TYPE_CHECKING:
    from bot.core.game import Game

PERIODS: tuple[str, ...] = ("week", "season", "all")
DEFAULT_PERIOD = "season"
ANONYMOUS_BOARD_SECONDS = 15.0
"""How long the board seen by visitors (and the JSON API) is reused: each board is a database
transaction, so a busy page or a polling script must not turn each view into one.
A photo scored on the page refreshes it at once."""


PHOTO_IMAGE = "photo.jpg"
CARD_IMAGE = "card.jpg"
IMPROVED_IMAGE = "improved.png"


@dataclass(frozen=True)
class PhotoOutcome:
    """What became of an upload: a scored result, or the game's explanation why not.

    `images` are the bytes behind the result's image URLs, by name (see `bot.web.results`).
    """

    result: ResultView | None
    notices: tuple[Markup, ...]
    images: Mapping[str, StoredImage] = field(default_factory=dict)
    card: CardOrder | None = None
    board: BoardView | None = None
    """The season board right after this photo, read when it was counted."""


@dataclass(frozen=True)
class TipsOutcome:
    """The tips section, and the improved photo its URL points at (when an edit helped)."""

    view: TipsView
    images: Mapping[str, StoredImage] = field(default_factory=dict)


def period_title(period: str) -> str:
    return t(f"web.period.{period}")


@dataclass
class PageTransport:
    """The response being built, as a `bot.core.transport.Transport`: a reply is "sent" when
    the page will show it, and its message id is the update's id and its place there. An edit
    replaces that reply in the response; a response already sent cannot change (HTTP has no
    way back to it), so only this response's replies can be edited."""

    update_id: str
    shown: list[Reply] = field(default_factory=list)

    async def send(self, reply: Reply) -> str:
        self.shown.append(reply)
        return f"{self.update_id}/{len(self.shown) - 1}"

    async def edit(self, message_id: str, reply: Reply) -> bool:
        update_id, _, place = message_id.rpartition("/")
        if update_id != self.update_id or not place.isdigit() or int(place) >= len(self.shown):
            return False
        self.shown[int(place)] = reply
        return True


class WebPlay:
    """The page's side of the game, for one shared `Game`."""

    def __init__(self, game: Game) -> None:
        self.game = game
        self._anonymous_boards: dict[str, tuple[float, BoardView]] = {}
        self._photos = RecentPhotos(
            ttl_seconds=game.settings.tips_photo_ttl_minutes * 60,
            max_items=game.settings.tips_cache_size,
        )

    async def _handle(self, event: Event) -> list[Reply]:
        """Handle an event and confirm each tagged reply as shown, as every adapter does."""
        page = PageTransport(event.update_id)
        await send_and_record(page, WEB_CHAT, await self.game.handle(event), self.game.reply_sent)
        return page.shown

    async def submit_photo(
        self,
        player: Player,
        upload: UploadedFile,
        key: str,
        on_analysed: Callable[[], None] | None = None,
    ) -> PhotoOutcome:
        """Score and record one upload; `key` makes re-submitting the same form harmless.

        The photo is decoded for display first: a file the analyzer would refuse raises
        `Problem` with its HTTP status instead of becoming a game message. The tips (seconds
        of re-scoring) are a later `tips` call, so the score shows at once. `on_analysed` is
        called once the game holds none of the photo's pixels (`PhotoEvent.on_analysed`).
        """
        try:
            photo = await self.game.preview(upload.data, DISPLAY_MAX_SIDE)
        except PhotoRefused as refused:
            raise refusal_problem(refused) from refused
        self._photos.put(key, upload.data)
        replies = await self._handle(
            PhotoEvent(
                chat=WEB_CHAT,
                sender=player.sender,
                update_id=f"photo-{key}",
                message_id=key,
                fetch_photo=self._photos.fetch,
                photo=upload.data,
                filename=upload.filename,
                mime_type=upload.content_type,
                photo_handle=key,
                cards=CardFormat.NONE,
                reactions=False,
                season_board=True,
                decoded=photo.pixels,
                on_analysed=on_analysed,
            )
        )
        if not replies:
            return PhotoOutcome(
                None,
                (Markup.escape(t("web.already_scored")),),
            )
        scored = next((r for r in replies if r.data and "analysis" in r.data), None)
        notices = tuple(markup_html(r.text) for r in replies if r is not scored)
        if scored is None:
            return PhotoOutcome(None, notices)
        self._anonymous_boards.clear()
        images = {PHOTO_IMAGE: StoredImage(photo.jpeg, "image/jpeg")}
        frame = PhotoFrame(image_url(key, PHOTO_IMAGE), photo.width, photo.height)
        view = result_view(scored, frame, key)
        data = scored.data or {}
        card = CardOrder(dict(data), player.nickname, t.language)
        entries = data.get("season_board")
        board = None if entries is None else board_view("season", entries, data.get("rank"), player)
        return PhotoOutcome(view, notices, images, card, board)

    async def card(self, photo: StoredImage, order: CardOrder) -> StoredImage:
        """The result card of a kept result, drawn now from its display copy (`CARD_IMAGE`)."""
        data = await self.game.result_card(
            photo.data, order.scored, order.display_name, order.language, PLATFORM
        )
        return StoredImage(data, "image/jpeg")

    async def tips(self, player: Player, key: str) -> TipsOutcome:
        """The core's tips for the player's last photo (the `/tips` command, as in a chat)."""
        replies = await self._handle(
            CommandEvent(
                chat=WEB_CHAT,
                sender=player.sender,
                update_id=f"tips-{key}",
                fetch_photo=self._photos.fetch,
                name="tips",
                cards=CardFormat.NONE,
            )
        )
        if not replies:
            return TipsOutcome(TipsView(Markup.escape(t("web.tips_shown")), None, None))
        reply = next((r for r in replies if r.data and "tips" in r.data), replies[0])
        image = reply.image if ((reply.data or {}).get("tips") or {}).get("best") else None
        if image is None:
            return TipsOutcome(tips_view(reply, None))
        stored = StoredImage(image.data, image.mime_type)
        return TipsOutcome(
            tips_view(reply, image_url(key, IMPROVED_IMAGE)), {IMPROVED_IMAGE: stored}
        )

    async def leaderboard(self, player: Player | None, period: str) -> BoardView:
        """The web board for `period`, with the player's own line when they are on it."""
        if player is not None:
            return await self._leaderboard(player, period)
        cached = self._anonymous_boards.get(period)
        if cached is not None and time.monotonic() - cached[0] < ANONYMOUS_BOARD_SECONDS:
            return cached[1]
        board = await self._leaderboard(None, period)
        self._anonymous_boards[period] = (time.monotonic(), board)
        return board

    async def _leaderboard(self, player: Player | None, period: str) -> BoardView:
        reply = await self.game.board(WEB_CHAT, period, player.sender if player else None)
        data = reply.data or {}
        viewer_rank = data.get("viewer_rank") if player is not None else None
        return board_view(period, data.get("entries") or (), viewer_rank, player)


def board_view(
    period: str,
    entries: Sequence[Mapping[str, Any]],
    viewer_rank: int | None,
    player: Player | None,
) -> BoardView:
    """Rows for the table; the viewer's line is matched by rank (the core ranks uniquely)."""
    rows = [
        BoardRow(int(e["rank"]), str(e["name"]), int(e["score"]), int(e["rank"]) == viewer_rank)
        for e in entries
    ]
    if viewer_rank is not None and player is not None and all(r.rank != viewer_rank for r in rows):
        rows.append(BoardRow(viewer_rank, player.nickname, None, True, gap_before=True))
    return BoardView(period, period_title(period), tuple(rows), viewer_rank)


def result_view(scored: Reply, photo: PhotoFrame, key: str) -> ResultView:
    """The page's view of the core's scored-photo reply (its tips come later, `tips`)."""
    data = scored.data or {}
    analysis: Mapping[str, Any] = data["analysis"]
    return ResultView(
        photo=photo,
        score=int(data.get("score", analysis.get("score", 0))),
        message=markup_html(scored.text),
        faces=face_views(analysis.get("faces") or ()),
        quality=quality_measures(analysis.get("quality") or {}),
        sharpness=sharpness_words(analysis.get("quality") or {}),
        card_url=image_url(key, CARD_IMAGE),
        tips=None,
        key=key,
    )


def tips_view(reply: Reply, image_url: str | None) -> TipsView:
    """The tips reply: the core's suggestions (best believable edit, advice), and where the
    best edited photo is served (None when no believable edit raised the score)."""
    data = reply.data or {}
    best, original = (data.get("tips") or {}).get("best"), data.get("original_score")
    return TipsView(
        message=markup_html(reply.text),
        best_score=int(best["score"]) if best is not None else None,
        image_url=image_url,
        original_score=int(original) if original is not None else None,
    )
