"""The analyzer end to end: seed parity from the JPEG files, the typed result, PNG parity with
`analyze_image`, batch, async, threads, draft mapping, and fer's preprocessing."""

from __future__ import annotations

import asyncio
import io
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bot.settings import Settings
from inference import EMOTIONS, Analysis, Analyzer, PhotoError
from inference.emotions import EmotionModel, fer_crop, grey, resize_linear
from inference.faces import faces_version
from inference.popularity import PopularityModel
from models.registry import ModelFile, ModelMissingError, emotion_model
from tests.conftest import REFERENCE, SEED_MODEL, SELFIES_DEV, needs_shared
from tests.models.models_kit import tiny_popularity_model
from tests.paths import TEST_DATA

DATA = TEST_DATA


@pytest.fixture(scope="module")
def analyzer(tmp_path_factory: pytest.TempPathFactory) -> Analyzer:
    tiny = tiny_popularity_model(tmp_path_factory.mktemp("tiny-model"))
    with Analyzer(tiny, emotion_model(), workers=2) as shared:
        yield shared


@pytest.fixture(scope="module")
def seed_analyzer(tmp_path_factory: pytest.TempPathFactory) -> Analyzer:
    if not SEED_MODEL.exists():
        pytest.skip("../shared (seed model, reference outputs, selfies) is absent")
    settings = Settings(
        popularity_model=SEED_MODEL, cache_dir=tmp_path_factory.mktemp("seed-cache")
    )
    with Analyzer.from_config(settings.analyzer_config()) as shared:
        yield shared


def jpeg(image: Image.Image, quality: int = 92) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def astronaut() -> Image.Image:
    return Image.open(DATA / "astronaut.jpg").convert("RGB")


@needs_shared
def test_popularity_matches_keras_reference_from_the_jpeg_files(seed_analyzer: Analyzer) -> None:
    reference = json.loads((REFERENCE / "seed_outputs_dev.json").read_text())
    assert len(reference) == 30
    for name, outputs in reference.items():
        analysis = seed_analyzer.analyze((SELFIES_DEV / name).read_bytes())
        assert abs(analysis.popular_probability - outputs[1]) <= 1e-4, name
        assert analysis.score == round(outputs[1] * 100)
        assert analysis.width == analysis.height == 306


@needs_shared
def test_seed_result_names_the_model_versions(seed_analyzer: Analyzer) -> None:
    versions = seed_analyzer.analyze((DATA / "astronaut.jpg").read_bytes()).model_versions
    assert set(versions) == {"popularity", "emotions", "faces"}
    assert versions["emotions"] == emotion_model().card.sha256
    assert versions["faces"] == faces_version()
    assert all(len(v) == 64 for v in versions.values())


def test_astronaut_analysis_is_complete_and_consistent(analyzer: Analyzer) -> None:
    analysis = analyzer.analyze((DATA / "astronaut.jpg").read_bytes())
    assert isinstance(analysis, Analysis)
    assert (analysis.width, analysis.height) == (512, 512)
    assert 0.0 <= analysis.popular_probability <= 1.0
    assert analysis.score == round(analysis.popular_probability * 100)
    (face,) = analysis.faces
    assert analysis.main_face == face
    x, y, w, h = face.box
    assert all(isinstance(v, int) for v in face.box)
    assert x >= 0 and y >= 0 and x + w <= 512 and y + h <= 512
    assert w > 50 and h > 50
    assert tuple(face.emotions) == EMOTIONS
    assert abs(sum(face.emotions.values()) - 1.0) < 1e-4
    assert face.dominant_emotion == max(face.emotions, key=face.emotions.get)
    assert face.dominant_emotion == "happy"  # Eileen Collins smiles in this portrait
    assert face.landmarks is not None and len(face.landmarks) == 6
    assert face.mesh is not None and 0.5 < face.mesh.smile < 1.2
    quality = analysis.quality
    assert 0 < quality.brightness < 1 and 0 < quality.contrast < 0.5
    assert 0 < quality.saturation < 1 and quality.sharpness > 0
    assert quality.face_area_ratio == pytest.approx(w * h / 512**2)
    assert quality.face_center_x == pytest.approx((x + w / 2) / 512)
    assert quality.face_center_y == pytest.approx((y + h / 2) / 512)
    assert quality.face_tilt_degrees is not None and abs(quality.face_tilt_degrees) < 15
    assert quality.face_tilt_degrees == face.mesh.roll_degrees


def test_face_tilt_sign_matches_pil_rotate(analyzer: Analyzer) -> None:
    upright = analyzer.analyze_image(astronaut()).quality.face_tilt_degrees
    turned = astronaut().rotate(-20, resample=Image.Resampling.BILINEAR, center=(256, 160))
    tilt = analyzer.analyze_image(turned).quality.face_tilt_degrees
    assert tilt is not None and upright is not None
    assert 12 < tilt - upright < 28  # turned clockwise: rotate(tilt) turns it back


def test_to_dict_is_json_with_the_documented_keys(analyzer: Analyzer) -> None:
    data = json.loads(json.dumps(analyzer.analyze((DATA / "astronaut.jpg").read_bytes()).to_dict()))
    assert {"score", "popular_probability", "faces", "quality", "model_versions"} <= set(data)
    face = data["faces"][0]
    assert len(face["box"]) == 4 and set(face["emotions"]) == set(EMOTIONS)
    assert face["dominant_emotion"] in EMOTIONS and "left_eye" in face["landmarks"]
    assert {"points", "smile", "mouth_open", "roll_degrees", "yaw_degrees"} <= set(face["mesh"])
    assert "face_tilt_degrees" in data["quality"]


def test_photo_without_a_face(analyzer: Analyzer) -> None:
    analysis = analyzer.analyze_image(Image.new("RGB", (300, 200), (255, 255, 255)))
    assert analysis.faces == () and analysis.main_face is None
    quality = analysis.quality
    assert quality.brightness == pytest.approx(1.0) and quality.contrast == pytest.approx(0.0)
    assert quality.saturation == 0.0 and quality.sharpness == pytest.approx(0.0)
    assert quality.face_area_ratio is None and quality.face_tilt_degrees is None
    assert analysis.popular_probability == pytest.approx(1.0)


@pytest.mark.parametrize("size", [(1, 1), (11, 11), (4000, 1000), (750, 3000)])
def test_tiny_and_extreme_shapes(analyzer: Analyzer, size: tuple[int, int]) -> None:
    analysis = analyzer.analyze(png(Image.new("RGB", size, (120, 90, 60))))
    assert (analysis.width, analysis.height) == size and analysis.faces == ()
    assert 0.0 <= analysis.popular_probability <= 1.0


def test_lazily_opened_image_is_accepted(analyzer: Analyzer) -> None:
    lazy = Image.open(DATA / "astronaut.jpg")
    assert analyzer.analyze_image(lazy) == analyzer.analyze((DATA / "astronaut.jpg").read_bytes())


def test_png_of_an_image_scores_exactly_like_analyze_image(analyzer: Analyzer) -> None:
    image = astronaut().resize((400, 300), Image.Resampling.BICUBIC)
    assert analyzer.analyze(png(image)) == analyzer.analyze_image(image)
    assert analyzer.analyze_image(image.convert("RGBA")) == analyzer.analyze_image(image)


@needs_shared
def test_png_parity_with_the_seed_model(seed_analyzer: Analyzer) -> None:
    image = Image.open(sorted(SELFIES_DEV.glob("*.jpg"))[1]).convert("RGB")
    assert seed_analyzer.analyze(png(image)) == seed_analyzer.analyze_image(image)


def test_large_jpeg_reports_faces_in_photo_pixels(analyzer: Analyzer) -> None:
    small = analyzer.analyze_image(astronaut())
    large = analyzer.analyze(jpeg(astronaut().resize((1536, 1536), Image.Resampling.LANCZOS)))
    assert (large.width, large.height) == (1536, 1536)
    assert len(large.faces) == 1
    for a, b in zip(small.faces[0].box, large.faces[0].box, strict=True):
        assert abs(3 * a - b) < 0.08 * 1536
    assert abs(small.popular_probability - large.popular_probability) < 0.01
    assert large.quality.face_area_ratio == pytest.approx(small.quality.face_area_ratio, rel=0.2)


def test_bad_photos_raise_one_typed_error(analyzer: Analyzer) -> None:
    for data in (b"", b"not a photo", jpeg(astronaut())[:2000]):
        with pytest.raises(PhotoError) as caught:
            analyzer.analyze(data)
        assert caught.value.user_message.startswith("That file isn't a photo I can read: ")


def test_settings_limits_reach_the_analyzer(tmp_path: Path) -> None:
    settings = Settings(
        popularity_model=tiny_popularity_model(tmp_path).onnx_path,
        cache_dir=tmp_path,
        max_image_pixels=5_000,
        max_upload_bytes=10_000_000,
    )
    with Analyzer.from_config(settings.analyzer_config()) as limited:
        with pytest.raises(PhotoError) as caught:
            limited.analyze(png(Image.new("RGB", (100, 100))))
        assert caught.value.reason == "too_large"
        assert limited.analyze(png(Image.new("RGB", (50, 100)))).width == 50


def test_batch_keeps_order_and_puts_errors_in_place(analyzer: Analyzer) -> None:
    good = (DATA / "astronaut.jpg").read_bytes()
    rocket = (DATA / "rocket.jpg").read_bytes()
    results = analyzer.analyze_batch([good, b"", rocket, b"\x00" * 50])
    assert results[0] == analyzer.analyze(good)
    assert isinstance(results[1], PhotoError) and results[1].reason == "empty"
    assert results[2] == analyzer.analyze(rocket) and results[2].faces == ()
    assert isinstance(results[3], PhotoError)
    images = [astronaut(), Image.new("RGB", (64, 64), (10, 20, 30))]
    assert analyzer.analyze_images(images) == [analyzer.analyze_image(i) for i in images]


async def test_async_wrapper(analyzer: Analyzer) -> None:
    data = (DATA / "astronaut.jpg").read_bytes()
    results = await asyncio.gather(*(analyzer.analyze_async(data) for _ in range(3)))
    assert all(result == analyzer.analyze(data) for result in results)
    with pytest.raises(PhotoError):
        await analyzer.analyze_async(b"")


async def test_analyze_photo_hands_back_the_photo_it_analysed(analyzer: Analyzer) -> None:
    data = jpeg(astronaut().resize((1536, 1536), Image.Resampling.LANCZOS))
    image, analysis = await analyzer.analyze_photo_async(data)
    assert analysis == analyzer.analyze(data)
    assert image.mode == "RGB"
    assert min(image.size) < 1536, "large JPEGs come back as the reduced draft decode"
    assert (analysis.width, analysis.height) == (1536, 1536)
    with pytest.raises(PhotoError):
        await analyzer.analyze_photo_async(b"not a photo")


def test_concurrent_calls_match_sequential_ones(analyzer: Analyzer) -> None:
    photos = [(DATA / name).read_bytes() for name in ("astronaut.jpg", "rocket.jpg", "grass.jpg")]
    expected = [analyzer.analyze(p) for p in photos]
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(analyzer.analyze, photos * 4))
    assert results == expected * 4


def test_overlapped_and_sequential_pipelines_agree(analyzer: Analyzer, tmp_path: Path) -> None:
    tiny = tiny_popularity_model(tmp_path)
    with Analyzer(tiny, emotion_model(), overlap=False) as sequential:
        for name in ("astronaut.jpg", "rocket.jpg"):
            data = (DATA / name).read_bytes()
            assert sequential.analyze(data) == analyzer.analyze(data)


def test_missing_popularity_model_is_one_clear_sentence(tmp_path: Path) -> None:
    settings = Settings(popularity_model=None, cache_dir=tmp_path)
    with pytest.raises(ModelMissingError) as caught:
        Analyzer.from_config(settings.analyzer_config())
    assert "selfiebot models" in str(caught.value)


def test_popularity_card_contract_is_enforced(tmp_path: Path) -> None:
    tiny = tiny_popularity_model(tmp_path)
    odd = ModelFile(tiny.onnx_path, _replace(tiny, normalisation="x / 127"))
    with pytest.raises(ValueError, match="normalisation"):
        PopularityModel(odd)
    model = PopularityModel(tiny)
    resized = model.resize(Image.new("RGB", (300, 100), (255, 0, 0)))
    assert resized.size == (128, 128)
    tensor = model.tensor(resized)
    assert tensor.shape == (1, 128, 128, 3) and tensor.dtype == np.float32
    assert tensor[0, 0, 0].tolist() == [1.0, 0.0, 0.0]
    assert model.predict(tensor)[0] == pytest.approx(1 / 3, abs=1e-6)


def test_emotion_model_refuses_other_classes() -> None:
    shipped = emotion_model()
    reordered = ModelFile(shipped.onnx_path, _replace(shipped, labels=tuple(reversed(EMOTIONS))))
    with pytest.raises(ValueError, match="fer"):
        EmotionModel(reordered)


def _replace(model: ModelFile, **changes: object):
    import dataclasses

    return dataclasses.replace(model.card, **changes)


def _fer_reference_crop(
    rgb: np.ndarray, box: tuple[int, int, int, int], padding: int = 40, offset: int = 10
) -> np.ndarray:
    """fer 25.10.3's steps written plainly (whole-image padding, whole-crop resize), to check
    `fer_crop`, which greys and resizes only the pixels the resize reads."""
    gray = grey(rgb)
    fill = np.rint(gray[-2:].mean())
    padded = np.pad(gray, padding, constant_values=fill).astype(np.uint8)
    x, y, w, h = box
    if h > w:
        x, w = x - (h - w) // 2, h
    elif w > h:
        y, h = y - (w - h) // 2, w
    x1, x2 = x - offset + padding, x + w + offset + padding
    y1, y2 = y - offset + padding, y + h + offset + padding
    return _whole_image_resize(padded[max(0, y1) : y2, max(0, x1) : x2], 64)


def _whole_image_resize(image: np.ndarray, size: int) -> np.ndarray:
    """OpenCV's INTER_LINEAR arithmetic as two whole passes (every row, then every column):
    the plain form `resize_linear`'s tap-only gather must reproduce bit for bit."""
    from inference.emotions import _linear_taps

    height, width = image.shape
    if height == width == 2 * size:
        quads = image.astype(np.int64).reshape(size, 2, size, 2).sum(axis=(1, 3))
        return ((quads + 2) >> 2).astype(np.uint8)
    rows_index, rows_weight = _linear_taps(height, size)
    cols_index, cols_weight = _linear_taps(width, size)
    source = image.astype(np.int64)
    horizontal = (
        source[:, cols_index[:, 0]] * cols_weight[:, 0]
        + source[:, cols_index[:, 1]] * cols_weight[:, 1]
    )
    top = ((horizontal[rows_index[:, 0]] >> 4) * rows_weight[:, 0, None]) >> 16
    bottom = ((horizontal[rows_index[:, 1]] >> 4) * rows_weight[:, 1, None]) >> 16
    return np.clip((top + bottom + 2) >> 2, 0, 255).astype(np.uint8)


def test_fer_crop_matches_fers_padding_and_squaring() -> None:
    rng = np.random.default_rng(11)
    rgb = rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)
    boxes = [
        (40, 30, 50, 60),
        (0, 0, 30, 20),
        (130, 90, 40, 40),
        (-20, -5, 60, 45),
        (5, 100, 10, 80),
    ]
    for box in boxes:
        assert np.array_equal(fer_crop(rgb, box), _fer_reference_crop(rgb, box)), box
    # On a draft-decoded image (2.5 photo pixels per pixel) padding and margins shrink with it.
    for box in boxes:
        assert np.array_equal(fer_crop(rgb, box, 2.5), _fer_reference_crop(rgb, box, 16, 4)), box


def test_resize_linear_reads_only_the_taps_yet_matches_the_whole_image_passes() -> None:
    rng = np.random.default_rng(5)
    for height, width in [(1, 1), (2, 300), (63, 64), (64, 64), (128, 128), (127, 129), (401, 77)]:
        image = rng.integers(0, 256, (height, width), dtype=np.uint8)
        assert np.array_equal(resize_linear(image, 64), _whole_image_resize(image, 64)), (
            height,
            width,
        )


def test_grey_and_resize_follow_opencv_arithmetic() -> None:
    colours = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]]], dtype=np.uint8)
    assert grey(colours).tolist() == [[76, 150, 29, 255]]
    image = np.arange(128 * 128, dtype=np.int64).reshape(128, 128) % 251
    image = image.astype(np.uint8)
    quads = image.reshape(64, 2, 64, 2).astype(np.int32).sum(axis=(1, 3))
    assert np.array_equal(resize_linear(image, 64), ((quads + 2) >> 2).astype(np.uint8))
    same = image[:64, :64]
    assert np.array_equal(resize_linear(same, 64), same)
    flat = np.full((37, 91), 77, dtype=np.uint8)
    assert np.array_equal(resize_linear(flat, 64), np.full((64, 64), 77, dtype=np.uint8))


def test_every_face_of_a_pair_is_kept(analyzer: Analyzer) -> None:
    portrait = astronaut()
    pair = Image.new("RGB", (1024, 512))
    pair.paste(portrait, (0, 0))
    pair.paste(portrait.transpose(Image.Transpose.FLIP_LEFT_RIGHT), (512, 0))
    analysis = analyzer.analyze_image(pair)
    assert len(analysis.faces) == 2
    assert analysis.main_face is analysis.faces[0] and analysis.main_face.mesh is not None


@needs_shared
def test_a_box_facemesh_does_not_see_as_a_face_is_dropped(analyzer: Analyzer) -> None:
    """BlazeFace scores a dark wall corner of this selfie 0.54 as a second face; FaceMesh sees
    no face there, so the result shows one box, on the face."""
    photo = SELFIES_DEV / "05db7b34b9aa11e1a9f71231382044a1_6.jpg"
    analysis = analyzer.analyze(photo.read_bytes())
    assert len(analysis.faces) == 1
    x, _, width, height = analysis.faces[0].box
    assert x > 60 and width > 120 and height > 120
