"""Face detection: the bar on the dev selfies, no faces in face-free photos, coordinate maps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from inference.faces import LANDMARK_NAMES, DetectedFace, FaceDetector, detection_copy
from tests.conftest import SELFIES_DEV, needs_shared

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def detector() -> FaceDetector:
    return FaceDetector()


def detect(detector: FaceDetector, image: Image.Image) -> list[DetectedFace]:
    copy, factor = detection_copy(image)
    return [face.scaled(factor) for face in detector.detect(copy)]


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


def test_astronaut_has_one_face_with_landmarks(detector: FaceDetector) -> None:
    image = Image.open(DATA / "astronaut.jpg").convert("RGB")
    faces = detect(detector, image)
    assert len(faces) == 1
    face = faces[0]
    assert face.confidence > 0.9
    assert set(face.landmarks) == set(LANDMARK_NAMES)
    for x, y in face.landmarks.values():
        assert face.x1 - 5 <= x <= face.x2 + 5 and face.y1 - 5 <= y <= face.y2 + 5
    left, right = face.landmarks["left_eye"], face.landmarks["right_eye"]
    assert left[0] < right[0]
    assert face.landmarks["nose"][1] > left[1]
    assert face.landmarks["mouth_left"][1] > face.landmarks["nose"][1]


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
    assert detect(detector, make()) == []


def test_two_people_give_two_faces(detector: FaceDetector) -> None:
    portrait = Image.open(DATA / "astronaut.jpg").convert("RGB")
    pair = Image.new("RGB", (1024, 512))
    pair.paste(portrait, (0, 0))
    pair.paste(portrait.transpose(Image.Transpose.FLIP_LEFT_RIGHT), (512, 0))
    faces = sorted(detect(detector, pair), key=lambda face: face.x1)
    assert len(faces) == 2
    assert faces[0].x2 < 512 < faces[1].x1


def test_large_photo_boxes_map_back_to_photo_pixels(detector: FaceDetector) -> None:
    small = Image.open(DATA / "astronaut.jpg").convert("RGB")
    large = small.resize((1536, 1536), Image.Resampling.LANCZOS)
    (face_small,) = detect(detector, small)
    (face_large,) = detect(detector, large)
    for a, b in zip(
        (face_small.x1, face_small.y1, face_small.x2, face_small.y2),
        (face_large.x1, face_large.y1, face_large.x2, face_large.y2),
        strict=True,
    ):
        assert abs(a * 3 - b) < 0.08 * 1536


def test_a_tilted_face_is_found_and_mapped_back(detector: FaceDetector) -> None:
    image = Image.open(DATA / "astronaut.jpg").convert("RGB")
    (upright,) = detect(detector, image)
    tilted = image.rotate(-35, resample=Image.Resampling.BILINEAR, center=(256, 160))
    faces = detect(detector, tilted)
    assert faces, "the turned search should find a face tilted by 35 degrees"
    eyes = faces[0].landmarks
    (lx, ly), (rx, ry) = eyes["left_eye"], eyes["right_eye"]
    assert 20 < np.degrees(np.arctan2(ry - ly, rx - lx)) < 50
    assert abs((faces[0].x1 + faces[0].x2) / 2 - (upright.x1 + upright.x2) / 2) < 60


def test_unrotated_inverts_pil_rotate_expand() -> None:
    image = Image.new("L", (120, 80), 0)
    image.paste(255, (28, 18, 33, 23))  # a 5x5 dot centred on (30.5, 20.5)
    for angle in (35.0, -35.0, 90.0):
        turned = image.rotate(angle, expand=True)
        ys, xs = np.nonzero(np.asarray(turned) > 60)
        x, y = float(xs.mean()) + 0.5, float(ys.mean()) + 0.5
        face = DetectedFace(x - 5, y - 5, x + 5, y + 5, 1.0, {"nose": (x, y)})
        back = face.unrotated(angle, turned.size, image.size)
        nx, ny = back.landmarks["nose"]
        assert abs(nx - 30.5) < 1.5 and abs(ny - 20.5) < 1.5
        assert abs((back.x1 + back.x2) / 2 - 30.5) < 1.5


def test_detection_copy_is_bounded() -> None:
    copy, factor = detection_copy(Image.new("RGB", (1280, 960)))
    assert max(copy.size) == 320 and factor == 4.0
    same, one = detection_copy(Image.new("RGB", (306, 306)))
    assert same.size == (306, 306) and one == 1.0


@needs_shared
def test_faces_found_in_at_least_27_of_the_30_dev_selfies(detector: FaceDetector) -> None:
    photos = sorted(SELFIES_DEV.glob("*.jpg"))
    assert len(photos) == 30
    found = [bool(detect(detector, Image.open(p).convert("RGB"))) for p in photos]
    assert sum(found) >= 27, [p.name for p, ok in zip(photos, found, strict=True) if not ok]
