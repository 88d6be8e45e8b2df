"""Face detection (BlazeFace) and landmarks (FaceMesh): MediaPipe's decoding, the main face on
the dev selfies (including those MTCNN got wrong), no faces in face-free photos, coordinate maps.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from inference.faces import (
    FULL_RANGE,
    KEYPOINT_NAMES,
    SHORT_RANGE,
    DetectedFace,
    FaceDetector,
    detection_copy,
    letterbox,
    weighted_nms,
)
from inference.landmarks import FaceMeshModel, eye_roll
from tests.conftest import SELFIES_DEV, needs_shared
from tests.paths import TEST_DATA

DATA = TEST_DATA

# Main-face boxes (x1, y1, x2, y2) checked by eye on a contact sheet, for the three dev selfies
# whose main face MTCNN got wrong: sunglasses, a strongly tilted face, a face cut by the top
# edge and turned. (Found by BlazeFace short range at scores 0.79, 0.83 and 0.57.)
VERIFIED_MAIN_FACES = {
    "10004079_1374851766130968_2065152224_a.jpg": (133, 6, 248, 121),
    "10004079_863464860346532_497520081_a.jpg": (107, 0, 306, 229),
    "10004084_743363189036874_596729900_a.jpg": (93, 0, 221, 96),
}


@pytest.fixture(scope="module")
def detector() -> FaceDetector:
    return FaceDetector()


@pytest.fixture(scope="module")
def mesh_model() -> FaceMeshModel:
    return FaceMeshModel()


def detect(detector: FaceDetector, image: Image.Image) -> list[DetectedFace]:
    copy, factor = detection_copy(image)
    return [face.scaled(factor) for face in detector.detect(copy)]


def astronaut() -> Image.Image:
    return Image.open(DATA / "astronaut.jpg").convert("RGB")


def iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = width * height
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def landscape(width: int = 640, height: int = 427) -> Image.Image:
    """A generated landscape: sky gradient, rolling hills, a sun, some texture."""
    rng = np.random.default_rng(3)
    y = np.linspace(0.0, 1.0, height)[:, None]
    x = np.linspace(0.0, 1.0, width)[None, :]
    sky = np.stack([90 + 80 * y + 0 * x, 140 + 70 * y + 0 * x, 235 - 40 * y + 0 * x], axis=2)
    horizon = 0.55 + 0.08 * np.sin(9 * x) + 0.04 * np.sin(23 * x + 1)
    ground = (y > horizon)[..., None]
    grass = np.stack([40 + 30 * y + 0 * x, 120 + 40 * np.sin(40 * x) * y, 40 + 0 * x * y], axis=2)
    pixels = np.where(ground, grass, sky) + rng.normal(0, 6, (height, width, 3))
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    ImageDraw.Draw(image).ellipse((480, 40, 540, 100), fill=(255, 230, 120))
    return image


def texture(side: int = 400) -> Image.Image:
    rng = np.random.default_rng(5)
    cells = rng.integers(0, 255, (side // 8, side // 8, 3), dtype=np.uint8)
    return Image.fromarray(cells).resize((side, side), Image.Resampling.BICUBIC)


# --- MediaPipe's decoding ------------------------------------------------------------------


def test_anchor_counts_and_grids_match_the_models() -> None:
    assert SHORT_RANGE.anchors.shape == (896, 2) and FULL_RANGE.anchors.shape == (2304, 2)
    # Short range: a 16x16 grid with 2 anchors per cell, then an 8x8 grid with 6 per cell.
    first = SHORT_RANGE.anchors[:512]
    assert np.allclose(first[0], [0.5 / 16, 0.5 / 16]) and np.allclose(first[1], first[0])
    assert np.allclose(first[2], [1.5 / 16, 0.5 / 16])  # x moves fastest
    assert np.allclose(SHORT_RANGE.anchors[512:518], [0.5 / 8, 0.5 / 8])
    assert np.allclose(FULL_RANGE.anchors[48], [0.5 / 48, 1.5 / 48])


def test_weighted_nms_merges_overlaps_weighted_by_score_and_keeps_the_best_score() -> None:
    row = np.zeros(16)
    a, b, far = row.copy(), row.copy(), row.copy()
    a[:4], b[:4], far[:4] = [0.1, 0.1, 0.5, 0.5], [0.2, 0.2, 0.6, 0.6], [0.7, 0.7, 0.9, 0.9]
    merged = weighted_nms(np.stack([a, b, far]), np.array([0.9, 0.6, 0.55]))
    assert len(merged) == 2
    (box, score), (other, other_score) = merged
    assert score == 0.9 and other_score == 0.55
    assert np.allclose(box[:4], (0.9 * a[:4] + 0.6 * b[:4]) / 1.5)
    assert np.allclose(other[:4], far[:4])


def test_letterbox_centres_the_photo_on_black_in_minus_one_to_one() -> None:
    tensor, box = letterbox(Image.new("RGB", (200, 100), (255, 255, 255)), 128)
    assert tensor.shape == (1, 128, 128, 3)
    assert (box.width, box.height, box.left, box.top) == (128, 64, 0, 32)
    assert np.all(tensor[0, :32] == -1.0) and np.allclose(tensor[0, 32:96], 1.0)
    corner = box.to_image(np.array([[0.0, 0.25], [1.0, 0.75]]), (200, 100))
    assert np.allclose(corner, [[0, 0], [200, 100]])


# --- faces on photos -----------------------------------------------------------------------


def test_astronaut_has_one_face_with_six_keypoints(detector: FaceDetector) -> None:
    (face,) = detect(detector, astronaut())
    assert face.confidence > 0.8
    assert 160 < face.x1 < face.x2 < 300 and 50 < face.y1 < face.y2 < 200
    assert tuple(face.landmarks) == KEYPOINT_NAMES
    left, right = face.landmarks["left_eye"], face.landmarks["right_eye"]
    assert left[0] < right[0]
    assert face.landmarks["nose"][1] > left[1]
    assert face.landmarks["mouth"][1] > face.landmarks["nose"][1]
    assert face.landmarks["left_ear"][0] < left[0] and face.landmarks["right_ear"][0] > right[0]


@pytest.mark.parametrize(
    "make",
    [
        lambda: Image.open(DATA / "rocket.jpg").convert("RGB"),
        lambda: Image.open(DATA / "grass.jpg").convert("RGB"),
        lambda: Image.new("RGB", (400, 300), (200, 200, 200)),
        lambda: Image.new("RGB", (5, 5), (0, 0, 0)),
        landscape,
        texture,
    ],
    ids=["rocket", "grass", "blank", "tiny", "landscape", "texture"],
)
def test_no_face_in_face_free_photos(detector: FaceDetector, make) -> None:
    image = make()
    assert detect(detector, image) == []
    assert detector.run(detection_copy(image)[0], FULL_RANGE) == []


def test_two_people_give_two_faces(detector: FaceDetector) -> None:
    portrait = astronaut()
    pair = Image.new("RGB", (1024, 512))
    pair.paste(portrait, (0, 0))
    pair.paste(portrait.transpose(Image.Transpose.FLIP_LEFT_RIGHT), (512, 0))
    faces = sorted(detect(detector, pair), key=lambda face: face.x1)
    assert len(faces) == 2
    assert faces[0].x2 < 512 < faces[1].x1


def test_the_most_confident_face_comes_first_not_the_largest(detector: FaceDetector) -> None:
    """A blurred, larger copy of the face scores lower than the sharp small one: the sharp one
    is the main face."""
    face = astronaut().crop((150, 50, 300, 200))
    scene = Image.new("RGB", (640, 400), (120, 120, 120))
    scene.paste(face.resize((260, 260)).filter(ImageFilter.GaussianBlur(9)), (360, 60))
    scene.paste(face, (60, 150))
    faces = detect(detector, scene)
    assert len(faces) == 2
    main, blurred = faces
    assert main.x2 < 300 < blurred.x1 and main.confidence > blurred.confidence
    assert (main.x2 - main.x1) < (blurred.x2 - blurred.x1)


def test_large_photo_boxes_map_back_to_photo_pixels(detector: FaceDetector) -> None:
    small = astronaut()
    large = small.resize((1536, 1536), Image.Resampling.LANCZOS)
    (face_small,) = detect(detector, small)
    (face_large,) = detect(detector, large)
    for a, b in zip(
        (face_small.x1, face_small.y1, face_small.x2, face_small.y2),
        (face_large.x1, face_large.y1, face_large.x2, face_large.y2),
        strict=True,
    ):
        assert abs(a * 3 - b) < 0.03 * 1536


def test_a_tilted_face_is_found_with_its_tilt(detector: FaceDetector) -> None:
    image = astronaut()
    (upright,) = detect(detector, image)
    tilted = image.rotate(-35, resample=Image.Resampling.BILINEAR, center=(256, 160))
    faces = detect(detector, tilted)
    assert faces, "a face tilted by 35 degrees is still found"
    assert 25 < eye_roll(faces[0]) - eye_roll(upright) < 45
    assert abs((faces[0].x1 + faces[0].x2) / 2 - (upright.x1 + upright.x2) / 2) < 30


def test_detection_copy_is_bounded() -> None:
    copy, factor = detection_copy(Image.new("RGB", (1280, 960)))
    assert max(copy.size) == 320 and factor == 4.0
    same, one = detection_copy(Image.new("RGB", (306, 306)))
    assert same.size == (306, 306) and one == 1.0


# --- FaceMesh ------------------------------------------------------------------------------


def test_facemesh_points_sit_on_the_astronauts_face(
    detector: FaceDetector, mesh_model: FaceMeshModel
) -> None:
    image = astronaut()
    (face,) = detect(detector, image)
    mesh = mesh_model.measure(image, face)
    assert mesh is not None and mesh.presence > 0.9
    points = mesh.points
    assert points["left_eye_outer"][0] < points["left_eye_inner"][0]
    assert points["left_eye_inner"][0] < points["right_eye_inner"][0]
    assert points["right_eye_inner"][0] < points["right_eye_outer"][0]
    assert points["left_eye_inner"][1] < points["nose_tip"][1] < points["upper_lip"][1]
    assert points["upper_lip"][1] < points["lower_lip"][1] < points["chin"][1]
    assert points["mouth_left"][0] < points["nose_tip"][0] < points["mouth_right"][0]
    assert face.x1 < points["nose_tip"][0] < face.x2 and face.y1 < points["nose_tip"][1] < face.y2
    assert 0.5 < mesh.smile < 1.2 and 0.0 <= mesh.mouth_open < 0.5
    assert abs(mesh.roll_degrees) < 10 and abs(mesh.yaw_degrees) < 20


def test_facemesh_roll_and_yaw_follow_the_head(
    detector: FaceDetector, mesh_model: FaceMeshModel
) -> None:
    image = astronaut()
    (face,) = detect(detector, image)
    upright = mesh_model.measure(image, face)
    turned_image = image.rotate(-20, resample=Image.Resampling.BILINEAR, center=(225, 125))
    (turned_face,) = detect(detector, turned_image)
    turned = mesh_model.measure(turned_image, turned_face)
    mirror_image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    (mirror_face,) = detect(detector, mirror_image)
    mirror = mesh_model.measure(mirror_image, mirror_face)
    assert upright and turned and mirror
    assert 15 < turned.roll_degrees - upright.roll_degrees < 25
    # FaceMesh places eye corners to a degree or two: the mirror image agrees to 3 degrees.
    assert mirror.roll_degrees == pytest.approx(-upright.roll_degrees, abs=3)
    assert mirror.yaw_degrees == pytest.approx(-upright.yaw_degrees, abs=3)
    assert mirror.smile == pytest.approx(upright.smile, abs=0.03)


def test_facemesh_sees_no_face_in_a_blank_crop(mesh_model: FaceMeshModel) -> None:
    blank = Image.new("RGB", (300, 300), (128, 128, 128))
    fake = DetectedFace(100, 100, 200, 200, 0.9, {"left_eye": (130, 130), "right_eye": (170, 130)})
    assert mesh_model.measure(blank, fake) is None


# --- the dev selfies -----------------------------------------------------------------------


@needs_shared
def test_a_face_in_each_of_the_30_dev_selfies(detector: FaceDetector) -> None:
    photos = sorted(SELFIES_DEV.glob("*.jpg"))
    assert len(photos) == 30
    missed = [p.name for p in photos if not detect(detector, Image.open(p).convert("RGB"))]
    assert missed == []


@needs_shared
@pytest.mark.parametrize("name", sorted(VERIFIED_MAIN_FACES))
def test_main_face_where_mtcnn_failed_lies_on_the_face(
    detector: FaceDetector, mesh_model: FaceMeshModel, name: str
) -> None:
    image = Image.open(SELFIES_DEV / name).convert("RGB")
    faces = detect(detector, image)
    assert faces, name
    main = faces[0]
    box = (main.x1, main.y1, main.x2, main.y2)
    assert iou(box, VERIFIED_MAIN_FACES[name]) > 0.8, (name, box)
    mesh = mesh_model.measure(image, main)
    assert mesh is not None
    for point in ("nose_tip", "left_eye_inner", "right_eye_inner", "upper_lip"):
        x, y = mesh.points[point]
        assert main.x1 <= x <= main.x2 and main.y1 <= y <= main.y2, (name, point)


def test_emotion_crop_of_a_tilted_face_is_levelled_by_its_roll(
    detector: FaceDetector, mesh_model: FaceMeshModel
) -> None:
    """Turned back by FaceMesh's roll, the crop of a tilted face looks like the upright face's
    crop, much more than fer's own (unturned) crop of the tilted face does."""
    from inference.analyzer import _pixel_box
    from inference.emotions import aligned_crop, fer_crop

    image = astronaut()
    (upright,) = detect(detector, image)
    tilted_image = image.rotate(-25, resample=Image.Resampling.BILINEAR, center=(225, 125))
    (tilted,) = detect(detector, tilted_image)
    mesh = mesh_model.measure(tilted_image, tilted)
    assert mesh is not None and mesh.roll_degrees > 20
    want = fer_crop(np.asarray(image), _pixel_box(upright)).astype(np.float32)
    rgb = np.asarray(tilted_image)
    levelled = aligned_crop(rgb, _pixel_box(tilted), mesh.roll_degrees).astype(np.float32)
    plain = fer_crop(rgb, _pixel_box(tilted)).astype(np.float32)
    assert levelled.shape == plain.shape == (64, 64)
    assert np.abs(levelled - want).mean() < 0.75 * np.abs(plain - want).mean()
