"""Turning game facts into catalogue text and pictures shared by several flows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.core import cards
from bot.core.badges import BY_CODE
from bot.core.events import CardFormat
from bot.core.i18n import Translator
from bot.core.markup import literal
from bot.core.replies import Attachment
from storage.records import Leaderboard, LeaderboardEntry

if TYPE_CHECKING:
    from PIL import Image

    from inference import Analysis

_MEDALS = {1: "🥇 ", 2: "🥈 ", 3: "🥉 "}


def verdict(t: Translator, score: int) -> str:
    """The verdict band of a score (the result card's own table, so both agree)."""
    return cards.default_verdict(score, t)


def points(value: float | None) -> int:
    """Scores are stored as floats but always shown as whole points."""
    return round(value or 0)


def amount(t: Translator, unit: str, count: int) -> str:
    """`count` with its unit in the right number ("1 photo", "10 photos"): settings can be 1."""
    return t.plural(f"unit.{unit}", count)


def duration(t: Translator, delta: timedelta) -> str:
    """A wait such as "4 min" or "1 h 5 min", rounded up so people never come back too early."""
    seconds = max(0, int(-(-delta.total_seconds() // 1)))
    if seconds < 60:
        return t("duration.seconds", n=seconds)
    minutes = -(-seconds // 60)
    if minutes < 60:
        return t("duration.minutes", n=minutes)
    return t("duration.hours", h=minutes // 60, m=minutes % 60)


def movement(t: Translator, rank: int | None, previous: int | None) -> str:
    """How a rank moved, for the photo reply."""
    if rank is None:
        return ""
    if previous is None:
        return t("movement.new")
    if rank < previous:
        return t("movement.up", previous=previous)
    if rank > previous:
        return t("movement.down", previous=previous)
    return t("movement.same")


def badge_line(t: Translator, code: str) -> str:
    """`icon **name**: rule` for one badge."""
    badge = BY_CODE[code]
    return t(
        "badges.line",
        icon=badge.icon,
        name=t(f"badge.{code}.name"),
        rule=t(f"badge.{code}.rule"),
    )


def badge_award(t: Translator, person: str, code: str) -> str:
    """Announces a badge won by an event (duel, season), where the winner is named."""
    badge = BY_CODE[code]
    return t(
        "badges.awarded",
        person=person,
        icon=badge.icon,
        name=t(f"badge.{code}.name"),
        rule=t(f"badge.{code}.rule"),
    )


def badge_label(t: Translator, code: str) -> str:
    """`icon name` for compact lists."""
    return f"{BY_CODE[code].icon} {t(f'badge.{code}.name')}"


def board_lines(t: Translator, board: Leaderboard) -> list[str]:
    """The board's text lines, with the viewer's own line appended when outside the top."""
    lines = [_line(t, entry) for entry in board.entries]
    shown = {entry.user_id for entry in board.entries}
    viewer = board.viewer
    if viewer is not None and viewer.user_id not in shown:
        lines.append("…")
        lines.append(
            t(
                "top.you",
                rank=viewer.rank,
                name=literal(viewer.display_name),
                score=points(viewer.value),
            )
        )
    return lines


def _line(t: Translator, entry: LeaderboardEntry) -> str:
    return t(
        "top.line",
        medal=_MEDALS.get(entry.rank, ""),
        rank=entry.rank,
        name=literal(entry.display_name),
        score=points(entry.value),
    )


def result_card(
    image: Image.Image,
    analysis: Analysis,
    rank: int | None,
    previous_rank: int | None,
    badge_codes: Sequence[str],
    display_name: str,
    t: Translator,
    fmt: CardFormat,
) -> bytes:
    """The picture answering a scored photo: drawn with its reply in a chat, and later from the
    reply's data where a front end draws it only when someone asks for it (the web page)."""
    change = previous_rank - rank if rank is not None and previous_rank is not None else None
    return cards.result_card(
        image,
        analysis,
        rank,
        change,
        [(BY_CODE[code].icon, t(f"badge.{code}.name")) for code in badge_codes],
        display_name,
        verdict=verdict(t, analysis.score),
        t=t,
        fmt=fmt,
    )


def board_entries(board: Leaderboard) -> list[dict[str, object]]:
    """The board's rows for a reply's `data` (rank, name, whole points): what a page shows."""
    return [
        {"rank": e.rank, "name": e.display_name, "score": points(e.value)} for e in board.entries
    ]


def board_image(
    t: Translator, title: str, board: Leaderboard, viewer_user_id: int | None
) -> Attachment:
    """The board as a PNG in the chat's language, the viewer's own line included."""
    entries = list(board.entries)
    if board.viewer is not None and all(e.user_id != board.viewer.user_id for e in entries):
        entries.append(board.viewer)
    rows = [(e.rank, e.display_name, points(e.value), e.user_id == viewer_user_id) for e in entries]
    return Attachment(
        cards.leaderboard_image(title, rows, t=t), "leaderboard.png", "image/png", description=title
    )
