"""Reply images: the result card, the leaderboard and the tips before/after.

People would rather look than read, so every scored photo, board and tip comes with a picture
drawn here with Pillow only: PNG for chats, or JPEG where the adapter asks for it
(`CardFormat`; the result card, mostly a photo, encodes ~20x faster as JPEG). Emoji are not
drawn (the bundled fonts lack them): arrows, medals and badge icons are drawn shapes instead.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PIL import Image, ImageDraw

from bot.core import drawing as d
from bot.core.events import CardFormat
from bot.core.i18n import Translator

if TYPE_CHECKING:
    from inference import Analysis, Face

CARD_WIDTH = 1000
CARD_HEIGHT = 560
BADGE_STRIP = 76
PHOTO_BOX = 480
MARGIN = 40

BOARD_WIDTH = 760
BOARD_HEADER = 110
BOARD_ROW = 58
BOARD_FOOTER = 36

TIPS_TILE = 420
TIPS_WIDTH = 2 * TIPS_TILE + 3 * MARGIN + 60
TIPS_HEIGHT = TIPS_TILE + 190
TIPS_NOTE = 34
"""Extra height of the tips card per note line under the photos."""

EMOTION_ORDER = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
_FILE_TYPES = {CardFormat.PNG: ("png", "image/png"), CardFormat.JPEG: ("jpg", "image/jpeg")}


def encoded(image: Image.Image, fmt: CardFormat) -> bytes:
    """The drawn picture as PNG or JPEG bytes (`CardFormat.NONE` means not drawn at all)."""
    if fmt is CardFormat.JPEG:
        return d.to_jpeg(image)
    return d.to_png(image)


def file_type(stem: str, fmt: CardFormat) -> tuple[str, str]:
    """(file name, MIME type) of a picture encoded as `fmt`: `result.png`, `result.jpg`."""
    extension, mime_type = _FILE_TYPES.get(fmt, _FILE_TYPES[CardFormat.PNG])
    return f"{stem}.{extension}", mime_type


def default_verdict(score: int, t: Translator | None = None) -> str:
    """The catalogue's verdict for `score` (reference language unless `t` says otherwise);
    the bands are `drawing.VERDICT_FLOORS`, and `verdict.3` is the best band's wording."""
    return (t or Translator())(f"verdict.{len(d.VERDICT_FLOORS) - 1 - d.verdict_band(score)}")


def result_card(
    photo: Image.Image,
    analysis: Analysis,
    rank: int | None,
    rank_change: int | None,
    badges: Sequence[tuple[str, str]],
    display_name: str,
    *,
    verdict: str | None = None,
    t: Translator | None = None,
    fmt: CardFormat = CardFormat.PNG,
) -> bytes:
    """The picture answering a scored photo, encoded as `fmt` (PNG unless asked otherwise).

    `rank_change` is how many places the sender climbed (positive), fell (negative) or 0;
    None means there is nothing to compare with (first entry). `badges` are the newly earned
    (icon, name) pairs; icons are emoji the fonts cannot draw, so a drawn star stands in.
    `verdict` lets the caller pass its own wording; `t` words the card's labels in the chat's
    language (the reference language when omitted).
    """
    t = t or Translator()
    height = CARD_HEIGHT + (BADGE_STRIP if badges else 0)
    card = Image.new("RGB", (CARD_WIDTH, height), d.BACKGROUND)
    draw = ImageDraw.Draw(card)

    _draw_photo_with_faces(card, photo, analysis)
    right = MARGIN + PHOTO_BOX + MARGIN
    width = CARD_WIDTH - right - MARGIN

    name = d.fit_text(draw, display_name or t("card.you"), d.font(30, bold=True), width)
    draw.text((right, MARGIN - 4), name, font=d.font(30, bold=True), fill=d.TEXT)
    draw.text((right, MARGIN + 36), t("card.popularity"), font=d.font(17), fill=d.MUTED)

    score = int(analysis.score)
    color = d.verdict_color(score)
    _draw_gauge(draw, (right + 88, 205), 84, score, color)
    info_x = right + 200
    label = verdict or default_verdict(score, t)
    label = label[:1].upper() + label[1:]
    # Long verdicts (a translation, a catalogue sentence) get a smaller font before an ellipsis.
    for size, max_lines in ((22, 2), (18, 3)):
        label_font = d.font(size, bold=True)
        lines = d.wrap(draw, label, label_font, width - 200, max_lines)
        if not lines or not lines[-1].endswith("…"):
            break
    for i, line in enumerate(lines):
        draw.text((info_x, 124 + i * (size + 5)), line, font=label_font, fill=color)
    _draw_rank(draw, (info_x, min(202, 138 + len(lines) * (size + 5))), rank, rank_change, t)

    _draw_emotions(draw, (right, 318), width, analysis, t)
    if badges:
        _draw_badges(draw, (MARGIN, CARD_HEIGHT - 8), CARD_WIDTH - 2 * MARGIN, badges, t)
    _footer(draw, card.size)
    return encoded(card, fmt)


def _draw_photo_with_faces(card: Image.Image, photo: Image.Image, analysis: Analysis) -> None:
    """Thumbnail with a box on every face; the largest one, whose emotions are shown, stands out."""
    thumb = d.fit(photo, (PHOTO_BOX, PHOTO_BOX))
    source_w = getattr(analysis, "width", 0) or photo.width
    source_h = getattr(analysis, "height", 0) or photo.height
    scale_x, scale_y = thumb.width / source_w, thumb.height / source_h
    draw = ImageDraw.Draw(thumb)
    main = _main_face(analysis)
    line = max(2, thumb.width // 160)
    for face in analysis.faces:
        x, y, w, h = face.box
        box = (x * scale_x, y * scale_y, (x + w) * scale_x, (y + h) * scale_y)
        if face is main:
            draw.rounded_rectangle(box, radius=6, outline=d.ACCENT, width=line + 1)
        else:
            draw.rounded_rectangle(box, radius=6, outline=(235, 235, 235), width=line)
    d.paste_photo(card, thumb, (MARGIN, MARGIN, MARGIN + PHOTO_BOX, MARGIN + PHOTO_BOX), 22)


def _main_face(analysis: Analysis) -> Face | None:
    """The largest face: the one the game reads the expression from."""
    faces = tuple(analysis.faces)
    if not faces:
        return None
    return max(faces, key=lambda face: face.box[2] * face.box[3])


def _draw_gauge(
    draw: ImageDraw.ImageDraw,
    center: tuple[int, int],
    radius: int,
    score: int,
    color: d.Color,
) -> None:
    """A ring filled to the score, with the number large in the middle."""
    cx, cy = center
    bounds = (cx - radius, cy - radius, cx + radius, cy + radius)
    draw.ellipse(bounds, outline=d.PANEL_LIGHT, width=16)
    if score > 0:
        draw.arc(bounds, start=-90, end=-90 + 360 * min(score, 100) / 100, fill=color, width=16)
        # Round caps so the arc looks finished rather than cut off.
        for angle in (-90, -90 + 360 * min(score, 100) / 100):
            rad = math.radians(angle)
            px = cx + (radius - 8) * math.cos(rad)
            py = cy + (radius - 8) * math.sin(rad)
            draw.ellipse((px - 8, py - 8, px + 8, py + 8), fill=color)
    big = d.font(62, bold=True)
    draw.text((cx, cy - 6), str(score), font=big, fill=d.TEXT, anchor="mm")
    draw.text((cx, cy + 38), "/ 100", font=d.font(16), fill=d.MUTED, anchor="mm")


def _draw_rank(
    draw: ImageDraw.ImageDraw,
    origin: tuple[int, int],
    rank: int | None,
    change: int | None,
    t: Translator,
) -> None:
    x, y = origin
    room = CARD_WIDTH - MARGIN - x
    if rank is None:
        d.label(draw, (x, y + 8), t("card.not_ranked"), 20, room, fill=d.MUTED)
        return
    rank_font = d.font(44, bold=True)
    text = f"#{rank}"
    draw.text((x, y), text, font=rank_font, fill=d.TEXT)
    d.label(draw, (x, y + 54), t("card.in_chat"), 17, room, fill=d.MUTED)
    mx = x + d.text_width(draw, text, rank_font) + 18
    my = y + 28
    if change is None:
        return
    if change == 0:
        d.label(draw, (mx, my), t("card.rank_same"), 20, room - (mx - x), fill=d.MUTED, anchor="lm")
        return
    color = d.UP if change > 0 else d.DOWN
    d.triangle(draw, (mx + 10, my), 20, change > 0, color)
    draw.text((mx + 26, my), str(abs(change)), font=d.font(26, bold=True), fill=color, anchor="lm")


def _draw_emotions(
    draw: ImageDraw.ImageDraw,
    origin: tuple[int, int],
    width: int,
    analysis: Analysis,
    t: Translator,
) -> None:
    """Seven bars for the main face, the dominant one in bold; or why there are none."""
    x, y = origin
    d.label(draw, (x, y), t("card.expression"), 17, width, fill=d.MUTED)
    face = _main_face(analysis)
    if face is None:
        d.label(draw, (x, y + 40), t("card.no_face"), 22, width, bold=True)
        return
    emotions = dict(face.emotions)
    dominant = face.dominant_emotion
    widest = max(d.text_width(draw, t(f"emotion.{n}"), d.font(16, bold=True)) for n in emotions)
    label_w, pct_w, row = min(max(92, widest + 10), 150), 64, 27
    bar_x = x + label_w
    bar_w = width - label_w - pct_w
    for i, name in enumerate(n for n in EMOTION_ORDER if n in emotions):
        value = max(0.0, min(1.0, float(emotions[name])))
        cy = y + 40 + i * row
        is_top = name == dominant
        label_font = d.font(16, bold=is_top)
        label = d.fit_text(draw, t(f"emotion.{name}"), label_font, label_w - 6)
        draw.text((x, cy), label, font=label_font, fill=d.TEXT if is_top else d.MUTED, anchor="lm")
        draw.rounded_rectangle((bar_x, cy - 7, bar_x + bar_w, cy + 7), radius=7, fill=d.PANEL)
        fill_w = round(bar_w * value)
        if fill_w >= 4:
            draw.rounded_rectangle(
                (bar_x, cy - 7, bar_x + fill_w, cy + 7),
                radius=7,
                fill=d.EMOTION_COLORS.get(name, d.ACCENT),
            )
        draw.text(
            (x + width, cy),
            f"{round(value * 100)}%",
            font=label_font,
            fill=d.TEXT if is_top else d.MUTED,
            anchor="rm",
        )


def _draw_badges(
    draw: ImageDraw.ImageDraw,
    origin: tuple[int, int],
    width: int,
    badges: Sequence[tuple[str, str]],
    t: Translator,
) -> None:
    """Newly earned badges as chips with a drawn star; the emoji icon itself is not drawable."""
    x, y = origin
    heading = d.label(draw, (x, y + 26), t("card.new_badge"), 17, 160, fill=d.MUTED, anchor="lm")
    x += max(110, heading + 16)
    chip_font = d.font(18, bold=True)
    end = origin[0] + width
    for _icon, name in badges:
        label = d.fit_text(draw, name, chip_font, 260)
        chip_w = d.text_width(draw, label, chip_font) + 62
        if x + chip_w > end:
            draw.text((x, y + 26), "…", font=chip_font, fill=d.MUTED, anchor="lm")
            break
        draw.rounded_rectangle((x, y + 6, x + chip_w, y + 46), radius=20, fill=d.PANEL_LIGHT)
        d.star(draw, (x + 24, y + 26), 12, d.GOLD)
        draw.text((x + 44, y + 26), label, font=chip_font, fill=d.TEXT, anchor="lm")
        x += chip_w + 12


def _footer(draw: ImageDraw.ImageDraw, size: tuple[int, int]) -> None:
    draw.text((size[0] - 16, size[1] - 12), "selfiebot", font=d.font(14), fill=d.MUTED, anchor="rs")


def leaderboard_image(
    title: str, rows: Sequence[tuple[int, str, int, bool]], *, t: Translator | None = None
) -> bytes:
    """The board as a picture: medals for the podium, a bar per score, the asker highlighted.

    `rows` are (rank, name, score, is_asker) in display order; a jump in ranks (the asker's
    own line below the top N) is shown as a gap so nobody reads it as consecutive. `t` words
    the empty board's hint in the chat's language.
    """
    t = t or Translator()
    gaps = sum(1 for a, b in itertools.pairwise(rows) if b[0] > a[0] + 1)
    body = max(len(rows), 1) * BOARD_ROW + gaps * 30
    height = BOARD_HEADER + body + BOARD_FOOTER + 20
    image = Image.new("RGB", (BOARD_WIDTH, height), d.BACKGROUND)
    draw = ImageDraw.Draw(image)
    d.label(draw, (MARGIN, 34), title, 32, BOARD_WIDTH - 2 * MARGIN, bold=True)
    draw.line((MARGIN, 92, BOARD_WIDTH - MARGIN, 92), fill=d.PANEL_LIGHT, width=2)

    y = BOARD_HEADER
    if not rows:
        empty = t("card.board_empty")
        middle = (BOARD_WIDTH // 2, y + BOARD_ROW // 2)
        d.label(draw, middle, empty, 20, BOARD_WIDTH - 2 * MARGIN, fill=d.MUTED, anchor="mm")
    previous: int | None = None
    for rank, name, score, is_asker in rows:
        if previous is not None and rank > previous + 1:
            for i in range(3):
                cx = BOARD_WIDTH // 2 + (i - 1) * 14
                draw.ellipse((cx - 3, y + 9, cx + 3, y + 15), fill=d.MUTED)
            y += 30
        _board_row(draw, y, rank, name, score, is_asker)
        previous = rank
        y += BOARD_ROW
    _footer(draw, image.size)
    return d.to_png(image)


def _board_row(
    draw: ImageDraw.ImageDraw, y: int, rank: int, name: str, score: int, is_asker: bool
) -> None:
    top, bottom = y + 4, y + BOARD_ROW - 6
    mid = (top + bottom) // 2
    fill = (38, 58, 88) if is_asker else d.PANEL
    draw.rounded_rectangle((MARGIN, top, BOARD_WIDTH - MARGIN, bottom), radius=14, fill=fill)
    if is_asker:
        draw.rounded_rectangle(
            (MARGIN, top, BOARD_WIDTH - MARGIN, bottom), radius=14, outline=d.ACCENT, width=2
        )
    medal = {1: d.GOLD, 2: d.SILVER, 3: d.BRONZE}.get(rank)
    cx = MARGIN + 34
    if medal:
        draw.ellipse((cx - 17, mid - 17, cx + 17, mid + 17), fill=medal)
        draw.text((cx, mid), str(rank), font=d.font(18, bold=True), fill=d.BACKGROUND, anchor="mm")
    else:
        draw.text((cx, mid), str(rank), font=d.font(18, bold=True), fill=d.MUTED, anchor="mm")
    name_font = d.font(20, bold=is_asker)
    label = d.fit_text(draw, name or "?", name_font, 300)
    draw.text((MARGIN + 66, mid), label, font=name_font, fill=d.TEXT, anchor="lm")
    bar_x0, bar_x1 = MARGIN + 390, BOARD_WIDTH - MARGIN - 70
    draw.rounded_rectangle((bar_x0, mid - 6, bar_x1, mid + 6), radius=6, fill=d.PANEL_LIGHT)
    clamped = max(0, min(100, int(score)))
    fill_w = round((bar_x1 - bar_x0) * clamped / 100)
    if fill_w >= 4:
        draw.rounded_rectangle(
            (bar_x0, mid - 6, bar_x0 + fill_w, mid + 6), radius=6, fill=d.verdict_color(clamped)
        )
    draw.text(
        (BOARD_WIDTH - MARGIN - 18, mid),
        str(int(score)),
        font=d.font(22, bold=True),
        fill=d.TEXT,
        anchor="rm",
    )


def tips_image(
    before: Image.Image,
    after: Image.Image,
    gain: int,
    *,
    scores: tuple[int, int] | None = None,
    caption: str | None = None,
    notes: Sequence[str] = (),
    t: Translator | None = None,
    fmt: CardFormat = CardFormat.PNG,
) -> bytes:
    """Before and after side by side with the measured gain, so the tip is visible at a glance.

    `scores` (before, after) are printed under each photo when given; `caption` names the edit;
    `notes` are the other suggestions (advice for the next photo), one line each under the
    photos; `t` words the labels in the chat's language.
    """
    t = t or Translator()
    image = Image.new("RGB", (TIPS_WIDTH, TIPS_HEIGHT + TIPS_NOTE * len(notes)), d.BACKGROUND)
    draw = ImageDraw.Draw(image)
    top = 96
    left_x = MARGIN
    right_x = TIPS_WIDTH - MARGIN - TIPS_TILE
    headline = t.plural("card.gain", abs(gain), signed=f"{gain:+d}")
    color = d.UP if gain > 0 else d.MUTED
    draw.text((MARGIN, 30), headline, font=d.font(34, bold=True), fill=color)
    if caption:
        caption_font = d.font(18)
        lines = d.wrap(draw, caption, caption_font, TIPS_WIDTH - 2 * MARGIN - 260, 2)
        top_y = 49 - len(lines) * 12
        for i, line in enumerate(lines):
            draw.text(
                (TIPS_WIDTH - MARGIN, top_y + i * 24),
                line,
                font=caption_font,
                fill=d.MUTED,
                anchor="ra",
            )
    for x, photo, label in ((left_x, before, t("card.before")), (right_x, after, t("card.after"))):
        d.paste_photo(image, photo, (x, top, x + TIPS_TILE, top + TIPS_TILE), 20)
        draw.text((x, top + TIPS_TILE + 22), label, font=d.font(22, bold=True), fill=d.TEXT)
    if scores is not None:
        for x, value in ((left_x, scores[0]), (right_x, scores[1])):
            draw.text(
                (x + TIPS_TILE, top + TIPS_TILE + 22),
                f"{value} / 100",
                font=d.font(22, bold=True),
                fill=d.verdict_color(value),
                anchor="ra",
            )
    mid_x = (left_x + TIPS_TILE + right_x) // 2
    mid_y = top + TIPS_TILE // 2
    draw.line((mid_x - 20, mid_y, mid_x + 8, mid_y), fill=d.ACCENT, width=6)
    draw.polygon(
        [(mid_x + 22, mid_y), (mid_x + 4, mid_y - 14), (mid_x + 4, mid_y + 14)], fill=d.ACCENT
    )
    note_font = d.font(20)
    for i, note in enumerate(notes):
        line = d.fit_text(draw, note, note_font, TIPS_WIDTH - 2 * MARGIN)
        draw.text((MARGIN, TIPS_HEIGHT - 40 + i * TIPS_NOTE), line, font=note_font, fill=d.TEXT)
    _footer(draw, image.size)
    return encoded(image, fmt)
