"""The reply pictures' format as the adapter asks (`CardFormat`), and what the web page asks.

Chats get PNG cards; the web page asks for no picture (it renders the result, board and tips
from the replies' data) and gets its JPEG result card from `Game.result_card` only when the
card's link is followed, while the tips' best edit stays the exact PNG whose bytes re-score to
the claimed score. Real game, models and database.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from bot.core import cards
from bot.core.events import CardFormat, CommandEvent, PhotoEvent, Sender
from bot.core.game import Game
from bot.web.app import create_app
from bot.web.players import PLAYER_COOKIE, WEB_CHAT
from inference import Analyzer
from tests.bot.web.support import SELFIE, analyzer, web_settings
from tests.conftest import needs_shared
from tests.paths import TEST_DATA

pytestmark = needs_shared
__all__ = ["analyzer"]

ASTRONAUT = (TEST_DATA / "astronaut.jpg").read_bytes()
"""One small face: framing it is a believable edit that raises the score (a best edit)."""
MIRRORED = io.BytesIO()
Image.open(io.BytesIO(ASTRONAUT)).transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(MIRRORED, "JPEG")
ANN = Sender(platform=WEB_CHAT.platform, user_id="ann", display_name="Ann")
KEY = "format-key-0123456789"


@pytest.fixture
async def game(tmp_path: Path, analyzer: Analyzer) -> AsyncIterator[Game]:
    opened = await Game.open(web_settings(tmp_path), analyzer=analyzer)
    yield opened
    await opened.close()


async def _photos() -> bytes:
    return ASTRONAUT


def _photo(update_id: str, cards: CardFormat, photo: bytes = ASTRONAUT) -> PhotoEvent:
    return PhotoEvent(
        chat=WEB_CHAT,
        sender=ANN,
        update_id=update_id,
        photo=photo,
        photo_handle="astronaut",
        fetch_photo=lambda _: _photos(),
        cards=cards,
    )


def _command(name: str, update_id: str, cards: CardFormat, *args: str) -> CommandEvent:
    return CommandEvent(
        chat=WEB_CHAT,
        sender=ANN,
        update_id=update_id,
        name=name,
        args=args,
        fetch_photo=lambda _: _photos(),
        cards=cards,
    )


async def test_result_card_as_jpeg_and_board_without_picture(game: Game) -> None:
    (png,) = await game.handle(_photo("p1", CardFormat.PNG))
    (jpeg,) = await game.handle(_photo("p2", CardFormat.JPEG, MIRRORED.getvalue()))
    assert png.image is not None and png.image.mime_type == "image/png"
    assert png.image.filename == "result.png" and png.image.data.startswith(b"\x89PNG")
    assert jpeg.image is not None and jpeg.image.mime_type == "image/jpeg"
    assert jpeg.image.filename == "result.jpg" and jpeg.image.data.startswith(b"\xff\xd8")
    assert (
        Image.open(io.BytesIO(jpeg.image.data)).size == Image.open(io.BytesIO(png.image.data)).size
    )
    (pictured,) = await game.handle(_command("top", "t1", CardFormat.PNG, "season"))
    (bare,) = await game.handle(_command("top", "t2", CardFormat.NONE, "season"))
    assert pictured.image is not None and not bare.attachments
    assert bare.data == pictured.data and bare.text == pictured.text, "same board, no drawing"


async def test_tips_without_pictures_keep_the_best_edit_png(game: Game, analyzer: Analyzer) -> None:
    await game.handle(_photo("p1", CardFormat.NONE))
    (tips,) = await game.handle(_command("tips", "tips-1", CardFormat.NONE))
    best = (tips.data or {})["tips"]["best"]
    assert best is not None, tips.text
    (edit,) = tips.attachments
    assert edit.filename == best["image"] == "best-edit.png" and edit.mime_type == "image/png"
    assert analyzer.analyze(edit.data).score == best["score"], "the exact bytes re-score"


async def test_the_form_without_script_gets_its_tips_from_the_result_page(
    tmp_path: Path, game: Game
) -> None:
    """The POST only scores (it holds an upload slot); the redirect's GET adds the tips."""
    app = create_app(web_settings(tmp_path), game=game)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        posted = await client.post(
            "/",
            data={"nickname": "Ann", "key": KEY},
            files={"photo": ("selfie.jpg", SELFIE.read_bytes(), "image/jpeg")},
        )
        assert posted.status_code == 303
        player = posted.cookies[PLAYER_COOKIE]
        kept = app.state.web.results.get(KEY, player)
        assert kept.result is not None and kept.result.tips is None and kept.tips_due
        assert set(kept.images) == {"photo.jpg"}, "no card drawn before it is asked for"
        page = await client.get(posted.headers["location"])
        assert page.status_code == 200 and "Tips for your last photo" in page.text
        assert "data-tips-url" not in page.text
        assert app.state.web.results.get(KEY, player).result.tips is not None, "kept"


async def test_the_page_draws_its_card_when_the_link_is_followed(
    tmp_path: Path, game: Game
) -> None:
    """The download link draws the card once (the core's result card, from the display copy and
    the scored reply's data) and keeps it with the result."""
    app = create_app(web_settings(tmp_path), game=game)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        posted = await client.post(
            "/",
            data={"nickname": "Ann", "key": KEY},
            files={"photo": ("selfie.jpg", SELFIE.read_bytes(), "image/jpeg")},
            headers={"X-Selfiebot-Tips": "later"},
        )
        assert posted.headers["content-location"] == f"/result/{KEY}"
        assert f'href="/result/{KEY}/card.jpg"' in posted.text, "answered with the result"
        first = await client.get(f"/result/{KEY}/card.jpg")
        again = await client.get(f"/result/{KEY}/card.jpg")
    assert first.status_code == 200 and first.headers["content-type"] == "image/jpeg"
    card = Image.open(io.BytesIO(first.content))
    assert card.format == "JPEG" and card.width == cards.CARD_WIDTH
    assert again.content == first.content
    kept = app.state.web.results.get(KEY, posted.cookies[PLAYER_COOKIE])
    assert kept.images["card.jpg"].data == first.content
