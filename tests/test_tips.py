"""Tips that are true: every claimed score is what scoring the returned PNG gives."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from bot.core import tips
from inference.results import EMOTIONS, Analysis, Face, Quality
from tests.conftest import SEED_MODEL, needs_shared

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def analyzer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One real analyzer (seed CNN + fer + MTCNN) for the module: loading it is the slow part."""
    if not SEED_MODEL.exists():
        pytest.skip("../shared (seed model) is absent")
    from bot.settings import Settings
    from inference import Analyzer

    settings = Settings(
        popularity_model=SEED_MODEL,
        cache_dir=tmp_path_factory.mktemp("tips-cache"),
        data_dir=tmp_path_factory.mktemp("tips-data"),
    )
    with Analyzer.from_settings(settings) as loaded:
        yield loaded


@pytest.fixture(scope="module")
def astronaut() -> Image.Image:
    with Image.open(DATA / "astronaut.jpg") as opened:
        return opened.convert("RGB")


@pytest.fixture(scope="module")
def astronaut_report(analyzer, astronaut: Image.Image) -> tips.TipsReport:
    shown = analyzer.analyze((DATA / "astronaut.jpg").read_bytes())
    return tips.suggest_tips(analyzer, astronaut, shown)


@needs_shared
def test_every_tip_rescores_to_exactly_what_it_claims(analyzer, astronaut_report) -> None:
    report = astronaut_report
    assert report.tips, "the astronaut portrait has edits that raise its score"
    for tip in report.tips:
        decoded = Image.open(io.BytesIO(tip.image_png))
        assert decoded.format == "PNG" and decoded.mode == "RGB"
        rescored = analyzer.analyze(tip.image_png)
        assert rescored.score == tip.new_score, tip.edit
        assert tip.gain == tip.new_score - report.original_score > 0
        assert tip.probability_gain == pytest.approx(
            rescored.popular_probability - report.original_probability, abs=1e-9
        )
        assert tip.probability_gain > 0


@needs_shared
def test_baseline_is_the_photo_scored_the_same_way(analyzer, astronaut, astronaut_report) -> None:
    baseline = analyzer.analyze_image(astronaut)
    assert astronaut_report.original_score == baseline.score
    assert astronaut_report.original_probability == pytest.approx(baseline.popular_probability)


@needs_shared
def test_tips_are_sorted_best_first_and_unique(astronaut_report) -> None:
    report = astronaut_report
    gains = [tip.gain for tip in report.tips]
    assert gains == sorted(gains, reverse=True)
    assert report.best == report.tips[0]
    assert len({tip.edit for tip in report.tips}) == len(report.tips) <= tips.MAX_TIPS
    assert all(tip.title and tip.edit for tip in report.tips)


@needs_shared
def test_crop_frames_the_face_at_a_third_in_the_upper_middle(analyzer, astronaut) -> None:
    face = analyzer.analyze_image(astronaut).largest_face
    crops = dict(tips._crops(astronaut, tips.edits.Box(*face.box)))
    assert 33 in crops, crops.keys()
    framed = analyzer.analyze_image(crops[33]).quality
    # The detector's box on the crop differs a little from the box the crop was built on.
    assert framed.face_area_ratio == pytest.approx(1 / 3, abs=0.06)
    assert framed.face_center_x == pytest.approx(0.5, abs=0.06)
    assert framed.face_center_y == pytest.approx(1 / 3, abs=0.06)


@needs_shared
def test_a_tilted_face_is_straightened_level(analyzer, astronaut) -> None:
    tilted = astronaut.rotate(-15, resample=Image.Resampling.BICUBIC)
    analysis = analyzer.analyze_image(tilted)
    assert analysis.quality.face_tilt_degrees == pytest.approx(15, abs=4)
    straightened = [
        image
        for codes, _, image in tips._geometry_edits(tilted, analysis)
        if codes == ("straighten",)
    ]
    assert len(straightened) == 1
    level = analyzer.analyze_image(straightened[0]).quality.face_tilt_degrees
    assert abs(level) < 4


@needs_shared
def test_a_photo_without_a_face_gets_colour_tips_and_the_no_face_note(analyzer) -> None:
    with Image.open(DATA / "grass.jpg") as opened:
        grass = opened.convert("RGB")
    report = tips.suggest_tips(analyzer, grass)
    assert "tips.obs.no_face" in {o.key for o in report.observations}
    for tip in report.tips:
        assert "crop" not in tip.edit and "straighten" not in tip.edit
        assert analyzer.analyze(tip.image_png).score == tip.new_score


@needs_shared
def test_a_large_photo_is_edited_on_a_reduced_copy(analyzer, astronaut) -> None:
    large = astronaut.resize((1600, 1200), Image.Resampling.LANCZOS)
    report = tips.suggest_tips(analyzer, large)
    assert report.original_score == analyzer.analyze_image(tips._working_copy(large)).score
    if report.best is not None:
        best = Image.open(io.BytesIO(report.best.image_png))
        assert max(best.size) <= tips.WORK_SIDE
        assert analyzer.analyze(report.best.image_png).score == report.best.new_score


def _analysis(quality: Quality, faces: tuple[Face, ...] = ()) -> Analysis:
    return Analysis(0.5, 50, faces, quality, 640, 480, {})


def _face(box: tuple[int, int, int, int], happy: float) -> Face:
    emotions = dict.fromkeys(EMOTIONS, (1 - happy) / 6)
    emotions["happy"] = happy
    return Face(box=box, confidence=0.99, landmarks=None, emotions=emotions)


def test_a_good_photo_gets_no_observations() -> None:
    quality = Quality(0.5, 0.3, 0.01, 0.4, 0.3, 0.5, 0.4, 2.0)
    assert tips.observe(_analysis(quality, (_face((200, 100, 240, 240), 0.9),))) == ()


def test_observations_name_each_problem_with_a_fix() -> None:
    quality = Quality(0.2, 0.1, 0.001, 0.4, 0.02, 0.85, 0.4, -14.0)
    faces = (_face((500, 150, 60, 60), 0.05), _face((100, 100, 40, 40), 0.9))
    notes = tips.observe(_analysis(quality, faces))
    keys = [note.key for note in notes]
    assert keys == [
        "tips.obs.several_faces",
        "tips.obs.face_small",
        "tips.obs.off_centre",
        "tips.obs.tilted",
        "tips.obs.no_smile",
        "tips.obs.dark",
        "tips.obs.flat",
        "tips.obs.blurry",
    ]
    by_key = {note.key: note for note in notes}
    assert by_key["tips.obs.several_faces"].text.startswith("There are 2 faces")
    assert by_key["tips.obs.face_small"].text == "Your face fills only 2% of the photo."
    assert "right" in by_key["tips.obs.off_centre"].text
    assert "14°" in by_key["tips.obs.tilted"].text
    assert all(note.fix and note.fix != note.text for note in notes)


def test_no_face_and_overexposure_observations() -> None:
    notes = tips.observe(_analysis(Quality(0.9, 0.3, 0.01, 0.2)))
    assert [n.key for n in notes] == ["tips.obs.no_face", "tips.obs.bright"]


def test_every_text_key_formats() -> None:
    values = {"percent": 10, "degrees": 5, "count": 2, "side": "left", "strength": "light"}
    for key in tips.TEXTS:
        assert tips.text(key, **values)


def test_working_copy_keeps_small_photos_and_shrinks_large_ones() -> None:
    small = Image.new("RGB", (306, 306))
    assert tips._working_copy(small).size == (306, 306)
    large = Image.new("RGBA", (4032, 3024), (0, 0, 0, 0))
    copy = tips._working_copy(large)
    assert copy.size == (tips.WORK_SIDE, 768) and copy.mode == "RGB"
    # Transparency becomes white, as the analyzer shows it, not black.
    assert copy.getpixel((0, 0)) == (255, 255, 255)
