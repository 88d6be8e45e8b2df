"""What the templates draw, built from the game's structured reply data (`Reply.data`).

Templates stay free of arithmetic: percentages, bar widths, label positions and the order of
expressions are decided here, where they can be tested.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from bot.core.markup import convert_marks, render
from bot.web.text import t

EMOTION_ORDER = ("happy", "neutral", "surprise", "sad", "angry", "fear", "disgust")
EMOTION_ICONS = {
    "happy": "😊",
    "neutral": "😐",
    "surprise": "😮",
    "sad": "😢",
    "angry": "😠",
    "fear": "😨",
    "disgust": "🤢",
}
QUALITY_FRACTIONS = ("brightness", "contrast", "saturation", "face_area_ratio")
"""Quality measures on a 0-1 scale, shown as bars. Sharpness is not: it is a Laplacian
variance where ~0.001 is soft and ~0.01 crisp, so it is shown in words."""
SHARPNESS_WORDS = ((0.01, "crisp"), (0.003, "fairly_sharp"), (0.001, "soft"), (0.0, "blurry"))


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def _to_html(own: str) -> str:
    return convert_marks(
        _escape(own),
        bold=lambda inner: f"<b>{inner}</b>",
        code=lambda inner: f"<code>{inner}</code>",
    )


def markup_html(text: str) -> Markup:
    """The core's light markup as safe HTML, a line break per line; literals escaped."""
    return Markup(
        "<br>".join(render(line, markup=_to_html, escape=_escape) for line in text.split("\n"))
    )


def emotion_label(name: str) -> str:
    """The catalogue's word for a model emotion label ("fear" reads "scared"), as in the chats."""
    key = f"emotion.{name}"
    return t(key) if key in t else name


@dataclass(frozen=True)
class EmotionBar:
    name: str
    icon: str
    percent: int
    """0-100, rounded: the bar width and the number shown."""

    @property
    def label(self) -> str:
        return emotion_label(self.name)


@dataclass(frozen=True)
class FaceView:
    """One detected face: its box in photo pixels and its expressions, strongest first."""

    number: int
    x: float
    y: float
    width: float
    height: float
    dominant: str
    emotions: tuple[EmotionBar, ...]

    @property
    def dominant_label(self) -> str:
        return emotion_label(self.dominant)

    @property
    def dominant_icon(self) -> str:
        return EMOTION_ICONS.get(self.dominant, "")

    @property
    def dominant_percent(self) -> int:
        return next((bar.percent for bar in self.emotions if bar.name == self.dominant), 0)


@dataclass(frozen=True)
class QualityMeasure:
    name: str
    percent: int


def _percent(value: Any) -> int:
    try:
        return max(0, min(100, round(float(value) * 100)))
    except (TypeError, ValueError):
        return 0


def face_views(faces: Sequence[Mapping[str, Any]]) -> tuple[FaceView, ...]:
    """Faces numbered largest first, as people count them on the photo."""
    ordered = sorted(faces, key=lambda face: -_area(face.get("box")))
    views = []
    for number, face in enumerate(ordered, start=1):
        x, y, width, height = (float(v) for v in (face.get("box") or (0, 0, 0, 0))[:4])
        emotions: Mapping[str, float] = face.get("emotions") or {}
        names = [name for name in EMOTION_ORDER if name in emotions]
        names += [name for name in emotions if name not in EMOTION_ORDER]
        bars = tuple(
            sorted(
                (EmotionBar(n, EMOTION_ICONS.get(n, ""), _percent(emotions[n])) for n in names),
                key=lambda bar: -bar.percent,
            )
        )
        dominant = face.get("dominant_emotion") or (bars[0].name if bars else "")
        views.append(FaceView(number, x, y, width, height, str(dominant), bars))
    return tuple(views)


def _area(box: Sequence[float] | None) -> float:
    if not box or len(box) < 4:
        return 0.0
    return float(box[2]) * float(box[3])


def quality_measures(quality: Mapping[str, Any]) -> tuple[QualityMeasure, ...]:
    """The 0-1 photo measures, in a fixed order, as percentages (absent ones left out)."""
    return tuple(
        QualityMeasure(t(f"web.quality.{key}"), _percent(quality[key]))
        for key in QUALITY_FRACTIONS
        if isinstance(quality.get(key), int | float)
    )


def sharpness_words(quality: Mapping[str, Any]) -> str | None:
    value = quality.get("sharpness")
    if not isinstance(value, int | float):
        return None
    return next(t(f"web.sharpness.{word}") for floor, word in SHARPNESS_WORDS if value >= floor)


@dataclass(frozen=True)
class TipsView:
    """The core's tips: every number in `message` is the re-scored value of the edited photo
    at `image_url` (None when no edit raised the score)."""

    message: Markup
    best_score: int | None
    image_url: str | None
    original_score: int | None = None


@dataclass(frozen=True)
class PhotoFrame:
    """The photo on the result page: its URL, and the full-size upright dimensions the face
    boxes are measured in."""

    url: str
    width: int
    height: int


@dataclass(frozen=True)
class ResultView:
    """A scored photo as the page shows it."""

    photo: PhotoFrame
    score: int
    message: Markup
    faces: tuple[FaceView, ...]
    quality: tuple[QualityMeasure, ...]
    sharpness: str | None
    card_url: str | None
    tips: TipsView | None
    key: str
    """The upload's idempotency key; the page asks for the tips with it when they come later."""

    @property
    def label_size(self) -> float:
        """Font size of the face labels in photo pixels, so they read the same at any size."""
        return max(12.0, min(self.photo.width, self.photo.height) / 22)

    @property
    def stroke(self) -> float:
        return max(2.0, min(self.photo.width, self.photo.height) / 200)


_MEDALS = {1: "🥇", 2: "🥈", 3: "🥉"}


@dataclass(frozen=True)
class BoardRow:
    rank: int
    name: str
    score: int | None
    is_you: bool
    gap_before: bool = False

    @property
    def medal(self) -> str:
        return _MEDALS.get(self.rank, "")


@dataclass(frozen=True)
class BoardView:
    """One period's board; `rows` has the viewer's own line appended when outside the top."""

    period: str
    title: str
    rows: tuple[BoardRow, ...]
    viewer_rank: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "entries": [
                {"rank": row.rank, "name": row.name, "score": row.score}
                for row in self.rows
                if not row.gap_before
            ],
        }
