"""The edits behind the tips do what their titles promise, checked geometrically and on pixels."""

from __future__ import annotations

import math

import pytest
from PIL import Image, ImageDraw, ImageStat

from bot.core import edits


def _grey(value: int, size: tuple[int, int] = (64, 48)) -> Image.Image:
    return Image.new("RGB", size, (value, value, value))


def _mean(image: Image.Image) -> list[float]:
    return ImageStat.Stat(image).mean


def test_gamma_below_one_brightens_mid_tones_and_keeps_black_and_white() -> None:
    assert _mean(edits.gamma(_grey(100), 0.7))[0] > 100
    assert _mean(edits.gamma(_grey(100), 1.3))[0] < 100
    assert _mean(edits.gamma(_grey(0), 0.7))[0] == 0
    assert _mean(edits.gamma(_grey(255), 0.7))[0] == 255


def test_warmth_moves_red_and_blue_in_opposite_directions() -> None:
    red, green, blue = _mean(edits.warmth(_grey(120), 0.1))
    assert red > 120 and green == 120 and blue < 120
    red, _, blue = _mean(edits.warmth(_grey(120), -0.1))
    assert red < 120 and blue > 120


def test_contrast_and_saturation_change_spread_and_colourfulness() -> None:
    halves = Image.new("RGB", (40, 20), (90, 90, 90))
    halves.paste((160, 160, 160), (20, 0, 40, 20))
    assert ImageStat.Stat(edits.contrast(halves, 1.5)).stddev[0] > ImageStat.Stat(halves).stddev[0]
    tinted = Image.new("RGB", (8, 8), (180, 120, 90))
    richer = _mean(edits.saturation(tinted, 1.3))
    assert richer[0] - richer[2] > 180 - 90


def test_sharpen_raises_edge_contrast() -> None:
    soft = Image.new("RGB", (60, 60), (100, 100, 100))
    ImageDraw.Draw(soft).rectangle((30, 0, 59, 59), fill=(150, 150, 150))
    sharp = edits.sharpen(soft, 200)
    assert sharp.getpixel((31, 30))[0] > 150 and sharp.getpixel((28, 30))[0] < 100


def test_frame_face_hits_the_target_fraction_and_eye_line() -> None:
    photo = _grey(90, (1200, 900))
    face = edits.Box(600, 300, 240, 300)
    framed = edits.frame_face(photo, face, 1 / 3)
    assert framed is not None
    side = math.sqrt(240 * 300 * 3)
    # Square crop of the computed side; small enough here that no clamping happens.
    assert framed.width == framed.height == round(side)


def test_frame_face_places_the_face_in_the_upper_middle() -> None:
    photo = Image.new("RGB", (1200, 900), (40, 40, 40))
    face = edits.Box(700, 300, 120, 150)
    ImageDraw.Draw(photo).rectangle((700, 300, 819, 449), fill=(250, 250, 250))
    framed = edits.frame_face(photo, face, 1 / 3)
    assert framed is not None
    left, top, right, bottom = framed.convert("L").point(lambda v: 255 if v > 128 else 0).getbbox()
    cx = (left + right) / 2 / framed.width
    cy = (top + bottom) / 2 / framed.height
    assert cx == pytest.approx(0.5, abs=0.02)
    assert cy == pytest.approx(1 / 3, abs=0.02)
    area = (right - left) * (bottom - top) / (framed.width * framed.height)
    assert area == pytest.approx(1 / 3, abs=0.02)


def test_frame_face_stays_inside_the_photo_and_declines_a_no_op() -> None:
    photo = _grey(90, (300, 300))
    corner = edits.frame_face(photo, edits.Box(0, 0, 60, 60), 0.2)
    assert corner is not None and min(corner.size) >= edits.MIN_OUTPUT_SIDE
    # A face so large the crop would be the whole photo: nothing to suggest.
    assert edits.frame_face(photo, edits.Box(0, 0, 300, 300), 1 / 3) is None


def test_rotating_by_the_eye_line_slope_levels_the_eyes() -> None:
    left_eye, right_eye = (100.0, 100.0), (200.0, 130.0)
    angle = math.degrees(math.atan2(30, 100))
    size = (400, 300)
    moved_left = edits.rotate_point(left_eye, angle, size)
    moved_right = edits.rotate_point(right_eye, angle, size)
    assert moved_left[1] == pytest.approx(moved_right[1], abs=1e-6)


def test_rotate_point_matches_pillow_rotation() -> None:
    image = Image.new("L", (200, 120), 0)
    image.putpixel((150, 40), 255)
    rotated = image.rotate(20, resample=Image.Resampling.NEAREST)
    x, y = edits.rotate_point((150.5, 40.5), 20, image.size)
    bright = max(
        ((i, j) for i in range(200) for j in range(120)), key=lambda p: rotated.getpixel(p)
    )
    assert abs(bright[0] + 0.5 - x) <= 1 and abs(bright[1] + 0.5 - y) <= 1


@pytest.mark.parametrize("angle", [-25.0, -7.5, 3.0, 12.0, 30.0])
def test_straighten_leaves_no_empty_corner_and_tracks_the_face(angle: float) -> None:
    photo = Image.new("RGB", (640, 480), (200, 200, 200))
    ImageDraw.Draw(photo).rectangle((300, 200, 339, 239), fill=(255, 0, 0))
    face = edits.Box(300, 200, 40, 40)
    level, moved = edits.straighten(photo, angle, face)
    darkest = level.convert("L").getextrema()[0]
    assert darkest > 60, "a black corner from the rotation survived the crop"
    assert moved is not None
    red = level.getpixel((round(moved.center[0]), round(moved.center[1])))
    assert red[0] > 200 and red[1] < 80


def test_largest_rotated_rect_is_the_whole_frame_without_rotation() -> None:
    assert edits.largest_rotated_rect(640, 480, 0.0) == pytest.approx((640, 480))
    w, h = edits.largest_rotated_rect(640, 480, math.radians(10))
    assert 0 < w < 640 and 0 < h < 480


def test_frame_box_in_a_small_photo_is_tighter_and_face_share_says_how_much() -> None:
    face = edits.Box(100, 10, 100, 100)
    box = edits.frame_box((300, 300), face, 0.15)
    assert box is not None
    # A 258 px square would be needed; the photo allows it, but not the eye line: the crop
    # is pushed down to stay inside, and the face keeps its true share.
    assert box[1] == 0
    assert edits.face_share(face, box) == pytest.approx(100 * 100 / (box[2] - box[0]) ** 2)
    tight = edits.frame_box((200, 200), edits.Box(50, 50, 100, 100), 0.1)
    assert tight is None, "the aimed crop would be the whole photo"
    partly = edits.face_share(edits.Box(-50, 0, 100, 100), (0, 0, 100, 100))
    assert partly == pytest.approx(0.5)
