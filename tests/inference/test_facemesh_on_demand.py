"""FaceMesh runs where its answer is used: not on a plain score of a level face, on a face
tilted enough to be levelled (its exact roll turns the emotion crop), when the caller asks
(`mesh=True`), and later on a photo the caller already has (`Analyzer.with_mesh`: the tips
engine's smile and tilt advice)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from inference import EMOTIONS, Analysis, Analyzer
from inference import tips as engine
from inference.analyzer import MESH_LEVEL_DEGREES
from inference.results import FaceMesh
from models.registry import emotion_model
from tests.models.models_kit import tiny_popularity_model
from tests.paths import TEST_DATA

DATA = TEST_DATA
Box = tuple[int, int, int, int]
# The astronaut turned about her face: BlazeFace's eye line then reads about 0 and 27 degrees.
LEVEL_TURN = 10
TILTED_TURN = -25


@pytest.fixture(scope="module")
def analyzer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Analyzer]:
    tiny = tiny_popularity_model(tmp_path_factory.mktemp("tiny-model"))
    with Analyzer(tiny, emotion_model(), workers=2) as shared:
        yield shared


class Spy:
    """Counts FaceMesh runs and keeps the angles the emotion crops were turned by."""

    def __init__(self, analyzer: Analyzer, monkeypatch: pytest.MonkeyPatch) -> None:
        self.meshes = 0
        self.rolls: list[list[float]] = []
        measure, preprocess = analyzer._mesh.measure, analyzer._emotions.preprocess

        def counted(*args: object, **kwargs: object) -> FaceMesh | None:
            self.meshes += 1
            return measure(*args, **kwargs)  # type: ignore[arg-type]

        def kept(
            rgb: np.ndarray, boxes: list[Box], scale: float = 1.0, rolls: list[float] | None = None
        ) -> np.ndarray:
            self.rolls.append(list(rolls or []))
            return preprocess(rgb, boxes, scale, rolls)

        monkeypatch.setattr(analyzer._mesh, "measure", counted)
        monkeypatch.setattr(analyzer._emotions, "preprocess", kept)


def turned(angle: float) -> Image.Image:
    with Image.open(DATA / "astronaut.jpg") as opened:
        portrait = opened.convert("RGB")
    return portrait.rotate(angle, resample=Image.Resampling.BILINEAR, center=(256, 160))


def test_a_plain_score_of_a_level_face_runs_no_facemesh(
    analyzer: Analyzer, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = Spy(analyzer, monkeypatch)
    analysis = analyzer.analyze_image(turned(LEVEL_TURN))
    face = analysis.main_face
    assert face is not None and face.mesh is None
    assert spy.meshes == 0 and spy.rolls == [[0.0]]  # fer's own crop
    tilt = analysis.quality.face_tilt_degrees  # from the detector's eye keypoints
    assert tilt is not None and abs(tilt) < MESH_LEVEL_DEGREES


def test_a_tilted_face_is_levelled_by_facemesh(
    analyzer: Analyzer, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = Spy(analyzer, monkeypatch)
    analysis = analyzer.analyze_image(turned(TILTED_TURN))
    face = analysis.main_face
    assert face is not None and face.mesh is not None
    assert spy.meshes == 1
    assert spy.rolls == [[face.mesh.roll_degrees]] and face.mesh.roll_degrees > 20
    assert analysis.quality.face_tilt_degrees == face.mesh.roll_degrees


def test_asking_for_the_mesh_adds_it_and_changes_nothing_else(analyzer: Analyzer) -> None:
    image = turned(LEVEL_TURN)
    plain = analyzer.analyze_image(image)
    full = analyzer.analyze_image(image, mesh=True)
    assert plain.main_face is not None and full.main_face is not None
    assert full.main_face.mesh is not None and 0.5 < full.main_face.mesh.smile < 1.2
    assert full.main_face.emotions == plain.main_face.emotions
    assert full.popular_probability == plain.popular_probability
    assert full.quality.face_tilt_degrees == full.main_face.mesh.roll_degrees
    assert replace(full.main_face, mesh=None) == plain.main_face


def test_with_mesh_measures_the_face_on_the_photo_at_any_size(analyzer: Analyzer) -> None:
    image = turned(LEVEL_TURN)
    full = analyzer.analyze_image(image, mesh=True)
    plain = analyzer.analyze_image(image)
    assert full.main_face is not None and full.main_face.mesh is not None
    for photo in (image, image.resize((256, 256), Image.Resampling.LANCZOS)):
        later = analyzer.with_mesh(photo, plain)
        assert later.main_face is not None and later.main_face.mesh is not None
        mesh, want = later.main_face.mesh, full.main_face.mesh
        assert mesh.roll_degrees == pytest.approx(want.roll_degrees, abs=1.0)
        assert mesh.smile == pytest.approx(want.smile, abs=0.03)
        assert mesh.points["nose_tip"] == pytest.approx(want.points["nose_tip"], abs=4.0)
        assert later.quality.face_tilt_degrees == mesh.roll_degrees
        assert later.main_face.emotions == plain.main_face.emotions  # type: ignore[union-attr]
        assert later.score == plain.score
    assert analyzer.with_mesh(image, full) is full


def test_with_mesh_leaves_a_photo_without_a_face_as_it_is(analyzer: Analyzer) -> None:
    blank = Image.new("RGB", (200, 200), (255, 255, 255))
    analysis = analyzer.analyze_image(blank)
    assert analyzer.with_mesh(blank, analysis) is analysis


def test_analyses_with_and_without_a_mesh_survive_their_record(analyzer: Analyzer) -> None:
    image = turned(LEVEL_TURN)
    for analysis in (analyzer.analyze_image(image), analyzer.analyze_image(image, mesh=True)):
        assert Analysis.from_record(analysis.to_record()) == analysis


def test_the_tips_advice_reads_facemesh_the_plain_score_skipped(analyzer: Analyzer) -> None:
    """Told that fer read the astronaut as unsmiling, the engine still sees her smile by
    FaceMesh's mouth width, which it measures because the stored analysis has no mesh: no
    advice to smile (the only advice worth anything here)."""
    image = turned(LEVEL_TURN)
    plain = analyzer.analyze_image(image)
    assert plain.main_face is not None and plain.main_face.mesh is None
    serious = dict.fromkeys(EMOTIONS, 0.0) | {"neutral": 1.0}
    shown = replace(plain, faces=(replace(plain.main_face, emotions=serious),))
    result = engine.suggest(analyzer, image, shown, gains={"smile": 50.0})
    assert result.advice == ()
