"""Small Pillow helpers shared by the reply images: fonts, palette, text fitting, PNG encoding.

Everything is drawn with Pillow alone, so the bot needs no browser. Text is drawn with DejaVu
(Debian's fonts-dejavu-core), which has every letter of the game's languages: Latin with its
accents (ç, ğ, ß, ã...) and Cyrillic. Without it Pillow's bundled font still draws Latin, but
Cyrillic comes out as boxes, so a warning says what to install.
"""

from __future__ import annotations

import io
import logging
import math
import unicodedata
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

log = logging.getLogger(__name__)

Color = tuple[int, int, int]
MIN_FONT_SIZE = 11
"""Below this, labels are no longer comfortable to read on a phone."""
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

_DEJAVU_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/share/fonts/TTF"),
    Path("/Library/Fonts"),
    Path("C:/Windows/Fonts"),
)

BACKGROUND: Color = (20, 23, 33)
PANEL: Color = (32, 36, 50)
PANEL_LIGHT: Color = (44, 49, 67)
TEXT: Color = (240, 242, 247)
MUTED: Color = (150, 157, 178)
ACCENT: Color = (99, 179, 237)
UP: Color = (72, 199, 116)
DOWN: Color = (240, 98, 98)
GOLD: Color = (246, 196, 69)
SILVER: Color = (192, 199, 210)
BRONZE: Color = (205, 127, 70)

EMOTION_COLORS: dict[str, Color] = {
    "angry": (232, 85, 85),
    "disgust": (126, 176, 82),
    "fear": (157, 120, 220),
    "happy": (246, 196, 69),
    "sad": (90, 140, 230),
    "surprise": (243, 140, 62),
    "neutral": (150, 157, 178),
}


@lru_cache(maxsize=64)
def font(size: int, *, bold: bool = False) -> Font:
    """A font of `size` pixels; cached because cards are drawn on every scored photo."""
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for folder in _DEJAVU_DIRS:
        path = folder / name
        if path.is_file():
            return ImageFont.truetype(str(path), size)
    _warn_no_dejavu()
    return ImageFont.load_default(size=size)


@lru_cache(maxsize=1)
def _warn_no_dejavu() -> None:
    log.warning(
        "DejaVu fonts not found: reply images fall back to Pillow's font, which has no Cyrillic "
        "letters; install fonts-dejavu-core (Debian/Ubuntu) or dejavu-sans-fonts."
    )


def missing_glyphs(face: Font, text: str) -> set[str]:
    """The characters of `text` that `face` can only draw as its empty box (`.notdef`).

    Tests use it to prove every language's card labels render in the font the cards use.
    """
    empty_box = _glyph(face, "\U0010fffd")  # a private-use character no font draws
    return {char for char in set(text) if not char.isspace() and _glyph(face, char) == empty_box}


def _glyph(face: Font, char: str) -> tuple[tuple[int, int], bytes]:
    mask = face.getmask(char)
    return mask.size, bytes(mask)


VERDICT_FLOORS = (80, 60, 40, 0)
"""Lowest score of each verdict band, best first: the one table behind the verdict words
(text replies and cards) and their colours, so both always agree on the band."""
_VERDICT_COLORS: tuple[Color, ...] = (UP, (140, 205, 90), GOLD, DOWN)


def verdict_band(score: int) -> int:
    """Index of the band `score` falls in, 0 being the best (below every floor: the worst)."""
    return next(
        (i for i, floor in enumerate(VERDICT_FLOORS) if score >= floor), len(VERDICT_FLOORS) - 1
    )


def verdict_color(score: int) -> Color:
    """Red to green in four steps, so the colour alone tells how good the score is."""
    return _VERDICT_COLORS[verdict_band(score)]


def printable(text: str) -> str:
    """Drop characters the fonts cannot draw (emoji, joiners, controls) instead of tofu boxes."""
    kept = []
    for char in text:
        if ord(char) > 0xFFFF or unicodedata.category(char) in {"Cc", "Cf", "Cs", "Co", "Cn"}:
            continue
        if unicodedata.category(char) == "So" and ord(char) >= 0x2190:
            continue
        kept.append(char)
    return " ".join("".join(kept).split())


def text_width(draw: ImageDraw.ImageDraw, text: str, face: Font) -> int:
    left, _, right, _ = draw.textbbox((0, 0), text, font=face)
    return int(right - left)


def fit_text(draw: ImageDraw.ImageDraw, text: str, face: Font, max_width: int) -> str:
    """Shorten `text` with an ellipsis until it fits `max_width` pixels."""
    text = printable(text)
    if text_width(draw, text, face) <= max_width:
        return text
    while text and text_width(draw, text + "…", face) > max_width:
        text = text[:-1]
    return text.rstrip() + "…" if text else ""


def fitted_font(
    draw: ImageDraw.ImageDraw, text: str, size: int, max_width: int, *, bold: bool = False
) -> Font:
    """The largest font from `size` down to 70% of it in which `text` fits `max_width`.

    Translations run longer than English ("New badge", "Nouveau badge", "Новый значок"): a
    label shrinks a little before it loses letters to an ellipsis.
    """
    smallest = max(MIN_FONT_SIZE, round(size * 0.7))
    for candidate in range(size, smallest - 1, -1):
        face = font(candidate, bold=bold)
        if text_width(draw, text, face) <= max_width:
            return face
    return font(smallest, bold=bold)


def label(
    draw: ImageDraw.ImageDraw,
    xy: tuple[float, float],
    text: str,
    size: int,
    max_width: int,
    *,
    bold: bool = False,
    fill: Color = TEXT,
    anchor: str | None = None,
) -> int:
    """Draw one line of catalogue text within `max_width` (shrunk, then cut with '…' if it
    still does not fit); returns the width drawn, so what follows can be placed after it."""
    text = printable(text)
    face = fitted_font(draw, text, size, max_width, bold=bold)
    shown = fit_text(draw, text, face, max_width)
    draw.text(xy, shown, font=face, fill=fill, anchor=anchor)
    return text_width(draw, shown, face)


def wrap(
    draw: ImageDraw.ImageDraw, text: str, face: Font, max_width: int, max_lines: int
) -> list[str]:
    """Break `text` into at most `max_lines` lines of `max_width`; the last one may end in '…'."""
    lines: list[str] = []
    words = printable(text).split()
    while words and len(lines) < max_lines:
        line = words.pop(0)
        while words and text_width(draw, f"{line} {words[0]}", face) <= max_width:
            line = f"{line} {words.pop(0)}"
        lines.append(line)
    if words:
        lines[-1] = fit_text(draw, " ".join([lines[-1], *words]), face, max_width)
    return [fit_text(draw, line, face, max_width) for line in lines]


def fit(photo: Image.Image, size: tuple[int, int]) -> Image.Image:
    """The photo scaled up or down to fit inside `size`, keeping its proportions."""
    ratio = min(size[0] / photo.width, size[1] / photo.height)
    target = (max(1, round(photo.width * ratio)), max(1, round(photo.height * ratio)))
    rgb = photo.convert("RGB")
    return rgb if rgb.size == target else rgb.resize(target, Image.Resampling.LANCZOS)


def paste_photo(
    canvas: Image.Image, photo: Image.Image, box: tuple[int, int, int, int], radius: int
) -> tuple[int, int, int, int]:
    """Fit the photo into `box`, centre it on a rounded panel, paste it; return where it went.

    The panel hugs the photo rather than the box, so a wide photo does not float in a square.
    """
    x0, y0, x1, y1 = box
    fitted = fit(photo, (x1 - x0, y1 - y0))
    left = x0 + (x1 - x0 - fitted.width) // 2
    top = y0 + (y1 - y0 - fitted.height) // 2
    ImageDraw.Draw(canvas).rounded_rectangle(
        (left - 7, top - 7, left + fitted.width + 6, top + fitted.height + 6),
        radius=radius + 6,
        fill=PANEL,
    )
    mask = Image.new("L", fitted.size, 0)
    ImageDraw.Draw(mask).rounded_rectangle(
        (0, 0, fitted.width - 1, fitted.height - 1), radius=radius, fill=255
    )
    canvas.paste(fitted, (left, top), mask)
    return left, top, left + fitted.width, top + fitted.height


def triangle(
    draw: ImageDraw.ImageDraw, center: tuple[float, float], size: float, up: bool, fill: Color
) -> None:
    """An up/down arrow head: emoji arrows do not render with the bundled fonts."""
    cx, cy = center
    half = size / 2
    if up:
        points = [(cx, cy - half), (cx + half, cy + half * 0.8), (cx - half, cy + half * 0.8)]
    else:
        points = [(cx, cy + half), (cx + half, cy - half * 0.8), (cx - half, cy - half * 0.8)]
    draw.polygon(points, fill=fill)


def star(
    draw: ImageDraw.ImageDraw, center: tuple[float, float], radius: float, fill: Color
) -> None:
    """A five-pointed star, the drawn stand-in for a badge's emoji icon."""
    points = []
    for i in range(10):
        r = radius if i % 2 == 0 else radius * 0.45
        angle = math.pi / 2 + i * math.pi / 5
        points.append((center[0] + r * math.cos(angle), center[1] - r * math.sin(angle)))
    draw.polygon(points, fill=fill)


def to_png(image: Image.Image) -> bytes:
    """Lossless PNG bytes: what reply images and tip photos are sent as.

    zlib level 3 files are ~5% larger than the default level 6 but encode 3-5x faster, which
    matters because every scored photo and every tip is encoded while the user waits.
    """
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=3)
    return buffer.getvalue()


JPEG_QUALITY = 88


def to_jpeg(image: Image.Image) -> bytes:
    """JPEG bytes at quality 88: a result card, which is mostly a photo, encodes in ~3 ms
    instead of PNG's 50-100 ms, at a fifth of the size, with no difference anyone sees."""
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=JPEG_QUALITY)
    return buffer.getvalue()
