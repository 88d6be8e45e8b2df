"""Pure game rules: every badge rule, perceptual hashing, the rate limit, the photo cache, the
message catalogue. No models, no database: these run anywhere in milliseconds."""

from __future__ import annotations

import ast
import io
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image, ImageEnhance

from bot.core import badges
from bot.core.badges import BADGES, Improvement, PhotoFacts, earned_for_photo, most_improved
from bot.core.context import parse_tag, submission_tag, update_tag
from bot.core.i18n import Translator, source_messages
from bot.core.phash import hamming, phash
from bot.core.render import duration, movement, verdict
from bot.core.rules import RateLimit, retry_at
from tests.paths import REPO_ROOT, TEST_DATA

DATA = TEST_DATA
CORE = REPO_ROOT / "bot" / "core"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def facts(**changes: object) -> PhotoFacts:
    """An unremarkable second photo: earns nothing unless a test changes something."""
    base: dict[str, object] = {
        "score": 50,
        "previous_best": 95,
        "photo_count": 2,
        "streak_days": 1,
        "face_count": 1,
        "emotions": {"happy": 0.5, "neutral": 0.4},
        "season_rank": 2,
        "season_players": 5,
    }
    base.update(changes)
    return PhotoFacts(**base)  # type: ignore[arg-type]


def codes(found: list[badges.Badge]) -> set[str]:
    return {badge.code for badge in found}


# --- badges -----------------------------------------------------------------------------------


def test_catalogue_has_at_least_ten_badges_each_with_icon_name_and_rule() -> None:
    t = Translator("en")
    assert len(BADGES) >= 10
    assert len({b.code for b in BADGES}) == len(BADGES)
    for badge in BADGES:
        assert badge.icon.strip()
        assert t(f"badge.{badge.code}.name")
        assert t(f"badge.{badge.code}.rule")


def test_an_ordinary_photo_earns_nothing() -> None:
    assert earned_for_photo(facts()) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"photo_count": 1, "previous_best": None}, "first_selfie"),
        ({"score": 80}, "score_80"),
        ({"streak_days": 3}, "streak_3"),
        ({"emotions": {"happy": 0.9}}, "best_smile"),
        ({"emotions": {"neutral": 0.95}}, "poker_face"),
        ({"score": 60, "previous_best": 50}, "level_up"),
        ({"face_count": 3}, "squad"),
        ({"photo_count": 10}, "regular"),
        ({"season_rank": 1, "season_players": 3}, "chat_leader"),
    ],
)
def test_each_photo_rule_fires_exactly_at_its_threshold(
    changes: dict[str, object], expected: str
) -> None:
    assert codes(earned_for_photo(facts(**changes))) == {expected}


@pytest.mark.parametrize(
    "changes",
    [
        {"score": 79},
        {"streak_days": 2},
        {"emotions": {"happy": 0.89}},
        {"emotions": {"neutral": 0.89}},
        {"score": 59, "previous_best": 50},
        {"face_count": 2},
        {"photo_count": 9},
        {"season_rank": 1, "season_players": 2},
        {"season_rank": 2, "season_players": 9},
    ],
)
def test_just_below_each_threshold_earns_nothing(changes: dict[str, object]) -> None:
    assert earned_for_photo(facts(**changes)) == []


def test_higher_tiers_include_the_lower_ones() -> None:
    assert codes(earned_for_photo(facts(score=90))) == {"score_80", "score_90"}
    assert codes(earned_for_photo(facts(streak_days=7))) == {"streak_3", "streak_7"}


def test_first_photo_is_never_a_level_up() -> None:
    found = codes(earned_for_photo(facts(score=95, previous_best=None, photo_count=1)))
    assert found == {"first_selfie", "score_80", "score_90"}


def test_most_improved_is_the_biggest_rise_and_newcomers_do_not_count() -> None:
    entries = [
        Improvement(1, best=90, previous_best=85),
        Improvement(2, best=70, previous_best=40),
        Improvement(3, best=99, previous_best=None),
        Improvement(4, best=60, previous_best=30),
    ]
    assert most_improved(entries) == 2  # +30, and the tie with user 4 goes to the earlier entry


def test_most_improved_needs_a_real_rise() -> None:
    assert most_improved([Improvement(1, 50, 60), Improvement(2, 40, None)]) is None
    assert most_improved([]) is None


# --- perceptual hash --------------------------------------------------------------------------


def _jpeg(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue()))


def test_phash_survives_recompression_resizing_and_brightness() -> None:
    photo = Image.open(DATA / "astronaut.jpg").convert("RGB")
    original = phash(photo)
    assert 0 <= original < 1 << 64
    assert hamming(original, phash(_jpeg(photo.resize((200, 200)), 35))) <= 2
    assert hamming(original, phash(ImageEnhance.Brightness(photo).enhance(1.15))) <= 2


def test_phash_tells_different_photos_apart() -> None:
    hashes = [
        phash(Image.open(DATA / name)) for name in ("astronaut.jpg", "rocket.jpg", "grass.jpg")
    ]
    for i, first in enumerate(hashes):
        for second in hashes[i + 1 :]:
            assert hamming(first, second) > 16


# --- rate limit -------------------------------------------------------------------------------


def test_rate_limit_allows_until_the_limit_then_names_the_retry_time() -> None:
    window = timedelta(minutes=10)
    limit = RateLimit(photos=3, window=window)
    times = [T0 + timedelta(minutes=m) for m in (0, 1, 2)]
    now = T0 + timedelta(minutes=3)
    assert retry_at(times[:2], limit, now) is None
    assert retry_at(times, limit, now) == T0 + window
    assert retry_at(times, limit, T0 + window + timedelta(seconds=1)) is None


# --- catalogue, rendering, tags ---------------------------------------------------------------


def _literal_keys() -> set[str]:
    """Every catalogue key the core's code passes as a literal to a translator call."""
    keys: set[str] = set()
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name | ast.Attribute)
                and (
                    getattr(node.func, "id", None) in ("t", "text")
                    or getattr(node.func, "attr", "") == "t"
                )
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                keys.add(node.args[0].value)
    return keys


def test_every_key_the_code_uses_is_in_the_english_catalogue() -> None:
    used = _literal_keys()
    assert len(used) > 50
    assert used - set(source_messages()) == set()


class RecordingTranslator(Translator):
    """English, remembering every key asked for: proves text comes from the catalogue."""

    def __init__(self) -> None:
        super().__init__("en")
        self.keys: list[str] = []

    def __call__(self, key: str, /, **values: object) -> str:
        self.keys.append(key)
        return super().__call__(key, **values)

    def plural(self, key: str, count: int, /, **values: object) -> str:
        self.keys.append(key)
        return super().plural(key, count, **values)


def test_reply_images_word_every_label_through_the_catalogue() -> None:
    from bot.core import cards
    from inference.results import EMOTIONS, Analysis, Face, Quality

    photo = Image.new("RGB", (200, 200), (90, 120, 150))
    emotions = dict.fromkeys(EMOTIONS, 0.1)
    face = Face(box=(50, 50, 80, 80), confidence=0.99, landmarks=None, emotions=emotions)
    quality = Quality(0.5, 0.3, 0.01, 0.4)
    t = RecordingTranslator()
    cards.result_card(
        photo,
        Analysis(0.5, 50, (face,), quality, 200, 200, {}),
        None,
        None,
        [("📸", "First selfie")],
        "",
        t=t,
    )
    cards.result_card(photo, Analysis(0.5, 50, (), quality, 200, 200, {}), 2, 1, [], "Ann", t=t)
    cards.leaderboard_image("Week", [], t=t)
    cards.tips_image(photo, photo, 1, scores=(50, 51), t=t)
    expected = {
        "card.you", "card.popularity", "card.not_ranked", "card.in_chat", "card.expression",
        "card.no_face", "card.new_badge", "card.board_empty", "card.gain", "card.before",
        "card.after", "verdict.1", *(f"emotion.{name}" for name in EMOTIONS),
    }  # fmt: skip
    assert expected <= set(t.keys)
    assert Translator("en").plural("card.gain", 1, signed="+1") == "+1 point"
    assert Translator("en").plural("card.gain", 3, signed="-3") == "-3 points"


def test_reply_images_draw_no_literal_words() -> None:
    """Every word drawn on a card comes from the catalogue; only the brand is literal."""
    tree = ast.parse((CORE / "cards.py").read_text())
    literal = [
        node.args[1].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "attr", "") == "text"
        and len(node.args) > 1
        and isinstance(node.args[1], ast.Constant)
        and isinstance(node.args[1].value, str)
        and any(char.isalpha() for char in node.args[1].value)
    ]
    assert literal == ["selfiebot"]


def test_tips_wording_lives_in_the_catalogue() -> None:
    from bot.core import tips
    from inference import tips as engine
    from inference.advice import Advice

    t = RecordingTranslator()
    best = engine.BestEdit((0, 0, 9, 9), (engine.Step("warmth", 0.03),), 50, 0.5, 5, b"")
    tips.reply_text(engine.TipsResult(45, 0.45, best, (Advice("smile", 6.4),)), t)
    tips.reply_text(engine.TipsResult(45, 0.45, None, ()), t)
    assert {
        "tips.title", "tips.line.edit", "tips.line.advice", "tips.edit_text", "tips.step.crop",
        "tips.step.warmth.up", "tips.advice.smile", "tips.nothing",
    } <= set(t.keys)  # fmt: skip


def test_unknown_language_falls_back_to_english() -> None:
    assert Translator("xx").language == "en"
    assert Translator("xx")("movement.same") == Translator("en")("movement.same")


def test_counts_read_in_singular_and_plural() -> None:
    t = Translator("en")
    assert t.plural("top.players", 1) == "1 player"
    assert t.plural("top.players", 3) == "3 players"
    assert t.plural("me.streak", 1, longest=4) == "Streak: 1 day (longest 4)"
    assert t.plural("me.streak", 0, longest=4) == "Streak: 0 days (longest 4)"


def test_render_helpers() -> None:
    t = Translator("en")
    assert [verdict(t, s) for s in (0, 40, 60, 80, 100)] == [
        "Keep trying",
        "Not bad",
        "Great shot",
        "Superstar",
        "Superstar",
    ]
    assert duration(t, timedelta(seconds=30)) == "30 s"
    assert duration(t, timedelta(seconds=61)) == "2 min"
    assert duration(t, timedelta(minutes=75)) == "1 h 15 min"
    assert movement(t, 1, None) == t("movement.new")
    assert "up" in movement(t, 1, 3) and "down" in movement(t, 3, 1)


def test_reply_tags_round_trip() -> None:
    assert parse_tag(submission_tag(42, "update:7")) == (42, "update:7")
    assert parse_tag(update_tag("abc:1")) == (None, "abc:1")
    assert parse_tag("something-else") is None
