"""What the game-flow tests share: real selfies and test pictures, one analyzer per session,
a game with a fake adapter and a controllable clock (tests/fakes/adapter.py).

Test modules import the fixtures they use (`analyzer`, `bot`) by name."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image, ImageOps

from bot.core.game import Game
from bot.settings import Settings
from tests.conftest import SEED_MODEL, SELFIES_DEV
from tests.fakes.adapter import FakeAdapter, FakeClock
from tests.paths import TEST_DATA

DATA = TEST_DATA
ASTRONAUT = (DATA / "astronaut.jpg").read_bytes()  # one face, happy 1.0, scores 28
ROCKET = (DATA / "rocket.jpg").read_bytes()  # no face
TOP_SELFIE = "04ed1c2ebffb11e38f8c0002c9dced72_6.jpg"  # scores 96


def jpeg(image: Image.Image, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def astronaut() -> Image.Image:
    return Image.open(io.BytesIO(ASTRONAUT)).convert("RGB")


def mirrored_astronaut() -> bytes:
    """A different photo to the duplicate check (32 bits apart) that still has one face."""
    return jpeg(ImageOps.mirror(astronaut()))


def three_astronauts() -> bytes:
    """Three faces side by side: a group photo (it scores 81)."""
    single = astronaut()
    row = Image.new("RGB", (single.width * 3, single.height))
    for i in range(3):
        row.paste(single, (i * single.width, 0))
    return jpeg(row)


def selfies(count: int) -> list[bytes]:
    """`count` distinct real selfies from ../shared (each with a detectable face)."""
    paths = sorted(SELFIES_DEV.glob("*.jpg")) if SELFIES_DEV.exists() else []
    usable = [p for p in paths if not p.name.startswith(("10004079_863", "10004084_743"))]
    if len(usable) < count:
        pytest.skip("../shared/selfies/dev is absent")
    return [p.read_bytes() for p in usable[:count]]


def selfie(name: str) -> bytes:
    path = SELFIES_DEV / name
    if not path.exists():
        pytest.skip("../shared/selfies/dev is absent")
    return path.read_bytes()


@pytest.fixture(scope="session")
def analyzer(tmp_path_factory: pytest.TempPathFactory):
    """One analyzer for the whole session: loading the models is the slow part."""
    from inference import Analyzer

    settings = Settings(
        popularity_model=SEED_MODEL, cache_dir=tmp_path_factory.mktemp("model-cache")
    )
    with Analyzer.from_config(settings.analyzer_config()) as loaded:
        yield loaded


def game_settings(tmp_path: Path, **changes: object) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        cache_dir=tmp_path / "cache",
        popularity_model=SEED_MODEL,
        leaderboard_size=3,
        streak_reminders=False,
        **changes,
    )


@pytest.fixture
async def bot(analyzer, tmp_path: Path) -> AsyncIterator[FakeAdapter]:
    clock = FakeClock()
    game = await Game.open(game_settings(tmp_path), analyzer, clock=clock)
    adapter = FakeAdapter(game, clock=clock, admins={"boss"})
    yield adapter
    await game.close()


async def score_of(bot: FakeAdapter, name: str, data: bytes) -> dict:
    """Send a photo that must be scored; returns the structured data of the result."""
    sent = await bot.photo(name, data)
    for _ in sent:
        bot.pop()
    result = sent[0].reply
    assert result.data is not None and "score" in result.data, result.text
    return dict(result.data)
