"""Reply images: valid PNGs of the promised size that draw what they are given."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw

from bot.core import cards, drawing
from inference.results import EMOTIONS, Analysis, Face, Quality
from tests.conftest import needs_shared
from tests.paths import TEST_DATA

DATA = TEST_DATA


def _png(data: bytes) -> Image.Image:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.format == "PNG"
    return image


def _has_color(image: Image.Image, color: tuple[int, int, int], box=None) -> bool:
    region = image.convert("RGB").crop(box) if box else image.convert("RGB")
    return any(count and rgb == color for count, rgb in region.getcolors(1 << 20) or ())


def test_leaderboard_image_size_grows_with_rows_and_gaps() -> None:
    rows = [(1, "Alice", 91, False), (2, "Bob", 85, False), (3, "Carol", 77, True)]
    three = _png(cards.leaderboard_image("This week", rows))
    assert three.size == (cards.BOARD_WIDTH, cards.BOARD_HEADER + 3 * cards.BOARD_ROW + 56)
    with_gap = _png(cards.leaderboard_image("This week", [*rows[:2], (14, "Me", 12, True)]))
    assert with_gap.height == three.height + 30


def test_leaderboard_image_draws_podium_medals_and_highlights_the_asker() -> None:
    rows = [(1, "Alice", 91, False), (2, "Bob", 85, False), (3, "Me", 77, True)]
    image = _png(cards.leaderboard_image("Season", rows)).convert("RGB")
    for color in (drawing.GOLD, drawing.SILVER, drawing.BRONZE, drawing.ACCENT):
        assert _has_color(image, color), color
    plain = _png(cards.leaderboard_image("Season", [(r, n, s, False) for r, n, s, _ in rows]))
    assert not _has_color(plain, drawing.ACCENT)


def test_leaderboard_image_handles_an_empty_board_and_hostile_names() -> None:
    empty = _png(cards.leaderboard_image("All time", []))
    assert empty.size == (cards.BOARD_WIDTH, cards.BOARD_HEADER + cards.BOARD_ROW + 56)
    odd = [
        (1, "🔥" * 40 + "x" * 200, 150, True),
        (2, "", -5, False),
        (3, "\u202e\x00tab\t", 0, False),
    ]
    assert _png(cards.leaderboard_image("🏆 " + "long title " * 20, odd)).width == cards.BOARD_WIDTH


def test_tips_image_shows_both_photos_side_by_side() -> None:
    before = Image.new("RGB", (300, 300), (255, 0, 0))
    after = Image.new("RGB", (200, 400), (0, 0, 255))
    image = _png(cards.tips_image(before, after, 7, scores=(40, 47), caption="More contrast"))
    assert image.size == (cards.TIPS_WIDTH, cards.TIPS_HEIGHT)
    notes = ["• Smile", "• Hold the phone closer"]
    with_notes = _png(cards.tips_image(before, after, 7, scores=(40, 47), notes=notes))
    assert with_notes.size == (cards.TIPS_WIDTH, cards.TIPS_HEIGHT + 2 * cards.TIPS_NOTE)
    note_rows = with_notes.crop((0, cards.TIPS_HEIGHT - 40, cards.TIPS_WIDTH, with_notes.height))
    assert _has_color(note_rows, drawing.TEXT)
    middle = image.height // 2
    assert image.getpixel((cards.MARGIN + cards.TIPS_TILE // 2, middle))[:3] == (255, 0, 0)
    right_centre = cards.TIPS_WIDTH - cards.MARGIN - cards.TIPS_TILE // 2
    assert image.getpixel((right_centre, middle))[:3] == (0, 0, 255)
    assert _has_color(image, drawing.UP)


def test_text_helpers_drop_undrawable_characters_and_fit_width() -> None:
    assert drawing.printable("Eileen 🚀 Collins\u200d\x07") == "Eileen Collins"
    draw = ImageDraw.Draw(Image.new("RGB", (10, 10)))
    face = drawing.font(20)
    short = drawing.fit_text(draw, "a very long display name indeed", face, 120)
    assert short.endswith("…") and drawing.text_width(draw, short, face) <= 120
    lines = drawing.wrap(draw, "keep trying, the next one will be better", face, 150, 2)
    assert len(lines) == 2 and all(drawing.text_width(draw, x, face) <= 150 for x in lines)


@pytest.mark.parametrize(
    ("score", "verdict"), [(95, "Superstar"), (65, "Great shot"), (5, "Keep trying")]
)
def test_default_verdicts_follow_the_score(score: int, verdict: str) -> None:
    assert cards.default_verdict(score) == verdict


def _analysis(score: int, faces: tuple[Face, ...], size: tuple[int, int]) -> Analysis:
    quality = Quality(0.5, 0.3, 0.01, 0.4)
    return Analysis(score / 100, score, faces, quality, size[0], size[1], {})


def _face(box: tuple[int, int, int, int], dominant: str) -> Face:
    emotions = dict.fromkeys(EMOTIONS, 0.02)
    emotions[dominant] = 0.88
    return Face(box=box, confidence=0.99, landmarks=None, emotions=emotions)


def test_result_card_size_and_badge_strip() -> None:
    photo = Image.new("RGB", (512, 512), (90, 120, 150))
    analysis = _analysis(73, (_face((170, 60, 120, 150), "happy"),), photo.size)
    plain = _png(cards.result_card(photo, analysis, 3, 2, [], "Eileen"))
    assert plain.size == (cards.CARD_WIDTH, cards.CARD_HEIGHT)
    badges = [("🔥", "Hot streak"), ("⭐", "80 club")]
    with_badges = _png(cards.result_card(photo, analysis, 3, -1, badges, "Eileen"))
    assert with_badges.size == (cards.CARD_WIDTH, cards.CARD_HEIGHT + cards.BADGE_STRIP)
    strip = (0, cards.CARD_HEIGHT, cards.CARD_WIDTH, with_badges.height)
    assert _has_color(with_badges, drawing.GOLD, strip), "badge stars are drawn"


def test_result_card_draws_score_colour_emotion_bars_and_rank_movement() -> None:
    photo = Image.new("RGB", (400, 300), (90, 120, 150))
    analysis = _analysis(65, (_face((100, 50, 100, 120), "surprise"),), photo.size)
    card = _png(cards.result_card(photo, analysis, 2, 3, [], "Ann")).convert("RGB")
    right_side = (cards.MARGIN + cards.PHOTO_BOX, 0, cards.CARD_WIDTH, cards.CARD_HEIGHT)
    assert _has_color(card, drawing.verdict_color(65), right_side)
    assert _has_color(card, drawing.EMOTION_COLORS["surprise"], right_side)
    assert _has_color(card, drawing.UP, right_side), "a climb is drawn in green"
    fell = _png(cards.result_card(photo, analysis, 2, -3, [], "Ann")).convert("RGB")
    assert _has_color(fell, drawing.DOWN, right_side) and not _has_color(fell, drawing.UP)


def test_result_card_boxes_faces_in_the_analysed_photo_coordinates() -> None:
    # The analyzer reports boxes in the photo's own pixels; the image drawn may be smaller.
    # Here the 1600x800 photo's face maps to x 240..360, y 60..180 of the 480x240 thumbnail.
    photo = Image.new("RGB", (800, 400), (0, 0, 0))
    analysis = _analysis(50, (_face((800, 200, 400, 400), "happy"),), (1600, 800))
    card = _png(cards.result_card(photo, analysis, None, None, [], "Bob")).convert("RGB")
    top = cards.MARGIN + (cards.PHOTO_BOX - 240) // 2
    left = cards.MARGIN + 240
    assert card.getpixel((left + 1, top + 120)) == drawing.ACCENT
    assert card.getpixel((left + 60, top + 120)) == (0, 0, 0)


def test_result_card_without_a_face_or_rank() -> None:
    photo = Image.new("RGB", (300, 600), (200, 200, 200))
    card = _png(cards.result_card(photo, _analysis(12, (), photo.size), None, None, [], ""))
    assert card.size == (cards.CARD_WIDTH, cards.CARD_HEIGHT)
    assert not _has_color(card, drawing.ACCENT)


@needs_shared
def test_result_card_for_a_real_analysis(tmp_path_factory: pytest.TempPathFactory) -> None:
    from bot.settings import Settings
    from inference import Analyzer
    from tests.conftest import SEED_MODEL

    settings = Settings(
        popularity_model=SEED_MODEL, cache_dir=tmp_path_factory.mktemp("cards-cache")
    )
    data = (DATA / "astronaut.jpg").read_bytes()
    with Analyzer.from_config(settings.analyzer_config()) as analyzer:
        analysis = analyzer.analyze(data)
    photo = Image.open(io.BytesIO(data))
    card = _png(cards.result_card(photo, analysis, 1, 0, [("🥇", "First selfie")], "Eileen"))
    assert card.size == (cards.CARD_WIDTH, cards.CARD_HEIGHT + cards.BADGE_STRIP)
    assert _has_color(card, drawing.ACCENT), "the detected face is boxed"


def test_cards_render_with_pillows_bundled_font_when_dejavu_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(drawing, "_DEJAVU_DIRS", ())
    drawing.font.cache_clear()
    try:
        assert drawing.font(20).getbbox("Score")[2] > 0
        board = _png(cards.leaderboard_image("Week", [(1, "Ann", 80, True)]))
        assert board.width == cards.BOARD_WIDTH
    finally:
        drawing.font.cache_clear()
