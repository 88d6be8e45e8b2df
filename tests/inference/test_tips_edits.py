"""The edits behind the tips do what their names promise, within the one strength table."""

from __future__ import annotations

import math

import pytest
from PIL import Image, ImageDraw, ImageStat

from inference import edits


def _grey(value: int, size: tuple[int, int] = (64, 48)) -> Image.Image:
    return Image.new("RGB", size, (value, value, value))


def _mean(image: Image.Image) -> list[float]:
    return ImageStat.Stat(image).mean


def test_brightness_above_one_brightens_mid_tones_and_keeps_black_and_white() -> None:
    assert _mean(edits.brightness(_grey(100), 1.12))[0] > 100
    assert _mean(edits.brightness(_grey(100), 0.89))[0] < 100
    assert _mean(edits.brightness(_grey(0), 1.12))[0] == 0
    assert _mean(edits.brightness(_grey(255), 1.12))[0] == 255


def test_exposure_scales_every_channel_and_clips_at_white() -> None:
    assert _mean(edits.exposure(_grey(100), 1.1)) == [110, 110, 110]
    assert _mean(edits.exposure(_grey(250), 1.15))[0] == 255


def test_warmth_moves_red_and_blue_in_opposite_directions() -> None:
    red, green, blue = _mean(edits.warmth(_grey(120), 0.04))
    assert red > 120 and green == 120 and blue < 120
    red, _, blue = _mean(edits.warmth(_grey(120), -0.04))
    assert red < 120 and blue > 120


def test_contrast_and_saturation_change_spread_and_colourfulness() -> None:
    halves = Image.new("RGB", (40, 20), (90, 90, 90))
    halves.paste((160, 160, 160), (20, 0, 40, 20))
    spread = ImageStat.Stat(halves).stddev[0]
    assert ImageStat.Stat(edits.contrast(halves, 1.12)).stddev[0] > spread
    tinted = Image.new("RGB", (8, 8), (180, 120, 90))
    richer = _mean(edits.saturation(tinted, 1.15))
    assert richer[0] - richer[2] > 180 - 90


def test_sharpen_raises_edge_contrast() -> None:
    soft = Image.new("RGB", (60, 60), (100, 100, 100))
    ImageDraw.Draw(soft).rectangle((30, 0, 59, 59), fill=(150, 150, 150))
    sharp = edits.sharpen(soft, 60)
    assert sharp.getpixel((30, 30))[0] > 150 and sharp.getpixel((29, 30))[0] < 100


def test_every_tried_strength_is_inside_its_own_range_and_apply_knows_every_edit() -> None:
    for name, strength in edits.STRENGTHS.items():
        assert strength.tried and all(strength.allows(v) for v in strength.tried), name
        assert strength.lowest <= strength.highest
        assert not strength.allows(strength.highest * 1.5 + 1)
    for name in edits.COLOUR_EDITS:
        value = edits.STRENGTHS[name].tried[-1]
        assert edits.apply(_grey(120), name, value).size == (64, 48)


def test_frame_box_is_square_keeps_the_face_margins_and_aims_at_the_share() -> None:
    face = edits.Box(500, 300, 120, 150)
    box = edits.frame_box((1200, 900), face, 0.12)
    assert box is not None
    left, top, right, bottom = box
    assert right - left == bottom - top
    assert (right - left) ** 2 == pytest.approx(face.w * face.h / 0.12, rel=0.01)
    margins = edits.FACE_MARGINS
    assert left <= face.x - margins[0] * face.w and right >= face.right + margins[2] * face.w
    assert top <= face.y - margins[1] * face.h and bottom >= face.bottom + margins[3] * face.h


def test_a_tight_share_still_keeps_the_margins() -> None:
    face = edits.Box(500, 300, 120, 150)
    box = edits.frame_box((1200, 900), face, 0.6)
    assert box is not None
    side = box[2] - box[0]
    assert side >= face.h * (1 + edits.FACE_MARGINS[1] + edits.FACE_MARGINS[3])


def test_frame_box_stays_inside_the_photo_and_declines_no_ops_and_slivers() -> None:
    corner = edits.frame_box((600, 600), edits.Box(0, 0, 80, 80), 0.12)
    assert corner is not None and corner[0] == 0 and corner[1] == 0
    assert edits.frame_box((300, 300), edits.Box(50, 50, 200, 200), 0.3) is None
    small = edits.frame_box((300, 300), edits.Box(140, 140, 30, 30), 0.3)
    assert small is None, "a crop under MIN_CROP_SIDE would look soft"


def test_crops_are_enlarged_at_most_twice() -> None:
    assert edits.upscale_for((1000, 800)) == 1.0
    assert edits.upscale_for((200, 200)) == pytest.approx(edits.MIN_OUTPUT_SIDE / 200)
    assert edits.upscale_for((40, 40)) == edits.MAX_UPSCALE
    assert edits.crop(_grey(90, (300, 300)), (0, 0, 50, 50)).size == (100, 100)


def test_box_iou_and_mapping_through_a_crop() -> None:
    box = edits.Box(100, 100, 50, 50)
    assert box.iou(box) == 1.0
    assert box.iou(edits.Box(125, 100, 50, 50)) == pytest.approx(1 / 3)
    assert box.iou(edits.Box(0, 0, 10, 10)) == 0.0
    moved = box.through_crop((80, 60, 280, 260), 2.0)
    assert (moved.x, moved.y, moved.w, moved.h) == (40, 80, 100, 100)
    assert math.isclose(moved.center[0], 90)
