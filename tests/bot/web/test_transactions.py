"""How many store transactions a photo scored on the page costs (counted on the engine: a
count, not a time).

The page's photo is the game's three (claim and register, record, reply confirmed: see
tests/bot/core/test_transactions.py); the result page after the redirect adds none: it shows the
season board read when the photo was counted (`PhotoEvent.season_board`), where it used to read
it again through `Game.board` (and a `/top` command before that added two).
"""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from bot.core.events import Sender
from bot.core.flows import photo as photo_flow
from bot.core.flows.unrecorded import PhotoRefused
from bot.core.game import Game
from bot.web.app import create_app
from bot.web.players import PLATFORM, WEB_CHAT, player_from_cookies
from inference import Analyzer, decode
from tests.bot.web.support import SELFIE, analyzer, jpeg_bytes, web_settings
from tests.conftest import needs_shared
from tests.storage.support import counting_transactions

pytestmark = needs_shared
__all__ = ["analyzer"]


@pytest.fixture
async def game(tmp_path: Path, analyzer: Analyzer) -> AsyncIterator[Game]:
    opened = await Game.open(web_settings(tmp_path), analyzer=analyzer)
    yield opened
    await opened.close()


async def test_a_page_photo_costs_three_transactions(tmp_path: Path, game: Game) -> None:
    app = create_app(web_settings(tmp_path), game=game)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as browser:
        with counting_transactions(game.store.engine) as begun:
            response = await browser.post(
                "/",
                data={"nickname": "Ann", "key": "transactions-key-0123"},
                files={"photo": ("selfie.jpg", SELFIE.read_bytes(), "image/jpeg")},
                headers={"X-Selfiebot-Tips": "later"},
                follow_redirects=True,
            )
    assert response.status_code == 200, response.text
    assert "Ann" in response.text
    assert len(begun) == 3, begun


@pytest.mark.parametrize("size", [(306, 306), (4032, 3024)], ids=["small", "phone-sized"])
async def test_a_page_photo_is_decoded_once(
    tmp_path: Path, game: Game, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    """The display copy and the score share one decode (`Preview.decoded`), and the score is
    the one the JSON API gives for the same file."""
    photo = jpeg_bytes(Image.open(SELFIE).convert("RGB").resize(size))
    decodes: list[int] = []
    real_decode = decode._decode

    def counted(*args: object) -> object:
        decodes.append(1)
        return real_decode(*args)  # type: ignore[arg-type]

    app = create_app(web_settings(tmp_path), game=game)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as browser:
        expected = (await browser.post("/api/score", files={"photo": ("a.jpg", photo)})).json()
        monkeypatch.setattr(decode, "_decode", counted)
        response = await browser.post(
            "/",
            data={"nickname": "Ann", "key": "decoded-once-key-0123"},
            files={"photo": ("selfie.jpg", photo, "image/jpeg")},
            headers={"X-Selfiebot-Tips": "later"},
            follow_redirects=True,
        )
    assert response.status_code == 200, response.text
    assert len(decodes) == 1
    assert f"{expected['score']}/100" in response.text


async def test_the_board_records_no_update(tmp_path: Path, game: Game) -> None:
    app = create_app(web_settings(tmp_path), game=game)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as browser:
        await browser.post(
            "/",
            data={"nickname": "Ann", "key": "transactions-key-4567"},
            files={"photo": ("selfie.jpg", SELFIE.read_bytes(), "image/jpeg")},
            headers={"X-Selfiebot-Tips": "later"},
        )
        ann = player_from_cookies(dict(browser.cookies)).sender
    stranger = Sender(platform=PLATFORM, user_id="never-played", display_name="Bob")
    with counting_transactions(game.store.engine) as begun:
        board = await game.board(WEB_CHAT, "season", stranger)
    assert len(begun) == 1, begun
    assert board.data is not None
    assert [entry["name"] for entry in board.data["entries"]] == ["Ann"]
    assert board.data["viewer_rank"] is None
    assert not board.attachments
    assert board.tag is None
    own = await game.board(WEB_CHAT, "week", ann)
    assert own.data is not None and own.data["viewer_rank"] == 1


async def test_the_api_scores_through_the_game_and_records_nothing(
    tmp_path: Path, game: Game, analyzer: Analyzer
) -> None:
    """`POST /api/score` is `Game.score_unrecorded`: the analyzer's own result, no transaction,
    and a refused photo carries the analyzer's reason and sentence to its HTTP status."""
    app = create_app(web_settings(tmp_path), game=game)
    transport = httpx.ASGITransport(app=app)
    photo = SELFIE.read_bytes()
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        with counting_transactions(game.store.engine) as begun:
            scored = await client.post("/api/score", files={"photo": ("s.jpg", photo)})
            refused = await client.post("/api/score", files={"photo": ("s.txt", b"not a photo")})
    assert begun == []
    assert scored.status_code == 200
    assert scored.json() == analyzer.analyze(photo).to_dict()
    assert refused.status_code == 415
    with pytest.raises(PhotoRefused) as caught:
        await game.score_unrecorded(b"not a photo")
    assert caught.value.reason == "not_an_image"
    assert refused.json()["detail"] == caught.value.message


async def test_a_page_photo_gives_its_upload_slot_back_once_analysed(
    tmp_path: Path, game: Game, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With one upload slot, an upload is read and scored while a page photo is still being
    counted, and by then nothing holds that photo's pixels any more: the slot bounds memory
    only while the pixels exist (`bot.web.admission`)."""
    decoded: list[weakref.ref[Image.Image]] = []
    real_decode = decode._decode

    def tracked(*args: Any) -> Any:
        photo = real_decode(*args)
        decoded.append(weakref.ref(photo.image))
        return photo

    other_scored = asyncio.Event()
    real_count = photo_flow._count_scored

    async def counting(*args: Any, **kwargs: Any) -> Any:
        gc.collect()
        assert [alive() for alive in decoded] == [None], "pixels held while counting"
        counting_started.set()
        await asyncio.wait_for(other_scored.wait(), timeout=30)
        return await real_count(*args, **kwargs)

    counting_started = asyncio.Event()
    monkeypatch.setattr(decode, "_decode", tracked)
    monkeypatch.setattr(photo_flow, "_count_scored", counting)
    app = create_app(web_settings(tmp_path, web_concurrent_uploads=1), game=game)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as browser:
        page = asyncio.create_task(
            browser.post(
                "/",
                data={"nickname": "Ann", "key": "early-slot-key-0123"},
                files={"photo": ("selfie.jpg", SELFIE.read_bytes(), "image/jpeg")},
                headers={"X-Selfiebot-Tips": "later"},
                follow_redirects=True,
            )
        )
        await asyncio.wait_for(counting_started.wait(), timeout=60)
        api = await asyncio.wait_for(
            browser.post("/api/score", files={"photo": ("b.jpg", SELFIE.read_bytes())}),
            timeout=60,
        )
        other_scored.set()
        response = await page
    assert api.status_code == 200, api.text
    assert response.status_code == 200, response.text
    assert f"{api.json()['score']}/100" in response.text
