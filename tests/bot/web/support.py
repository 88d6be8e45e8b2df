"""Shared pieces of the web tests: settings on temp dirs, one analyzer per module, photos."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from bot.settings import Settings
from inference import Analyzer
from tests.conftest import SEED_MODEL
from tests.paths import TEST_DATA

DATA = TEST_DATA
SELFIE = DATA / "astronaut.jpg"
NO_FACE = DATA / "rocket.jpg"


def web_settings(base: Path, **overrides: object) -> Settings:
    """Settings on `base`, with the seed model, isolated from the user's dirs and `.env`."""
    values: dict[str, object] = {
        "data_dir": base / "data",
        "cache_dir": base / "cache",
        "popularity_model": SEED_MODEL,
        "web_port": 8000,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture(scope="module")
def analyzer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Analyzer]:
    """One analyzer (models loaded once) for a whole test module; import it by name."""
    settings = web_settings(tmp_path_factory.mktemp("web-models"))
    with Analyzer.from_config(settings.analyzer_config()) as shared:
        yield shared


def jpeg_bytes(image: Image.Image, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def altered_selfie(seed: int) -> bytes:
    """The sample selfie on a coloured canvas, placed differently per `seed`.

    Each variant is a different photo to the game's duplicate check (perceptual hash far from
    the original and from the other variants) and still has the same clearly visible face.
    """
    photo = Image.open(SELFIE).convert("RGB")
    width, height = photo.size
    colours = [(230, 60, 60), (60, 200, 90), (70, 90, 230), (240, 200, 40), (40, 200, 220)]
    canvas = Image.new("RGB", (width * 2, height * 3 // 2), colours[seed % len(colours)])
    offset = ((seed * 97) % (width + 1), (seed * 53) % (height // 2 + 1))
    canvas.paste(photo, offset)
    return jpeg_bytes(canvas)
