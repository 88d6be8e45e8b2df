"""The plausibility guard refuses edits a person would call worse, and lets mild ones through.

On a real photo (the public-domain astronaut portrait) with its face box, so clipping, face
brightness and halos are measured on real skin, hair and edges.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageFilter

from inference import edits
from inference.plausibility import (
    Rule,
    ToneCheck,
    crop_rules,
    face_rules,
    halo_share,
    strength_rules,
    tone_rules,
)
from tests.paths import TEST_DATA

DATA = TEST_DATA
# The astronaut's face in tests/data/astronaut.jpg (512x512), as the detector boxes it.
FACE = edits.Box(177, 80, 95, 95)


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    with Image.open(DATA / "astronaut.jpg") as opened:
        return opened.convert("RGB")


def test_a_mild_believable_edit_is_accepted(photo: Image.Image) -> None:
    mild = edits.saturation(edits.brightness(photo, 1.12), 1.1)
    mild = edits.sharpen(mild, 30)
    assert tone_rules(photo, mild, FACE) == []
    assert strength_rules([("brightness", 1.12), ("saturation", 1.1), ("sharpen", 30)]) == []
    box = edits.frame_box(photo.size, FACE, 0.18)
    assert box is not None
    assert crop_rules(photo.size, FACE, box, edits.crop(photo, box).size) == []


def test_an_over_exposed_edit_is_rejected(photo: Image.Image) -> None:
    blown = edits.exposure(photo, 1.8)
    rules = tone_rules(photo, blown, FACE)
    assert Rule.HIGHLIGHT_CLIPPING in rules and Rule.FACE_BRIGHTNESS in rules
    assert strength_rules([("exposure", 1.8)]) == [Rule.STRENGTH]


def test_crushed_shadows_are_rejected(photo: Image.Image) -> None:
    crushed = photo.point(lambda v: max(0, v * 2 - 140))
    assert Rule.SHADOW_CLIPPING in tone_rules(photo, crushed, FACE)


def test_a_face_brightness_shift_over_40_levels_is_rejected_even_without_clipping() -> None:
    flat = Image.new("RGB", (100, 100), (60, 60, 60))
    face = edits.Box(30, 30, 40, 40)
    assert tone_rules(flat, edits.brightness(flat, 1.2), face) == []
    lifted = flat.point(lambda v: v + 45)
    assert tone_rules(flat, lifted, face) == [Rule.FACE_BRIGHTNESS]


def test_halo_over_sharpening_is_rejected(photo: Image.Image) -> None:
    halos = photo.filter(ImageFilter.UnsharpMask(radius=2, percent=300, threshold=0))
    assert Rule.HALOS in tone_rules(photo, halos, None)
    before = np.asarray(photo.convert("L"))
    brighter = edits.brightness(photo, 1.2).convert("L")
    assert halo_share(before, np.asarray(brighter)) == 0.0
    assert halo_share(before, np.asarray(halos.convert("L"))) > 0.1


def test_a_crop_that_cuts_the_face_is_rejected(photo: Image.Image) -> None:
    cut = (200, 0, 456, 256)  # starts inside the face's left edge
    assert crop_rules(photo.size, FACE, cut, (256, 256)) == [Rule.CROP_MARGIN]
    no_margin = (177, 80, 433, 336)  # the face touches the crop's left and top edges
    assert crop_rules(photo.size, FACE, no_margin, (256, 256)) == [Rule.CROP_MARGIN]


def test_a_crop_may_use_the_frame_edge_as_its_margin() -> None:
    at_edge = edits.Box(0, 5, 100, 120)
    assert crop_rules((600, 600), at_edge, (0, 0, 300, 300), (300, 300)) == []


def test_a_2_5x_upscale_is_rejected(photo: Image.Image) -> None:
    box = (120, 20, 320, 220)
    assert crop_rules(photo.size, FACE, box, (500, 500)) == [Rule.UPSCALE]
    assert crop_rules(photo.size, FACE, box, (400, 400)) == []


def test_strengths_outside_the_table_or_unknown_edits_are_rejected() -> None:
    highest = edits.STRENGTHS["sharpen"].highest
    assert strength_rules([("sharpen", highest)]) == []
    assert strength_rules([("sharpen", highest + 1)]) == [Rule.STRENGTH]
    assert strength_rules([("vignette", 1.0)]) == [Rule.STRENGTH]


def test_the_face_must_be_found_again_where_it_should_be() -> None:
    expected = edits.Box(100, 100, 80, 100)
    assert face_rules(expected, edits.Box(105, 98, 82, 104)) == []
    assert face_rules(expected, edits.Box(300, 100, 80, 100)) == [Rule.FACE_LOST]
    assert face_rules(expected, None) == [Rule.FACE_LOST]


def test_tone_check_refuses_a_candidate_of_another_size(photo: Image.Image) -> None:
    with pytest.raises(ValueError, match="differs"):
        ToneCheck(photo, FACE).rules(photo.resize((100, 100)))
